// MobileNetV2 as RepDistiller's models/mobilenetv2.py `mobile_half` defines
// it for CIFAR: expansion 6, width multiplier 0.5 (channels 16, then 8, 12,
// 16, 32, 48, 80, 160 in seven groups of 1, 2, 3, 4, 3, 3, 1 inverted
// residual blocks with strides 1, 1, 2, 2, 1, 2, 1), a stride-2 3x3 stem
// "conv1", a 1x1 "conv2" to 1280 channels, global average pooling and a
// Linear "classifier.0". Inverted residual "conv": 1x1 expand - BN - ReLU -
// depthwise 3x3 - BN - ReLU - 1x1 project - BN, plus the input when the
// stride is 1 and the width unchanged. Convolutions: N(0, sqrt(2/(k*k*out)));
// classifier: N(0, 0.01), bias 0.
//
// Stage features (as the reference's feature list): the stem, groups 1, 2, 4
// and 6's outputs (32x32 input: 16, 16, 8, 4, 2 pixels). The group outputs
// have no activation (linear bottlenecks), and the reference returns the same
// list for pre-activations, so preact_stage_features equals stage_features.
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "backbones/backbone.h"
#include "backbones/layers.h"
#include "kd/registry.h"

namespace kd {
namespace {

class InvertedResidualImpl : public torch::nn::Module {
 public:
  InvertedResidualImpl(int64_t in_channels, int64_t out_channels,
                       int64_t stride, int64_t expansion)
      : residual_(stride == 1 && in_channels == out_channels) {
    const int64_t hidden = in_channels * expansion;
    torch::nn::Sequential conv;
    AppendConvBn(conv, MakeConv(in_channels, hidden, 1, 1, 0));
    conv->push_back(torch::nn::ReLU());
    AppendConvBn(conv, MakeConv(hidden, hidden, 3, stride, 1, hidden));
    conv->push_back(torch::nn::ReLU());
    AppendConvBn(conv, MakeConv(hidden, out_channels, 1, 1, 0));
    conv_ = register_module("conv", conv);
  }

  torch::Tensor forward(const torch::Tensor& x) {
    return residual_ ? x + conv_->forward(x) : conv_->forward(x);
  }

 private:
  bool residual_;
  torch::nn::Sequential conv_{nullptr};
};
TORCH_MODULE(InvertedResidual);

class MobileNetV2;

struct MobileNetV2Variant {
  using Network = MobileNetV2;
  const char* name;
  const char* doc;
  int64_t expansion;
  double width_multiplier;
};

// (expansion or 0 for the variant's, channels, blocks, stride) per group.
struct GroupSetting {
  int64_t expansion;
  int64_t channels;
  int blocks;
  int64_t stride;
};

class MobileNetV2 : public ZooBackbone {
 public:
  MobileNetV2(const MobileNetV2Variant& variant, const BackboneConfig& config)
      : ZooBackbone(variant.name, config.in_channels, LastChannels(variant),
                    {Width(32, variant), Width(24, variant), Width(32, variant),
                     Width(96, variant), Width(320, variant)},
                    /*native_input_size=*/32) {
    const int64_t t = variant.expansion;
    const GroupSetting settings[7] = {
        {1, 16, 1, 1}, {t, 24, 2, 1},  {t, 32, 3, 2}, {t, 64, 4, 2},
        {t, 96, 3, 1}, {t, 160, 3, 2}, {t, 320, 1, 1}};
    int64_t in = Width(32, variant);
    torch::nn::Sequential conv1;
    AppendConvBn(conv1, MakeConv(config.in_channels, in, 3, 2, 1));
    conv1->push_back(torch::nn::ReLU());
    conv1_ = register_module("conv1", conv1);
    torch::nn::ModuleList blocks;
    for (int g = 0; g < 7; ++g) {
      const int64_t out = Width(settings[g].channels, variant);
      torch::nn::Sequential group;
      for (int b = 0; b < settings[g].blocks; ++b) {
        group->push_back(InvertedResidual(
            in, out, b == 0 ? settings[g].stride : 1, settings[g].expansion));
        in = out;
      }
      blocks->push_back(group);
      groups_[g] = group;
    }
    register_module("blocks", blocks);
    const int64_t last = LastChannels(variant);
    torch::nn::Sequential conv2;
    AppendConvBn(conv2, MakeConv(in, last, 1, 1, 0));
    conv2->push_back(torch::nn::ReLU());
    conv2_ = register_module("conv2", conv2);
    classifier_ = register_module(
        "classifier",
        torch::nn::Sequential(torch::nn::Linear(last, config.num_classes)));
    InitializeWeights(*this, ConvInit::kHeNormalFanOut, LinearInit::kNormal001);
  }

  BackboneOutput Forward(const torch::Tensor& images) override {
    CheckInput(images, /*min_side=*/1);
    BackboneOutput out;
    torch::Tensor x = conv1_->forward(images);
    out.stage_features.push_back(x);
    for (int g = 0; g < 7; ++g) {
      x = groups_[g]->forward(x);
      if (g == 1 || g == 2 || g == 4 || g == 6) out.stage_features.push_back(x);
    }
    out.preact_stage_features = out.stage_features;
    out.pooled = GlobalAvgPool(conv2_->forward(x));
    out.logits = classifier_->forward(out.pooled);
    return out;
  }

 private:
  static int64_t Width(int64_t channels, const MobileNetV2Variant& variant) {
    return static_cast<int64_t>(channels * variant.width_multiplier);
  }
  static int64_t LastChannels(const MobileNetV2Variant& variant) {
    return variant.width_multiplier > 1.0 ? Width(1280, variant) : 1280;
  }

  torch::nn::Sequential conv1_{nullptr}, conv2_{nullptr}, classifier_{nullptr};
  std::array<torch::nn::Sequential, 7> groups_ = {
      nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
};

constexpr MobileNetV2Variant kMobileHalf{
    "MobileNetV2",
    "MobileNetV2 for CIFAR, expansion 6, width 0.5 (RepDistiller "
    "mobile_half)",
    6, 0.5};

}  // namespace

KD_REGISTER(Backbone, ZooPlugin<kMobileHalf>, "MobileNetV2");

}  // namespace kd
