// The VGGs of RepDistiller's models/vgg.py, batch-norm versions (which its
// model_dict registers as vgg8 ... vgg19): five blocks "block0".."block4" of
// conv3x3(bias)-BN-ReLU layers whose last ReLU is left out, 2x2 max pools
// after blocks 0, 1 and 2 (and after block 3 only for 64x64 inputs, as in the
// reference), ReLU after each block, global average pooling and a
// Linear(512, classes) "classifier". Convolutions: N(0, sqrt(2/(k*k*out))),
// bias 0; classifier: N(0, 0.01), bias 0.
//
// Stage features: each block's output after its ReLU; pre-activations: block
// 0's after ReLU (as the reference), then blocks 1-4 before their ReLU.
#include <torch/nn/functional/activation.h>
#include <torch/nn/functional/pooling.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "backbones/backbone.h"
#include "backbones/layers.h"
#include "kd/registry.h"

namespace kd {
namespace {

class Vgg;

struct VggVariant {
  using Network = Vgg;
  const char* name;
  const char* doc;
  std::array<int, 5> convs_per_block;  // widths are 64, 128, 256, 512, 512
};

class Vgg : public ZooBackbone {
 public:
  Vgg(const VggVariant& variant, const BackboneConfig& config)
      : ZooBackbone(variant.name, config.in_channels, 512,
                    {64, 128, 256, 512, 512}, /*native_input_size=*/32) {
    const int64_t widths[5] = {64, 128, 256, 512, 512};
    int64_t in = config.in_channels;
    for (int b = 0; b < 5; ++b) {
      torch::nn::Sequential block;
      for (int i = 0; i < variant.convs_per_block[b]; ++i) {
        if (i > 0) block->push_back(torch::nn::ReLU());
        AppendConvBn(block, MakeConv(in, widths[b], 3, 1, 1, 1, /*bias=*/true));
        in = widths[b];
      }
      blocks_[b] = register_module(absl::StrCat("block", b), block);
    }
    classifier_ = register_module("classifier",
                                  torch::nn::Linear(512, config.num_classes));
    InitializeWeights(*this, ConvInit::kHeNormalFanOut, LinearInit::kNormal001);
  }

  BackboneOutput Forward(const torch::Tensor& images) override {
    CheckInput(images, /*min_side=*/8);
    const bool pool_after_block3 = images.size(2) == 64;
    BackboneOutput out;
    torch::Tensor x = torch::relu(blocks_[0]->forward(images));
    out.stage_features.push_back(x);
    out.preact_stage_features.push_back(x);
    for (int b = 1; b < 5; ++b) {
      if (b < 4 || pool_after_block3) x = torch::max_pool2d(x, 2, 2);
      torch::Tensor preact = blocks_[b]->forward(x);
      x = torch::relu(preact);
      out.preact_stage_features.push_back(preact);
      out.stage_features.push_back(x);
    }
    out.pooled = GlobalAvgPool(x);
    out.logits = classifier_(out.pooled);
    return out;
  }

 private:
  std::array<torch::nn::Sequential, 5> blocks_ = {nullptr, nullptr, nullptr,
                                                  nullptr, nullptr};
  torch::nn::Linear classifier_{nullptr};
};

constexpr VggVariant kVgg8{
    "vgg8", "VGG-8 with BN for CIFAR (RepDistiller vgg8)", {1, 1, 1, 1, 1}};
constexpr VggVariant kVgg11{
    "vgg11", "VGG-11 with BN for CIFAR (RepDistiller vgg11)", {1, 1, 2, 2, 2}};
constexpr VggVariant kVgg13{
    "vgg13", "VGG-13 with BN for CIFAR (RepDistiller vgg13)", {2, 2, 2, 2, 2}};
constexpr VggVariant kVgg16{
    "vgg16", "VGG-16 with BN for CIFAR (RepDistiller vgg16)", {2, 2, 3, 3, 3}};
constexpr VggVariant kVgg19{
    "vgg19", "VGG-19 with BN for CIFAR (RepDistiller vgg19)", {2, 2, 4, 4, 4}};

}  // namespace

KD_REGISTER(Backbone, ZooPlugin<kVgg8>, "vgg8");
KD_REGISTER(Backbone, ZooPlugin<kVgg11>, "vgg11");
KD_REGISTER(Backbone, ZooPlugin<kVgg13>, "vgg13");
KD_REGISTER(Backbone, ZooPlugin<kVgg16>, "vgg16");
KD_REGISTER(Backbone, ZooPlugin<kVgg19>, "vgg19");

}  // namespace kd
