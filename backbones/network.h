// A network as the tools train and load it: a registered backbone plus its
// EmbeddingHead (node embedding + classifier), with the metadata needed to
// rebuild it from a checkpoint alone (architecture, widths, classes, input
// geometry).
#ifndef BACKBONES_NETWORK_H_
#define BACKBONES_NETWORK_H_

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "backbones/backbone.h"
#include "backbones/embedding_head.h"
#include "backbones/state_dict.h"
#include "kd/base/precision.h"

namespace kd {

struct NetworkSpec {
  std::string backbone;  // registered name (with options), e.g. "resnet8"
  int64_t num_classes = 10;
  int64_t embed_dim = 256;
  int64_t input_size = 32;          // side of the network input
  std::string normalize = "cifar";  // normalisation preset of the run
};

struct Network {
  NetworkSpec spec;
  std::shared_ptr<Backbone> backbone;
  EmbeddingHead head{nullptr};

  // How Forward computes (SetPrecision, UseChannelsLast); not part of the
  // checkpoint.
  Precision precision = Precision::kFp32;
  torch::Device device{torch::kCPU};

  // Backbone then head: features, embedding, classifier logits, under
  // autocast when `precision` is not fp32. The head's outputs (embedding,
  // logits) are always float32; the backbone's (stage maps, pooled) are in
  // the precision they were computed in (see ToFloat32).
  struct Output {
    BackboneOutput backbone;
    EmbeddingHeadOutput head;
  };
  Output Forward(const torch::Tensor& images);
  void Train(bool on);
  void To(const torch::Device& device);
  // Convolution weights (and so activations) in channels-last layout.
  void UseChannelsLast();
};

// Creates a freshly initialised network (uses torch's global generator).
absl::StatusOr<Network> CreateNetwork(const NetworkSpec& spec);

// Stores the network ("<prefix>backbone.*", "<prefix>head.*") and its spec
// ("<prefix>spec.*") in `out`.
void AddNetworkState(const Network& network, const std::string& prefix,
                     TensorMap* out);
// The spec stored under `prefix`, or an error naming `source`.
absl::StatusOr<NetworkSpec> ReadNetworkSpec(const TensorMap& in,
                                            const std::string& prefix,
                                            const std::string& source);
// Loads a checkpoint written by tools/train (prefix "model.") and rebuilds
// the network it holds. Errors name the file and mismatched tensors.
absl::StatusOr<Network> LoadNetworkCheckpoint(const std::string& path);

// Text stored as a uint8 tensor (checkpoints hold tensors only).
torch::Tensor StringTensor(const std::string& text);
std::string TensorString(const torch::Tensor& tensor);

}  // namespace kd

#endif  // BACKBONES_NETWORK_H_
