#include "kd/train/loss_scaler.h"

#include <torch/torch.h>

#include "absl/strings/str_cat.h"

namespace kd {

LossScaler::LossScaler(LossScalerOptions options)
    : options_(options), scale_(options.initial_scale) {}

torch::Tensor LossScaler::Scale(const torch::Tensor& loss) const {
  return loss * scale_;
}

bool LossScaler::Unscale(const std::vector<torch::Tensor>& params) {
  torch::NoGradGuard no_grad;
  const double inverse = 1.0 / scale_;
  // One sum per gradient and one host sync: a sum is finite exactly when
  // its terms are (inf - inf is NaN).
  std::vector<torch::Tensor> sums;
  for (const torch::Tensor& p : params) {
    torch::Tensor g = p.grad();
    if (!g.defined()) continue;
    g.mul_(inverse);
    sums.push_back(g.sum().to(torch::kDouble));
  }
  last_finite_ =
      sums.empty() || torch::stack(sums).sum().isfinite().item<bool>();
  return last_finite_;
}

void LossScaler::Update() {
  if (!last_finite_) {
    scale_ *= options_.backoff_factor;
    good_steps_ = 0;
    ++skipped_steps_;
    return;
  }
  if (++good_steps_ >= options_.growth_interval) {
    scale_ *= options_.growth_factor;
    good_steps_ = 0;
  }
}

void LossScaler::AddState(const std::string& prefix,
                          std::map<std::string, torch::Tensor>* out) const {
  (*out)[prefix + "scale"] = torch::tensor({scale_}, torch::kDouble);
  (*out)[prefix + "good_steps"] = torch::tensor({good_steps_}, torch::kInt64);
  (*out)[prefix + "skipped_steps"] =
      torch::tensor({skipped_steps_}, torch::kInt64);
}

absl::Status LossScaler::LoadState(
    const std::map<std::string, torch::Tensor>& in, const std::string& prefix,
    const std::string& source) {
  for (const char* name : {"scale", "good_steps", "skipped_steps"}) {
    auto it = in.find(prefix + name);
    if (it == in.end() || !it->second.defined() || it->second.numel() != 1) {
      return absl::InvalidArgumentError(
          absl::StrCat(source, ": no loss-scaler entry ", prefix, name,
                       " (a checkpoint of a run without --precision=fp16?)"));
    }
  }
  scale_ = in.at(prefix + "scale").item<double>();
  good_steps_ = in.at(prefix + "good_steps").item<int64_t>();
  skipped_steps_ = in.at(prefix + "skipped_steps").item<int64_t>();
  return absl::OkStatus();
}

}  // namespace kd
