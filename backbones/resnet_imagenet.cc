// ResNet18 / ResNet34 / ResNet50 as RepDistiller's models/resnetv2.py defines
// them (the "kuangliu" CIFAR adaptation of the ImageNet ResNets): a 3x3
// stride-1 64-channel stem without max pooling, four stages of basic (18, 34)
// or bottleneck (50, expansion 4) blocks at widths 64-128-256-512 and strides
// 1-2-2-2, a 1x1-conv + BN "shortcut" wherever the shape changes, global
// average pooling and "linear". Used here for TinyImageNet (64x64, native)
// and STL-10 (96x96); any size works. Convolutions: He normal (fan_out);
// linear: the PyTorch default.
//
// Stage features: the stem after its ReLU, then each stage's output;
// pre-activations: the stem, then each stage's last block before its final
// ReLU.
#include <torch/nn/functional/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
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

// Basic: conv3x3-BN-ReLU-conv3x3-BN. Bottleneck: conv1x1-BN-ReLU-conv3x3
// (stride)-BN-ReLU-conv1x1(4x)-BN. Then + shortcut, ReLU.
class ResNetBlockImpl : public torch::nn::Module {
 public:
  ResNetBlockImpl(int64_t in_channels, int64_t planes, int64_t stride,
                  bool bottleneck)
      : bottleneck_(bottleneck) {
    const int64_t out_channels = bottleneck ? 4 * planes : planes;
    if (bottleneck) {
      conv1_ = register_module("conv1", MakeConv(in_channels, planes, 1, 1, 0));
      bn1_ = register_module("bn1", FoldableBatchNorm2d(conv1_, planes));
      conv2_ = register_module("conv2", MakeConv(planes, planes, 3, stride, 1));
      bn2_ = register_module("bn2", FoldableBatchNorm2d(conv2_, planes));
      conv3_ =
          register_module("conv3", MakeConv(planes, out_channels, 1, 1, 0));
      bn3_ = register_module("bn3", FoldableBatchNorm2d(conv3_, out_channels));
    } else {
      conv1_ =
          register_module("conv1", MakeConv(in_channels, planes, 3, stride, 1));
      bn1_ = register_module("bn1", FoldableBatchNorm2d(conv1_, planes));
      conv2_ = register_module("conv2", MakeConv(planes, planes, 3, 1, 1));
      bn2_ = register_module("bn2", FoldableBatchNorm2d(conv2_, planes));
    }
    if (stride != 1 || in_channels != out_channels) {
      torch::nn::Sequential shortcut;
      AppendConvBn(shortcut, MakeConv(in_channels, out_channels, 1, stride, 0));
      shortcut_ = register_module("shortcut", shortcut);
    }
  }

  // {output, output before the final ReLU}.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x) {
    torch::Tensor out = torch::relu(bn1_(conv1_(x)));
    if (bottleneck_) {
      out = torch::relu(bn2_(conv2_(out)));
      out = bn3_(conv3_(out));
    } else {
      out = bn2_(conv2_(out));
    }
    torch::Tensor preact = out + (shortcut_ ? shortcut_->forward(x) : x);
    return {torch::relu(preact), preact};
  }

 private:
  bool bottleneck_;
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr}, conv3_{nullptr};
  FoldableBatchNorm2d bn1_{nullptr}, bn2_{nullptr}, bn3_{nullptr};
  torch::nn::Sequential shortcut_{nullptr};
};
TORCH_MODULE(ResNetBlock);

class ImageNetResNet;

struct ImageNetResNetVariant {
  using Network = ImageNetResNet;
  const char* name;
  const char* doc;
  std::array<int, 4> blocks_per_stage;
  bool bottleneck;
};

class ImageNetResNet : public ZooBackbone {
 public:
  ImageNetResNet(const ImageNetResNetVariant& variant,
                 const BackboneConfig& config)
      : ZooBackbone(variant.name, config.in_channels, 512 * Expansion(variant),
                    {64, 64 * Expansion(variant), 128 * Expansion(variant),
                     256 * Expansion(variant), 512 * Expansion(variant)},
                    /*native_input_size=*/64) {
    RegisterStem(64, /*kernel=*/3);
    const int64_t planes[4] = {64, 128, 256, 512};
    const int64_t strides[4] = {1, 2, 2, 2};
    int64_t in = 64;
    for (int s = 0; s < 4; ++s) {
      for (int b = 0; b < variant.blocks_per_stage[s]; ++b) {
        blocks_[s].emplace_back(in, planes[s], b == 0 ? strides[s] : 1,
                                variant.bottleneck);
        in = planes[s] * Expansion(variant);
      }
      RegisterStage(s + 1, blocks_[s]);
    }
    linear_ =
        register_module("linear", torch::nn::Linear(in, config.num_classes));
    InitializeWeights(*this, ConvInit::kHeNormalFanOut,
                      LinearInit::kPyTorchDefault);
  }

  BackboneOutput Forward(const torch::Tensor& images) override {
    CheckInput(images, /*min_side=*/1);
    BackboneOutput out;
    torch::Tensor x = RunStem(images, &out);
    for (auto& stage : blocks_) x = RunStage(stage, x, &out);
    out.pooled = GlobalAvgPool(x);
    out.logits = linear_(out.pooled);
    return out;
  }

 private:
  static int64_t Expansion(const ImageNetResNetVariant& variant) {
    return variant.bottleneck ? 4 : 1;
  }

  std::array<std::vector<ResNetBlock>, 4> blocks_;
  torch::nn::Linear linear_{nullptr};
};

constexpr ImageNetResNetVariant kResNet18{
    "ResNet18",
    "ResNet-18, 3x3 stem without max pooling (RepDistiller resnetv2 "
    "ResNet18), for 64x64 / 96x96 inputs",
    {2, 2, 2, 2},
    false};
constexpr ImageNetResNetVariant kResNet34{
    "ResNet34",
    "ResNet-34, 3x3 stem without max pooling (RepDistiller resnetv2 "
    "ResNet34), for 64x64 / 96x96 inputs",
    {3, 4, 6, 3},
    false};
constexpr ImageNetResNetVariant kResNet50{
    "ResNet50",
    "ResNet-50 (bottleneck), 3x3 stem without max pooling (RepDistiller "
    "resnetv2 ResNet50), for 64x64 / 96x96 inputs",
    {3, 4, 6, 3},
    true};

}  // namespace

KD_REGISTER(Backbone, ZooPlugin<kResNet18>, "ResNet18");
KD_REGISTER(Backbone, ZooPlugin<kResNet34>, "ResNet34");
KD_REGISTER(Backbone, ZooPlugin<kResNet50>, "ResNet50");

}  // namespace kd
