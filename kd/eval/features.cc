#include "kd/eval/features.h"

#include <c10/core/InferenceMode.h>

#include <vector>

#include "kd/base/device.h"
#include "kd/status_macros.h"

namespace kd {

absl::StatusOr<ExtractedFeatures> ExtractFeatures(Network& network,
                                                  DataLoader& loader,
                                                  FeatureKind kind,
                                                  const torch::Device& device) {
  network.Train(false);
  std::vector<torch::Tensor> features, logits, labels;
  loader.StartEpoch(0);
  // Inference tensors inside; the torch::cat below (outside) makes ordinary
  // ones, which a linear probe may train on.
  c10::InferenceMode inference;
  while (true) {
    KD_ASSIGN_OR_RETURN(std::optional<Batch> batch, loader.Next());
    if (!batch.has_value()) break;
    Network::Output out = network.Forward(ToDevice(batch->images, device));
    features.push_back((kind == FeatureKind::kPooled ? out.backbone.pooled
                                                     : out.head.embedding)
                           .to(torch::kCPU)
                           .to(torch::kFloat));
    logits.push_back(out.head.logits.to(torch::kCPU).to(torch::kFloat));
    labels.push_back(batch->labels.to(torch::kCPU).to(torch::kInt64));
  }
  if (features.empty()) {
    return absl::InvalidArgumentError("no examples to extract features from");
  }
  c10::InferenceMode outside(false);
  return ExtractedFeatures{torch::cat(features), torch::cat(logits),
                           torch::cat(labels)};
}

}  // namespace kd
