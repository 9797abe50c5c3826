// ShuffleV2 of RepDistiller's models/ShuffleNetv2.py: ShuffleNet v2 1x
// (widths 116-232-464, 3-7-3 units, final 1x1 conv to 1024) for CIFAR (a 1x1
// 24-channel stem, no max pooling). Each stage starts with a stride-2
// "DownBlock" (left: depthwise 3x3/2 - BN - 1x1 - BN - ReLU; right: 1x1 - BN -
// ReLU - depthwise 3x3/2 - BN - 1x1 - BN - ReLU; concatenated, shuffled), then
// basic units that split the channels in half, transform the second half
// (1x1 - BN - ReLU - depthwise 3x3 - BN - 1x1 - BN - ReLU), concatenate and
// shuffle. Then conv2 (1x1) - bn2 - ReLU, global average pooling, "linear".
// PyTorch default initialisation (the reference sets none).
//
// Stage features: the stem after its ReLU, then each stage's output;
// pre-activations: the stem, then each stage's last unit as the concatenation
// of the untouched half and the transformed half before its ReLU (unshuffled,
// as the reference).
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

constexpr int64_t kStemChannels = 24;

class ShuffleV2DownImpl : public torch::nn::Module {
 public:
  ShuffleV2DownImpl(int64_t in_channels, int64_t out_channels) {
    const int64_t mid = out_channels / 2;
    conv1_ = register_module(
        "conv1", MakeConv(in_channels, in_channels, 3, 2, 1, in_channels));
    bn1_ = register_module("bn1", FoldableBatchNorm2d(conv1_, in_channels));
    conv2_ = register_module("conv2", MakeConv(in_channels, mid, 1, 1, 0));
    bn2_ = register_module("bn2", FoldableBatchNorm2d(conv2_, mid));
    conv3_ = register_module("conv3", MakeConv(in_channels, mid, 1, 1, 0));
    bn3_ = register_module("bn3", FoldableBatchNorm2d(conv3_, mid));
    conv4_ = register_module("conv4", MakeConv(mid, mid, 3, 2, 1, mid));
    bn4_ = register_module("bn4", FoldableBatchNorm2d(conv4_, mid));
    conv5_ = register_module("conv5", MakeConv(mid, mid, 1, 1, 0));
    bn5_ = register_module("bn5", FoldableBatchNorm2d(conv5_, mid));
  }

  torch::Tensor forward(const torch::Tensor& x) {
    torch::Tensor left = torch::relu(bn2_(conv2_(bn1_(conv1_(x)))));
    torch::Tensor right = torch::relu(bn3_(conv3_(x)));
    right = torch::relu(bn5_(conv5_(bn4_(conv4_(right)))));
    return ChannelShuffle(torch::cat({left, right}, 1), 2);
  }

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr},
      conv4_{nullptr}, conv5_{nullptr};
  FoldableBatchNorm2d bn1_{nullptr}, bn2_{nullptr}, bn3_{nullptr},
      bn4_{nullptr}, bn5_{nullptr};
};
TORCH_MODULE(ShuffleV2Down);

class ShuffleV2UnitImpl : public torch::nn::Module {
 public:
  explicit ShuffleV2UnitImpl(int64_t channels) {
    const int64_t half = channels / 2;
    conv1_ = register_module("conv1", MakeConv(half, half, 1, 1, 0));
    bn1_ = register_module("bn1", FoldableBatchNorm2d(conv1_, half));
    conv2_ = register_module("conv2", MakeConv(half, half, 3, 1, 1, half));
    bn2_ = register_module("bn2", FoldableBatchNorm2d(conv2_, half));
    conv3_ = register_module("conv3", MakeConv(half, half, 1, 1, 0));
    bn3_ = register_module("bn3", FoldableBatchNorm2d(conv3_, half));
  }

  // {output, [kept half, transformed half before its ReLU]}.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x) {
    const int64_t half = x.size(1) / 2;
    torch::Tensor kept = x.narrow(1, 0, half);
    torch::Tensor out = torch::relu(bn1_(conv1_(x.narrow(1, half, half))));
    torch::Tensor preact = bn3_(conv3_(bn2_(conv2_(out))));
    torch::Tensor result =
        ChannelShuffle(torch::cat({kept, torch::relu(preact)}, 1), 2);
    return {result, torch::cat({kept, preact}, 1)};
  }

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr};
  FoldableBatchNorm2d bn1_{nullptr}, bn2_{nullptr}, bn3_{nullptr};
};
TORCH_MODULE(ShuffleV2Unit);

class ShuffleNetV2;

struct ShuffleNetV2Variant {
  using Network = ShuffleNetV2;
  const char* name;
  const char* doc;
  std::array<int64_t, 4> widths;  // three stages, then the final conv
  std::array<int, 3> units;
};

class ShuffleNetV2 : public ZooBackbone {
 public:
  ShuffleNetV2(const ShuffleNetV2Variant& variant, const BackboneConfig& config)
      : ZooBackbone(variant.name, config.in_channels, variant.widths[3],
                    {kStemChannels, variant.widths[0], variant.widths[1],
                     variant.widths[2]},
                    /*native_input_size=*/32) {
    RegisterStem(kStemChannels, /*kernel=*/1);
    int64_t in = kStemChannels;
    for (int s = 0; s < 3; ++s) {
      torch::nn::ModuleList stage;
      downs_[s] = ShuffleV2Down(in, variant.widths[s]);
      stage->push_back(downs_[s]);
      for (int u = 0; u < variant.units[s]; ++u) {
        ShuffleV2Unit unit(variant.widths[s]);
        stage->push_back(unit);
        units_[s].push_back(unit);
      }
      in = variant.widths[s];
      register_module(absl::StrCat("layer", s + 1), stage);
    }
    conv2_ = register_module("conv2", MakeConv(in, variant.widths[3], 1, 1, 0));
    bn2_ =
        register_module("bn2", FoldableBatchNorm2d(conv2_, variant.widths[3]));
    linear_ = register_module(
        "linear", torch::nn::Linear(variant.widths[3], config.num_classes));
  }

  BackboneOutput Forward(const torch::Tensor& images) override {
    CheckInput(images, /*min_side=*/1);
    BackboneOutput out;
    torch::Tensor x = RunStem(images, &out);
    for (int s = 0; s < 3; ++s) {
      x = RunStage(units_[s], downs_[s]->forward(x), &out);
    }
    out.pooled = GlobalAvgPool(torch::relu(bn2_(conv2_(x))));
    out.logits = linear_(out.pooled);
    return out;
  }

 private:
  torch::nn::Conv2d conv2_{nullptr};  // conv1 and bn1 are the stem
  FoldableBatchNorm2d bn2_{nullptr};
  std::array<ShuffleV2Down, 3> downs_ = {nullptr, nullptr, nullptr};
  std::array<std::vector<ShuffleV2Unit>, 3> units_;
  torch::nn::Linear linear_{nullptr};
};

constexpr ShuffleNetV2Variant kShuffleV2{
    "ShuffleV2",
    "ShuffleNet v2 1x, widths 116-232-464-1024, for CIFAR (RepDistiller "
    "ShuffleV2)",
    {116, 232, 464, 1024},
    {3, 7, 3}};

}  // namespace

KD_REGISTER(Backbone, ZooPlugin<kShuffleV2>, "ShuffleV2");

}  // namespace kd
