#include "backbones/network.h"

#include <ATen/ATen.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "kd/status_macros.h"

namespace kd {

Network::Output Network::Forward(const torch::Tensor& images) {
  Output out;
  {
    AutocastScope autocast(precision, device);
    out.backbone = backbone->Forward(images);
    out.head = head->Forward(out.backbone.pooled);
  }
  out.head.embedding = ToFloat32(out.head.embedding);
  out.head.logits = ToFloat32(out.head.logits);
  return out;
}

void Network::Train(bool on) {
  backbone->train(on);
  head->train(on);
}

void Network::To(const torch::Device& target) {
  backbone->to(target);
  head->to(target);
  device = target;
}

void Network::UseChannelsLast() { ToChannelsLast(*backbone); }

absl::StatusOr<Network> CreateNetwork(const NetworkSpec& spec) {
  BackboneConfig config;
  config.num_classes = spec.num_classes;
  config.in_channels = 3;
  KD_ASSIGN_OR_RETURN(std::unique_ptr<Backbone> backbone,
                      Backbone::Registry::Global().Create(
                          absl::string_view(spec.backbone), config));
  Network network;
  network.spec = spec;
  network.backbone = std::shared_ptr<Backbone>(std::move(backbone));
  network.head = EmbeddingHead(network.backbone->feature_dim(), spec.embed_dim,
                               spec.num_classes);
  return network;
}

torch::Tensor StringTensor(const std::string& text) {
  return torch::tensor(std::vector<uint8_t>(text.begin(), text.end()),
                       torch::kUInt8);
}

std::string TensorString(const torch::Tensor& tensor) {
  const torch::Tensor t = tensor.to(torch::kCPU).to(torch::kUInt8).contiguous();
  const uint8_t* data = t.data_ptr<uint8_t>();
  return std::string(data, data + t.numel());
}

void AddNetworkState(const Network& network, const std::string& prefix,
                     TensorMap* out) {
  AddModuleState(*network.backbone, prefix + "backbone.", out);
  AddModuleState(*network.head, prefix + "head.", out);
  (*out)[prefix + "spec.backbone"] = StringTensor(network.spec.backbone);
  (*out)[prefix + "spec.normalize"] = StringTensor(network.spec.normalize);
  (*out)[prefix + "spec.sizes"] = torch::tensor(
      std::vector<int64_t>{network.spec.num_classes, network.spec.embed_dim,
                           network.spec.input_size},
      torch::kInt64);
}

absl::StatusOr<NetworkSpec> ReadNetworkSpec(const TensorMap& in,
                                            const std::string& prefix,
                                            const std::string& source) {
  for (const char* key : {"spec.backbone", "spec.normalize", "spec.sizes"}) {
    if (!in.count(prefix + key)) {
      return absl::InvalidArgumentError(
          absl::StrCat("checkpoint ", source, " has no ", prefix, key,
                       ": not a checkpoint written by tools/train"));
    }
  }
  NetworkSpec spec;
  spec.backbone = TensorString(in.at(prefix + "spec.backbone"));
  spec.normalize = TensorString(in.at(prefix + "spec.normalize"));
  const torch::Tensor sizes = in.at(prefix + "spec.sizes").to(torch::kInt64);
  if (sizes.numel() != 3) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint ", source, ": ", prefix, "spec.sizes has ",
                     sizes.numel(), " entries, expected 3"));
  }
  spec.num_classes = sizes[0].item<int64_t>();
  spec.embed_dim = sizes[1].item<int64_t>();
  spec.input_size = sizes[2].item<int64_t>();
  return spec;
}

absl::StatusOr<Network> LoadNetworkCheckpoint(const std::string& path) {
  KD_ASSIGN_OR_RETURN(TensorMap tensors, LoadTensorMap(path));
  KD_ASSIGN_OR_RETURN(NetworkSpec spec,
                      ReadNetworkSpec(tensors, "model.", path));
  KD_ASSIGN_OR_RETURN(Network network, CreateNetwork(spec));
  KD_RETURN_IF_ERROR(LoadModuleState(tensors, "model.backbone.", path,
                                     network.backbone.get()));
  KD_RETURN_IF_ERROR(
      LoadModuleState(tensors, "model.head.", path, network.head.get()));
  return network;
}

}  // namespace kd
