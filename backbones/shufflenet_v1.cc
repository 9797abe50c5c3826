// ShuffleV1 of RepDistiller's models/ShuffleNetv1.py: ShuffleNet with 3
// groups, stage widths 240-480-960 and 4-8-4 units, for CIFAR (a 1x1 24-channel
// stem, no max pooling). Each unit: grouped 1x1 conv (1 group when its input
// is the 24-channel stem) - BN - ReLU - channel shuffle - depthwise 3x3
// (stride)
// - BN - ReLU - grouped 1x1 conv - BN; the first unit of a stage has stride 2
// and concatenates a 3x3/2 average pool of its input (so its conv branch
// makes out - in channels), the others add the input; then ReLU. Global
// average pooling, "linear". PyTorch default initialisation (the reference
// sets none).
//
// Stage features: the stem after its ReLU, then each stage's output;
// pre-activations: the stem, then each stage's last unit before its ReLU.
#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/pooling.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <array>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backbones/backbone.h"
#include "backbones/layers.h"
#include "kd/registry.h"

namespace kd {
namespace {

constexpr int64_t kStemChannels = 24;

class ShuffleV1UnitImpl : public torch::nn::Module {
 public:
  ShuffleV1UnitImpl(int64_t in_channels, int64_t out_channels, int64_t stride,
                    int64_t groups)
      : stride_(stride),
        first_groups_(in_channels == kStemChannels ? 1 : groups) {
    const int64_t mid = out_channels / 4;
    conv1_ = register_module(
        "conv1", MakeConv(in_channels, mid, 1, 1, 0, first_groups_));
    bn1_ = register_module("bn1", FoldableBatchNorm2d(conv1_, mid));
    conv2_ = register_module("conv2", MakeConv(mid, mid, 3, stride, 1, mid));
    bn2_ = register_module("bn2", FoldableBatchNorm2d(conv2_, mid));
    conv3_ =
        register_module("conv3", MakeConv(mid, out_channels, 1, 1, 0, groups));
    bn3_ = register_module("bn3", FoldableBatchNorm2d(conv3_, out_channels));
  }

  // {output, output before the final ReLU}.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x) {
    torch::Tensor out = torch::relu(bn1_(conv1_(x)));
    out = ChannelShuffle(out, first_groups_);
    out = torch::relu(bn2_(conv2_(out)));
    out = bn3_(conv3_(out));
    torch::Tensor preact =
        stride_ == 2 ? torch::cat({out, torch::avg_pool2d(x, 3, 2, 1)}, 1)
                     : out + x;
    return {torch::relu(preact), preact};
  }

 private:
  int64_t stride_;
  int64_t first_groups_;
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr};
  FoldableBatchNorm2d bn1_{nullptr}, bn2_{nullptr}, bn3_{nullptr};
};
TORCH_MODULE(ShuffleV1Unit);

class ShuffleNetV1;

struct ShuffleNetV1Variant {
  using Network = ShuffleNetV1;
  const char* name;
  const char* doc;
  std::array<int64_t, 3> widths;
  std::array<int, 3> units;
  int64_t groups;
};

class ShuffleNetV1 : public ZooBackbone {
 public:
  ShuffleNetV1(const ShuffleNetV1Variant& variant, const BackboneConfig& config)
      : ZooBackbone(variant.name, config.in_channels, variant.widths[2],
                    {kStemChannels, variant.widths[0], variant.widths[1],
                     variant.widths[2]},
                    /*native_input_size=*/32) {
    RegisterStem(kStemChannels, /*kernel=*/1);
    int64_t in = kStemChannels;
    for (int s = 0; s < 3; ++s) {
      for (int u = 0; u < variant.units[s]; ++u) {
        const bool first = u == 0;
        units_[s].emplace_back(in, variant.widths[s] - (first ? in : 0),
                               first ? 2 : 1, variant.groups);
        in = variant.widths[s];
      }
      RegisterStage(s + 1, units_[s]);
    }
    linear_ =
        register_module("linear", torch::nn::Linear(in, config.num_classes));
  }

  BackboneOutput Forward(const torch::Tensor& images) override {
    CheckInput(images, /*min_side=*/1);
    BackboneOutput out;
    torch::Tensor x = RunStem(images, &out);
    for (auto& stage : units_) x = RunStage(stage, x, &out);
    out.pooled = GlobalAvgPool(x);
    out.logits = linear_(out.pooled);
    return out;
  }

 private:
  std::array<std::vector<ShuffleV1Unit>, 3> units_;
  torch::nn::Linear linear_{nullptr};
};

constexpr ShuffleNetV1Variant kShuffleV1{
    "ShuffleV1",
    "ShuffleNet v1, 3 groups, widths 240-480-960, for CIFAR (RepDistiller "
    "ShuffleV1)",
    {240, 480, 960},
    {4, 8, 4},
    3};

}  // namespace

KD_REGISTER(Backbone, ZooPlugin<kShuffleV1>, "ShuffleV1");

}  // namespace kd
