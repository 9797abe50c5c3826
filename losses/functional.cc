#include "losses/functional.h"

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "graph/pairwise.h"

namespace kd {

torch::Tensor SoftmaxKl(const torch::Tensor& target_logits,
                        const torch::Tensor& logits, double temperature) {
  const torch::Tensor log_p = at::log_softmax(target_logits / temperature, 1);
  const torch::Tensor log_q = at::log_softmax(logits / temperature, 1);
  return (log_p.exp() * (log_p - log_q)).sum() / logits.size(0);
}

torch::Tensor LabelAwareNce(const torch::Tensor& a, const torch::Tensor& b,
                            const torch::Tensor& labels, double temperature) {
  constexpr double kLogEps = 1e-10;
  const torch::Tensor cos =
      NormaliseRows(a, 1e-12).mm(NormaliseRows(b, 1e-12).t());
  const torch::Tensor p = at::softmax(cos / temperature, 1);
  const torch::Tensor positive =
      labels.unsqueeze(1).eq(labels.unsqueeze(0)).to(p.scalar_type());
  const torch::Tensor negative = 1 - positive;
  const torch::Tensor pos_term =
      (-(p + kLogEps).log() * positive).sum(1) / positive.sum(1);
  const torch::Tensor neg_term = (-(1 - p + kLogEps).log() * negative).sum(1) /
                                 negative.sum(1).clamp_min(1);
  return (pos_term + neg_term).mean();
}

absl::StatusOr<double> Temperature(absl::string_view loss,
                                   const Options& options) {
  const double t = options.GetDouble("T");
  if (!(t > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(loss, ": T must be > 0 (found ", t, ")"));
  }
  return t;
}

torch::Tensor StandardizeLogits(const torch::Tensor& logits) {
  constexpr double kStdEps = 1e-7;
  const torch::Tensor mean = logits.mean(1, /*keepdim=*/true);
  const torch::Tensor std = logits.std(1, /*unbiased=*/true, /*keepdim=*/true);
  return (logits - mean) / (std + kStdEps);
}

OptionSpec LogitStandardization::Option() {
  return {"standardize", OptionType::kBool, "false",
          "logit standardisation (Sun et al. 2024): z-score each logit row "
          "before the temperature"};
}

LogitStandardization::LogitStandardization(const Options& options)
    : enabled_(options.GetBool("standardize")) {}

torch::Tensor LogitStandardization::operator()(
    const torch::Tensor& logits) const {
  return enabled_ ? StandardizeLogits(logits) : logits;
}

}  // namespace kd
