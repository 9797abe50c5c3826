#include "backbones/layers.h"

#include <torch/nn/functional/activation.h>
#include <torch/nn/init.h>
#include <torch/nn/modules/conv.h>

#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"

namespace kd {

torch::nn::Conv2d MakeConv(int64_t in_channels, int64_t out_channels,
                           int64_t kernel, int64_t stride, int64_t padding,
                           int64_t groups, bool bias) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in_channels, out_channels, kernel)
          .stride(stride)
          .padding(padding)
          .groups(groups)
          .bias(bias));
}

FoldableBatchNorm2dImpl::FoldableBatchNorm2dImpl(torch::nn::Conv2d conv,
                                                 int64_t channels)
    : conv_(std::move(conv)), channels_(channels) {
  reset();
}

void FoldableBatchNorm2dImpl::reset() {
  weight = register_parameter("weight", torch::ones({channels_}));
  bias = register_parameter("bias", torch::zeros({channels_}));
  running_mean = register_buffer("running_mean", torch::zeros({channels_}));
  running_var = register_buffer("running_var", torch::ones({channels_}));
  num_batches_tracked =
      register_buffer("num_batches_tracked", torch::tensor(0, torch::kLong));
}

torch::Tensor FoldableBatchNorm2dImpl::forward(const torch::Tensor& x) {
  if (folded_) return x;
  if (is_training()) num_batches_tracked += 1;
  if (is_training() && gather_) return SynchronizedForward(x);
  return torch::batch_norm(x, weight, bias, running_mean, running_var,
                           is_training(), kMomentum, kEps,
                           /*cudnn_enabled=*/true);
}

// Each replica's count, mean and sum of squared deviations (two-pass, as
// torch::batch_norm), combined with Chan et al.'s parallel variance formula.
torch::Tensor FoldableBatchNorm2dImpl::SynchronizedForward(
    const torch::Tensor& x) {
  // Statistics in at least float32 (bf16 activations under autocast).
  const torch::Tensor xf =
      x.to(at::promote_types(x.scalar_type(), torch::kFloat));
  const int64_t c = channels_;
  const torch::Tensor mean = xf.mean({0, 2, 3});
  const torch::Tensor m2 =
      (xf - mean.view({1, c, 1, 1})).square().sum({0, 2, 3});
  const torch::Tensor count =
      torch::full({1}, static_cast<double>(xf.numel() / c), xf.options());
  const torch::Tensor all = gather_(torch::cat({count, mean, m2}));
  const torch::Tensor counts = all.narrow(1, 0, 1);  // [W, 1]
  const torch::Tensor n = counts.sum();
  const torch::Tensor global_mean = (all.narrow(1, 1, c) * counts).sum(0) / n;
  const torch::Tensor global_m2 =
      (all.narrow(1, 1 + c, c) +
       counts * (all.narrow(1, 1, c) - global_mean).square())
          .sum(0);
  const torch::Tensor var = global_m2 / n;
  {
    torch::NoGradGuard no_grad;
    running_mean.mul_(1 - kMomentum).add_(global_mean.detach() * kMomentum);
    running_var.mul_(1 - kMomentum)
        .add_(global_m2.detach() / (n.detach() - 1) * kMomentum);
  }
  const torch::Tensor scale = weight * torch::rsqrt(var + kEps);
  const torch::Tensor y =
      (xf - global_mean.view({1, c, 1, 1})) * scale.view({1, c, 1, 1}) +
      bias.view({1, c, 1, 1});
  return y.to(x.scalar_type());
}

void FoldableBatchNorm2dImpl::FoldIntoConv() {
  if (folded_) return;
  torch::NoGradGuard no_grad;
  const torch::Tensor scale = weight * torch::rsqrt(running_var + kEps);
  const torch::Tensor& w = conv_->weight;
  w.mul_(scale.reshape({-1, 1, 1, 1}));
  const torch::Tensor bias =
      conv_->bias.defined() ? conv_->bias : torch::zeros_like(running_mean);
  const torch::Tensor folded_bias = this->bias + (bias - running_mean) * scale;
  if (conv_->bias.defined()) {
    conv_->bias.copy_(folded_bias);
  } else {
    // A convolution without bias still holds an (undefined) "bias"
    // parameter; the folded one is a buffer, so that it moves with the
    // network's .to(device).
    conv_->bias = conv_->register_buffer("folded_bias", folded_bias);
  }
  folded_ = true;
}

void AppendConvBn(torch::nn::Sequential& sequence, torch::nn::Conv2d conv) {
  const int64_t channels = conv->options.out_channels();
  sequence->push_back(conv);
  sequence->push_back(FoldableBatchNorm2d(conv, channels));
}

void FoldableBatchNorm2dImpl::pretty_print(std::ostream& stream) const {
  stream << "kd::FoldableBatchNorm2d(" << channels_
         << (folded_ ? ", folded into its convolution)" : ")");
}

int FoldBatchNorm(torch::nn::Module& root) {
  root.eval();
  int folded = 0;
  for (const std::shared_ptr<torch::nn::Module>& module :
       root.modules(/*include_self=*/false)) {
    if (auto* bn = module->as<FoldableBatchNorm2dImpl>()) {
      if (bn->folded()) continue;
      bn->FoldIntoConv();
      ++folded;
    }
  }
  return folded;
}

int SynchronizeBatchNorm(torch::nn::Module& root,
                         FoldableBatchNorm2dImpl::ReplicaGather gather) {
  int synchronized = 0;
  for (const std::shared_ptr<torch::nn::Module>& module :
       root.modules(/*include_self=*/false)) {
    if (auto* bn = module->as<FoldableBatchNorm2dImpl>()) {
      bn->set_replica_gather(gather);
      ++synchronized;
    }
  }
  return synchronized;
}

void InitializeWeights(torch::nn::Module& root, ConvInit conv,
                       LinearInit linear) {
  torch::NoGradGuard no_grad;
  for (const std::shared_ptr<torch::nn::Module>& module :
       root.modules(/*include_self=*/false)) {
    if (auto* c = module->as<torch::nn::Conv2dImpl>()) {
      if (conv == ConvInit::kHeNormalFanOut) {
        const auto& w = c->weight;
        const double fan_out =
            static_cast<double>(w.size(0) * w.size(2) * w.size(3));
        w.normal_(0.0, std::sqrt(2.0 / fan_out));
        if (c->bias.defined()) c->bias.zero_();
      }
    } else if (auto* bn = module->as<torch::nn::BatchNorm2dImpl>()) {
      bn->weight.fill_(1.0);
      bn->bias.zero_();
    } else if (auto* bn = module->as<FoldableBatchNorm2dImpl>()) {
      bn->weight.fill_(1.0);
      bn->bias.zero_();
    } else if (auto* l = module->as<torch::nn::LinearImpl>()) {
      if (linear == LinearInit::kNormal001) l->weight.normal_(0.0, 0.01);
      if (linear != LinearInit::kPyTorchDefault && l->bias.defined()) {
        l->bias.zero_();
      }
    }
  }
}

torch::Tensor GlobalAvgPool(const torch::Tensor& x) { return x.mean({2, 3}); }

torch::Tensor ChannelShuffle(const torch::Tensor& x, int64_t groups) {
  const int64_t n = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  return x.view({n, groups, c / groups, h, w})
      .transpose(1, 2)
      .reshape({n, c, h, w});
}

absl::Status ValidateBackboneConfig(const std::string& network,
                                    const BackboneConfig& config) {
  if (config.num_classes < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        network, ": num_classes must be >= 1, got ", config.num_classes));
  }
  if (config.in_channels < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        network, ": in_channels must be >= 1, got ", config.in_channels));
  }
  return absl::OkStatus();
}

ZooBackbone::ZooBackbone(std::string network, int64_t in_channels,
                         int64_t feature_dim,
                         std::vector<int64_t> stage_channels,
                         int64_t native_input_size)
    : network_(std::move(network)),
      in_channels_(in_channels),
      feature_dim_(feature_dim),
      stage_channels_(std::move(stage_channels)),
      native_input_size_(native_input_size) {}

void ZooBackbone::CheckInput(const torch::Tensor& images,
                             int64_t min_side) const {
  TORCH_CHECK(images.defined() && images.dim() == 4 &&
                  images.size(1) == in_channels_ && images.is_floating_point(),
              network_, ": expected a floating [B, ", in_channels_,
              ", H, W] image batch, got ",
              images.defined() ? images.sizes() : c10::IntArrayRef{},
              images.defined() ? " " : "an undefined tensor",
              images.defined() ? c10::toString(images.scalar_type()) : "");
  TORCH_CHECK(images.size(2) >= min_side && images.size(3) >= min_side,
              network_, ": input ", images.size(2), "x", images.size(3),
              " is smaller than the smallest side this network supports (",
              min_side, ")");
}

void ZooBackbone::RegisterStem(int64_t channels, int64_t kernel) {
  stem_conv_ = register_module(
      "conv1", MakeConv(in_channels_, channels, kernel, 1, kernel / 2));
  stem_bn_ = register_module("bn1", FoldableBatchNorm2d(stem_conv_, channels));
}

torch::Tensor ZooBackbone::RunStem(const torch::Tensor& images,
                                   BackboneOutput* out) {
  torch::Tensor x = torch::relu(stem_bn_(stem_conv_(images)));
  out->stage_features.push_back(x);
  out->preact_stage_features.push_back(x);
  return x;
}

}  // namespace kd
