// Pieces shared by the model-zoo families (resnet_cifar.cc, wrn.cc, vgg.cc,
// ...): convolution construction, the reference weight initialisations,
// global pooling, channel shuffle, and ZooBackbone, the common base that
// answers Backbone's shape queries and holds the conv1-bn1 stem and the
// "layerN" stage plumbing of the ResNet and ShuffleNet families.
#ifndef BACKBONES_LAYERS_H_
#define BACKBONES_LAYERS_H_

#include <torch/nn/cloneable.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "backbones/backbone.h"
#include "kd/options.h"
#include "kd/status_macros.h"

namespace kd {

// A Conv2d with the reference's usual arguments (no bias unless asked).
torch::nn::Conv2d MakeConv(int64_t in_channels, int64_t out_channels,
                           int64_t kernel, int64_t stride, int64_t padding,
                           int64_t groups = 1, bool bias = false);

// How a family initialises its convolutions and linear layers. BatchNorm is
// always weight 1, bias 0 (every reference does that, and so does PyTorch).
enum class ConvInit {
  kPyTorchDefault,  // kaiming_uniform(a=sqrt(5)), as nn.Conv2d leaves it
  // N(0, sqrt(2 / (k*k*out_channels))), bias 0: both kaiming_normal_(
  // mode='fan_out', nonlinearity='relu') (resnet.py, resnetv2.py) and
  // normal_(0, sqrt(2/n)), n = k*k*out (wrn.py, vgg.py, mobilenetv2.py).
  kHeNormalFanOut,
};
enum class LinearInit {
  kPyTorchDefault,  // as nn.Linear leaves it
  kZeroBias,        // default weight, bias 0 (wrn.py)
  kNormal001,       // N(0, 0.01), bias 0 (vgg.py, mobilenetv2.py)
};
// A BatchNorm2d that directly follows the convolution `conv` (nothing in
// between), so that FoldBatchNorm can fold it into that convolution. Until
// then it computes what torch::nn::BatchNorm2d does (momentum 0.1, eps 1e-5,
// running statistics), with the same parameter and buffer names (weight,
// bias, running_mean, running_var, num_batches_tracked). A module of its own
// rather than a subclass: libtorch does not export what a subclass of
// BatchNorm2dImpl would link against.
class FoldableBatchNorm2dImpl
    : public torch::nn::Cloneable<FoldableBatchNorm2dImpl> {
 public:
  static constexpr double kMomentum = 0.1;
  static constexpr double kEps = 1e-5;

  FoldableBatchNorm2dImpl(torch::nn::Conv2d conv, int64_t channels);
  void reset() override;
  // BatchNorm of `x` (batch statistics in training mode, running ones in
  // eval mode); `x` itself once folded.
  torch::Tensor forward(const torch::Tensor& x);
  bool folded() const { return folded_; }
  // conv(x) then this BatchNorm in eval mode, as one convolution: conv's
  // weight scaled by gamma / sqrt(var + eps) per output channel, its bias
  // beta + (bias - mean) * gamma / sqrt(var + eps). Only for inference: the
  // convolution's weights are no longer the trained ones.
  void FoldIntoConv();
  void pretty_print(std::ostream& stream) const override;

  // Synchronised BatchNorm for data-parallel training: `gather` maps this
  // replica's [k] statistics to every replica's, [world_size, k], with
  // gradients (kd/dist/all_gather.h); in training mode the batch statistics
  // are then those of all replicas' batches together, as one process with
  // the whole batch computes them. Null (the default): this batch's own.
  using ReplicaGather = std::function<torch::Tensor(const torch::Tensor&)>;
  void set_replica_gather(ReplicaGather gather) { gather_ = std::move(gather); }

  torch::Tensor weight, bias, running_mean, running_var, num_batches_tracked;

 private:
  torch::Tensor SynchronizedForward(const torch::Tensor& x);

  torch::nn::Conv2d conv_;
  int64_t channels_;
  bool folded_ = false;
  ReplicaGather gather_;
};
TORCH_MODULE(FoldableBatchNorm2d);

// Makes every FoldableBatchNorm2d under `root` synchronised through `gather`
// (see set_replica_gather). Returns how many.
int SynchronizeBatchNorm(torch::nn::Module& root,
                         FoldableBatchNorm2dImpl::ReplicaGather gather);

// Appends `conv` and a FoldableBatchNorm2d of it to `sequence`.
void AppendConvBn(torch::nn::Sequential& sequence, torch::nn::Conv2d conv);

// Folds every FoldableBatchNorm2d under `root` into its convolution (see
// FoldableBatchNorm2dImpl::FoldIntoConv) and puts `root` in eval mode: the
// frozen teacher's inference form, equal to the eval-mode network up to
// float rounding. Returns how many were folded (already folded ones are
// skipped). The state dict of a folded network is not the trained one.
int FoldBatchNorm(torch::nn::Module& root);

// Re-initialises every Conv2d, BatchNorm2d (also FoldableBatchNorm2d) and
// Linear under `root`.
void InitializeWeights(torch::nn::Module& root, ConvInit conv,
                       LinearInit linear);

// [B, C, H, W] -> [B, C]: adaptive average pooling to 1x1, which is what the
// reference's fixed-size pools (AvgPool2d(8) at 32x32 ...) compute at the
// reference input size, for any input size.
torch::Tensor GlobalAvgPool(const torch::Tensor& x);

// ShuffleNet's channel shuffle: [N, g*c, H, W] viewed as [N, g, c, H, W],
// transposed to [N, c, g, H, W], flattened back.
torch::Tensor ChannelShuffle(const torch::Tensor& x, int64_t groups);

// INVALID_ARGUMENT unless num_classes >= 1 and in_channels >= 1.
absl::Status ValidateBackboneConfig(const std::string& network,
                                    const BackboneConfig& config);

// Base of the zoo's networks: stores what the shape queries return and
// checks the input of Forward.
class ZooBackbone : public Backbone {
 public:
  int64_t feature_dim() const override { return feature_dim_; }
  std::vector<int64_t> stage_channels() const override {
    return stage_channels_;
  }
  int64_t native_input_size() const override { return native_input_size_; }

 protected:
  ZooBackbone(std::string network, int64_t in_channels, int64_t feature_dim,
              std::vector<int64_t> stage_channels, int64_t native_input_size);

  // Throws c10::Error naming the network unless `images` is a floating
  // [B, in_channels, H, W] tensor with H, W >= min_side.
  void CheckInput(const torch::Tensor& images, int64_t min_side) const;

  // The stem of the ResNet and ShuffleNet families: registers "conv1"
  // (in_channels -> channels, kernel x kernel, stride 1, padding kernel / 2,
  // no bias) and "bn1". Call it before registering anything else, so that
  // the parameters come in the reference's order.
  void RegisterStem(int64_t channels, int64_t kernel);

  // ReLU(bn1(conv1(images))) of the stem, appended to both
  // out->stage_features and out->preact_stage_features (the references
  // report the stem after its ReLU in both lists).
  torch::Tensor RunStem(const torch::Tensor& images, BackboneOutput* out);

  // Registers `blocks` in order as the child "layer<index>" (the reference's
  // nn.Sequential layerN), so their parameters are named
  // "layer<index>.<i>.<name>".
  template <typename Block>
  void RegisterStage(int index, const std::vector<Block>& blocks) {
    torch::nn::ModuleList stage;
    for (const Block& block : blocks) stage->push_back(block);
    register_module(absl::StrCat("layer", index), stage);
  }

  // Runs one stage's blocks in order from `x`. Each block's forward returns
  // {output, output before its final ReLU}; the last block's pair is
  // appended to out->stage_features and out->preact_stage_features. Returns
  // the stage's output.
  template <typename Block>
  static torch::Tensor RunStage(std::vector<Block>& blocks, torch::Tensor x,
                                BackboneOutput* out) {
    torch::Tensor preact;
    for (Block& block : blocks) std::tie(x, preact) = block->forward(x);
    out->stage_features.push_back(x);
    out->preact_stage_features.push_back(preact);
    return x;
  }

 private:
  std::string network_;
  int64_t in_channels_;
  int64_t feature_dim_;
  std::vector<int64_t> stage_channels_;
  int64_t native_input_size_;
  torch::nn::Conv2d stem_conv_{nullptr};
  FoldableBatchNorm2d stem_bn_{nullptr};
};

// The plugin class of one network of a family, for KD_REGISTER. `kVariant`
// is a constexpr description of the network with `name` and `doc` members
// and a `Network` type constructible from (variant, BackboneConfig):
//
//   KD_REGISTER(Backbone, ZooPlugin<kResNet8>, "resnet8");
template <const auto& kVariant>
class ZooPlugin {
 public:
  using Variant = std::decay_t<decltype(kVariant)>;
  static constexpr const char* kDoc = kVariant.doc;
  static OptionSchema Schema() { return {}; }
  static absl::StatusOr<std::unique_ptr<Backbone>> Create(
      const Options& /*options*/, const BackboneConfig& config) {
    KD_RETURN_IF_ERROR(ValidateBackboneConfig(kVariant.name, config));
    return std::unique_ptr<Backbone>(
        new typename Variant::Network(kVariant, config));
  }
};

}  // namespace kd

#endif  // BACKBONES_LAYERS_H_
