// Backbone: a network that maps images to feature maps, a pooled feature
// vector and class logits. Every network of the model zoo (resnet8x4,
// resnet32x4, wrn_40_2, vgg13, ShuffleV1, ...) is a registered Backbone.
//
// Parameter and buffer names follow the reference PyTorch definitions
// (RepDistiller / CRD): "conv1.weight", "layer1.0.bn1.running_mean", ... so
// state dicts move between this library and PyTorch unchanged.
#ifndef BACKBONES_BACKBONE_H_
#define BACKBONES_BACKBONE_H_

#include <torch/nn/module.h>

#include <cstdint>
#include <vector>

#include "kd/registry.h"

namespace kd {

// What every backbone factory receives besides its options.
struct BackboneConfig {
  int64_t num_classes = 100;
  int64_t in_channels = 3;
};

// One forward pass. Feature maps are [B, C, H, W]; `pooled` is [B, D] with
// D = feature_dim(); `logits` is [B, num_classes].
struct BackboneOutput {
  // Output of each stage (after its activation), shallow to deep.
  std::vector<torch::Tensor> stage_features;
  // The same stages before their last ReLU, where the network has one
  // (losses that match pre-activations use these); else empty.
  std::vector<torch::Tensor> preact_stage_features;
  torch::Tensor pooled;
  torch::Tensor logits;
};

class Backbone : public torch::nn::Module {
 public:
  static constexpr char kPluginKind[] = "backbone";
  using Registry = ::kd::Registry<Backbone, const BackboneConfig&>;

  // Runs the network on a float [B, C, H, W] batch.
  virtual BackboneOutput Forward(const torch::Tensor& images) = 0;

  // Width of `pooled`.
  virtual int64_t feature_dim() const = 0;
  // Channels of each entry of `stage_features`.
  virtual std::vector<int64_t> stage_channels() const = 0;
  // The input side length the network was designed for (32 for the CIFAR
  // networks, 224 for ImageNet-style ones); other sizes work where the
  // family allows.
  virtual int64_t native_input_size() const = 0;
};

// The spatial side of each stage feature map for square inputs of side
// `input_size`, found by one forward pass on zeros in eval mode without
// gradients (the network's mode is restored; nothing it holds changes).
std::vector<int64_t> StageSizes(Backbone& backbone, int64_t input_size);

}  // namespace kd

#endif  // BACKBONES_BACKBONE_H_
