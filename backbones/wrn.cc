// The Wide ResNets of RepDistiller's models/wrn.py: wrn_16_1, wrn_16_2,
// wrn_40_1, wrn_40_2 (depth 6n+4, widths 16, 16k, 32k, 64k). Pre-activation
// blocks (BN-ReLU-conv3x3-BN-ReLU-conv3x3); where the width changes the
// block's input is activated first and a bare 1x1 conv "convShortcut" carries
// the activated input, else the raw input is added. Final BN-ReLU, global
// average pooling, "fc". Convolutions: N(0, sqrt(2/(k*k*out))); fc: default
// weight, zero bias. No dropout (the reference's dropRate is 0).
//
// Stage features, as the reference's feature list: the stem conv output (no
// activation) and the three block groups' outputs (sums, no activation);
// pre-activations: the stem, then each group's output through the BN that
// follows it (the next group's first bn1, then the final bn1).
#include <torch/nn/functional/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backbones/backbone.h"
#include "backbones/layers.h"
#include "kd/registry.h"

namespace kd {
namespace {

class WideBlockImpl : public torch::nn::Module {
 public:
  WideBlockImpl(int64_t in_channels, int64_t out_channels, int64_t stride)
      : equal_in_out_(in_channels == out_channels) {
    bn1_ = register_module("bn1", torch::nn::BatchNorm2d(in_channels));
    conv1_ = register_module("conv1",
                             MakeConv(in_channels, out_channels, 3, stride, 1));
    // bn1 normalises the block's input (pre-activation); bn2 follows conv1.
    bn2_ = register_module("bn2", FoldableBatchNorm2d(conv1_, out_channels));
    conv2_ =
        register_module("conv2", MakeConv(out_channels, out_channels, 3, 1, 1));
    if (!equal_in_out_) {
      conv_shortcut_ = register_module(
          "convShortcut", MakeConv(in_channels, out_channels, 1, stride, 0));
    }
  }

  // {output, bn1(input)}: the second is the block input's pre-activation.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x) {
    torch::Tensor normalized = bn1_(x);
    torch::Tensor activated = torch::relu(normalized);
    torch::Tensor out = conv2_(torch::relu(bn2_(conv1_(activated))));
    out = out + (equal_in_out_ ? x : conv_shortcut_(activated));
    return {out, normalized};
  }

 private:
  bool equal_in_out_;
  torch::nn::BatchNorm2d bn1_{nullptr};
  FoldableBatchNorm2d bn2_{nullptr};
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv_shortcut_{nullptr};
};
TORCH_MODULE(WideBlock);

// "blockN": a group of blocks held in "layer" (the reference's NetworkBlock).
class WideGroupImpl : public torch::nn::Module {
 public:
  WideGroupImpl(int blocks, int64_t in_channels, int64_t out_channels,
                int64_t stride) {
    torch::nn::ModuleList layer;
    for (int i = 0; i < blocks; ++i) {
      WideBlock block(i == 0 ? in_channels : out_channels, out_channels,
                      i == 0 ? stride : 1);
      layer->push_back(block);
      blocks_.push_back(block);
    }
    register_module("layer", layer);
  }

  // {output, bn1 of the group's input (its first block's pre-activation)}.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x) {
    auto [out, input_preact] = blocks_.front()->forward(x);
    for (size_t i = 1; i < blocks_.size(); ++i) {
      out = blocks_[i]->forward(out).first;
    }
    return {out, input_preact};
  }

 private:
  std::vector<WideBlock> blocks_;
};
TORCH_MODULE(WideGroup);

class WideResNet;

struct WideResNetVariant {
  using Network = WideResNet;
  const char* name;
  const char* doc;
  int depth;
  int widen_factor;
};

class WideResNet : public ZooBackbone {
 public:
  WideResNet(const WideResNetVariant& variant, const BackboneConfig& config)
      : ZooBackbone(variant.name, config.in_channels, 64 * variant.widen_factor,
                    {16, 16 * variant.widen_factor, 32 * variant.widen_factor,
                     64 * variant.widen_factor},
                    /*native_input_size=*/32) {
    const int64_t k = variant.widen_factor;
    const int n = (variant.depth - 4) / 6;
    const std::array<int64_t, 4> widths = {16, 16 * k, 32 * k, 64 * k};
    conv1_ =
        register_module("conv1", MakeConv(config.in_channels, 16, 3, 1, 1));
    const int64_t strides[3] = {1, 2, 2};
    for (int g = 0; g < 3; ++g) {
      groups_[g] =
          register_module(absl::StrCat("block", g + 1),
                          WideGroup(n, widths[g], widths[g + 1], strides[g]));
    }
    bn1_ = register_module("bn1", torch::nn::BatchNorm2d(widths[3]));
    fc_ =
        register_module("fc", torch::nn::Linear(widths[3], config.num_classes));
    InitializeWeights(*this, ConvInit::kHeNormalFanOut, LinearInit::kZeroBias);
  }

  BackboneOutput Forward(const torch::Tensor& images) override {
    CheckInput(images, /*min_side=*/1);
    BackboneOutput out;
    torch::Tensor x = conv1_(images);
    out.stage_features.push_back(x);
    out.preact_stage_features.push_back(x);
    for (int g = 0; g < 3; ++g) {
      auto [y, input_preact] = groups_[g]->forward(x);
      // The previous stage's pre-activation is this group's bn1 of it.
      if (g > 0) out.preact_stage_features.push_back(input_preact);
      x = y;
      out.stage_features.push_back(x);
    }
    torch::Tensor normalized = bn1_(x);
    out.preact_stage_features.push_back(normalized);
    out.pooled = GlobalAvgPool(torch::relu(normalized));
    out.logits = fc_(out.pooled);
    return out;
  }

 private:
  torch::nn::Conv2d conv1_{nullptr};
  std::array<WideGroup, 3> groups_ = {nullptr, nullptr, nullptr};
  torch::nn::BatchNorm2d bn1_{nullptr};
  torch::nn::Linear fc_{nullptr};
};

constexpr WideResNetVariant kWrn16x1{
    "wrn_16_1", "Wide ResNet 16-1 for CIFAR (RepDistiller wrn_16_1)", 16, 1};
constexpr WideResNetVariant kWrn16x2{
    "wrn_16_2", "Wide ResNet 16-2 for CIFAR (RepDistiller wrn_16_2)", 16, 2};
constexpr WideResNetVariant kWrn40x1{
    "wrn_40_1", "Wide ResNet 40-1 for CIFAR (RepDistiller wrn_40_1)", 40, 1};
constexpr WideResNetVariant kWrn40x2{
    "wrn_40_2", "Wide ResNet 40-2 for CIFAR (RepDistiller wrn_40_2)", 40, 2};

}  // namespace

KD_REGISTER(Backbone, ZooPlugin<kWrn16x1>, "wrn_16_1");
KD_REGISTER(Backbone, ZooPlugin<kWrn16x2>, "wrn_16_2");
KD_REGISTER(Backbone, ZooPlugin<kWrn40x1>, "wrn_40_1");
KD_REGISTER(Backbone, ZooPlugin<kWrn40x2>, "wrn_40_2");

}  // namespace kd
