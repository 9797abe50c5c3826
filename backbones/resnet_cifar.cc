// The CIFAR ResNets of RepDistiller's models/resnet.py: resnet8 ... resnet110
// (widths 16-16-32-64) and resnet8x4 / resnet32x4 (widths 32-64-128-256).
// A 3x3 stem, three stages of n = (depth - 2) / 6 basic blocks (strides 1, 2,
// 2), a 1x1-conv + BN "downsample" shortcut wherever the shape changes,
// global average pooling and "fc". Convolutions: He normal (fan_out); fc: the
// PyTorch default.
//
// Stage features (as the reference's feature list): the stem after its ReLU,
// then each stage's output; pre-activations: the stem, then each stage's last
// block before its final ReLU.
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

// conv3x3-BN-ReLU-conv3x3-BN, plus the shortcut, then ReLU.
class CifarBasicBlockImpl : public torch::nn::Module {
 public:
  CifarBasicBlockImpl(int64_t in_channels, int64_t out_channels,
                      int64_t stride) {
    conv1_ = register_module("conv1",
                             MakeConv(in_channels, out_channels, 3, stride, 1));
    bn1_ = register_module("bn1", FoldableBatchNorm2d(conv1_, out_channels));
    conv2_ =
        register_module("conv2", MakeConv(out_channels, out_channels, 3, 1, 1));
    bn2_ = register_module("bn2", FoldableBatchNorm2d(conv2_, out_channels));
    if (stride != 1 || in_channels != out_channels) {
      torch::nn::Sequential downsample;
      AppendConvBn(downsample,
                   MakeConv(in_channels, out_channels, 1, stride, 0));
      downsample_ = register_module("downsample", downsample);
    }
  }

  // {output, output before the final ReLU}.
  std::pair<torch::Tensor, torch::Tensor> forward(const torch::Tensor& x) {
    torch::Tensor out = torch::relu(bn1_(conv1_(x)));
    out = bn2_(conv2_(out));
    torch::Tensor preact = out + (downsample_ ? downsample_->forward(x) : x);
    return {torch::relu(preact), preact};
  }

 private:
  torch::nn::Conv2d conv1_{nullptr}, conv2_{nullptr};
  FoldableBatchNorm2d bn1_{nullptr}, bn2_{nullptr};
  torch::nn::Sequential downsample_{nullptr};
};
TORCH_MODULE(CifarBasicBlock);

class CifarResNet;

// One registered network of the family.
struct CifarResNetVariant {
  using Network = CifarResNet;
  const char* name;
  const char* doc;
  int depth;
  std::array<int64_t, 4> widths;  // stem, stage 1, stage 2, stage 3
};

class CifarResNet : public ZooBackbone {
 public:
  CifarResNet(const CifarResNetVariant& variant, const BackboneConfig& config)
      : ZooBackbone(variant.name, config.in_channels, variant.widths[3],
                    {variant.widths.begin(), variant.widths.end()},
                    /*native_input_size=*/32) {
    const std::array<int64_t, 4>& widths = variant.widths;
    const int blocks_per_stage = (variant.depth - 2) / 6;
    RegisterStem(widths[0], /*kernel=*/3);
    int64_t in = widths[0];
    const int64_t strides[3] = {1, 2, 2};
    for (int s = 0; s < 3; ++s) {
      for (int b = 0; b < blocks_per_stage; ++b) {
        blocks_[s].emplace_back(in, widths[s + 1], b == 0 ? strides[s] : 1);
        in = widths[s + 1];
      }
      RegisterStage(s + 1, blocks_[s]);
    }
    fc_ =
        register_module("fc", torch::nn::Linear(widths[3], config.num_classes));
    InitializeWeights(*this, ConvInit::kHeNormalFanOut,
                      LinearInit::kPyTorchDefault);
  }

  BackboneOutput Forward(const torch::Tensor& images) override {
    CheckInput(images, /*min_side=*/1);
    BackboneOutput out;
    torch::Tensor x = RunStem(images, &out);
    for (auto& stage : blocks_) x = RunStage(stage, x, &out);
    out.pooled = GlobalAvgPool(x);
    out.logits = fc_(out.pooled);
    return out;
  }

 private:
  std::array<std::vector<CifarBasicBlock>, 3> blocks_;
  torch::nn::Linear fc_{nullptr};
};

constexpr std::array<int64_t, 4> kNarrow = {16, 16, 32, 64};
constexpr std::array<int64_t, 4> kWide = {32, 64, 128, 256};

constexpr CifarResNetVariant kResNet8{
    "resnet8", "CIFAR ResNet-8, widths 16-16-32-64 (RepDistiller resnet8)", 8,
    kNarrow};
constexpr CifarResNetVariant kResNet14{
    "resnet14", "CIFAR ResNet-14, widths 16-16-32-64 (RepDistiller resnet14)",
    14, kNarrow};
constexpr CifarResNetVariant kResNet20{
    "resnet20", "CIFAR ResNet-20, widths 16-16-32-64 (RepDistiller resnet20)",
    20, kNarrow};
constexpr CifarResNetVariant kResNet32{
    "resnet32", "CIFAR ResNet-32, widths 16-16-32-64 (RepDistiller resnet32)",
    32, kNarrow};
constexpr CifarResNetVariant kResNet44{
    "resnet44", "CIFAR ResNet-44, widths 16-16-32-64 (RepDistiller resnet44)",
    44, kNarrow};
constexpr CifarResNetVariant kResNet56{
    "resnet56", "CIFAR ResNet-56, widths 16-16-32-64 (RepDistiller resnet56)",
    56, kNarrow};
constexpr CifarResNetVariant kResNet110{
    "resnet110",
    "CIFAR ResNet-110, widths 16-16-32-64 (RepDistiller resnet110)", 110,
    kNarrow};
constexpr CifarResNetVariant kResNet8x4{
    "resnet8x4",
    "CIFAR ResNet-8, 4x wide, widths 32-64-128-256 (RepDistiller resnet8x4)", 8,
    kWide};
constexpr CifarResNetVariant kResNet32x4{
    "resnet32x4",
    "CIFAR ResNet-32, 4x wide, widths 32-64-128-256 (RepDistiller "
    "resnet32x4)",
    32, kWide};

}  // namespace

KD_REGISTER(Backbone, ZooPlugin<kResNet8>, "resnet8");
KD_REGISTER(Backbone, ZooPlugin<kResNet14>, "resnet14");
KD_REGISTER(Backbone, ZooPlugin<kResNet20>, "resnet20");
KD_REGISTER(Backbone, ZooPlugin<kResNet32>, "resnet32");
KD_REGISTER(Backbone, ZooPlugin<kResNet44>, "resnet44");
KD_REGISTER(Backbone, ZooPlugin<kResNet56>, "resnet56");
KD_REGISTER(Backbone, ZooPlugin<kResNet110>, "resnet110");
KD_REGISTER(Backbone, ZooPlugin<kResNet8x4>, "resnet8x4");
KD_REGISTER(Backbone, ZooPlugin<kResNet32x4>, "resnet32x4");

}  // namespace kd
