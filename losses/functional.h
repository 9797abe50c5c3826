// Loss maths used by more than one loss plugin (KD, CCL and DKD share the
// tempered KL divergence; NCE and CCL share the label-aware contrastive
// loss; every logit loss shares logit standardisation). Plain differentiable
// functions; inputs are assumed checked.
#ifndef LOSSES_FUNCTIONAL_H_
#define LOSSES_FUNCTIONAL_H_

#include <torch/types.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kd/options.h"

namespace kd {

// KL(p || q) with p = softmax(target_logits / T), q = softmax(logits / T):
// summed over classes, averaged over the batch (F.kl_div(log q, p,
// reduction='batchmean')). Without the T^2 factor of Hinton's KD.
torch::Tensor SoftmaxKl(const torch::Tensor& target_logits,
                        const torch::Tensor& logits, double temperature);

// CCL's label-aware in-batch contrastive loss between anchors a [B, D] and
// candidates b [B, D]: rows L2-normalised (eps 1e-12, F.normalize),
// P = row-softmax(a b^T / T); for row i, positives are the j with
// labels[j] == labels[i] (j = i included), negatives the others; per row
// mean_pos(-log(P + 1e-10)) + mean_neg(-log(1 - P + 1e-10)); mean over rows.
// A row without negatives (every label equal) has a negative term of 0
// (the reference divides 0 by 0 and yields NaN).
torch::Tensor LabelAwareNce(const torch::Tensor& a, const torch::Tensor& b,
                            const torch::Tensor& labels, double temperature);

// The softmax temperature option "T" of a logit loss: its value, or
// INVALID_ARGUMENT "<loss>: T must be > 0 (found ...)".
absl::StatusOr<double> Temperature(absl::string_view loss,
                                   const Options& options);

// Logit standardisation (Sun et al., CVPR 2024, "Logit Standardization in
// Knowledge Distillation"): each row of `logits` [B, K] minus its mean,
// divided by (its unbiased standard deviation + 1e-7), as the paper's code.
// A constant row becomes 0 (a uniform distribution), with a finite gradient.
torch::Tensor StandardizeLogits(const torch::Tensor& logits);

// The `standardize` option of every logit loss (kd, dkd, dist, ccl), declared
// and applied in one place:
//
//   static OptionSchema Schema() { return {...,
//   LogitStandardization::Option()}; } LogitStandardization
//   standardize_(options);      // in Create zs = standardize_(logits.student);
//   // before the temperature
class LogitStandardization {
 public:
  // {"standardize", bool, "false", ...}: its schema entry.
  static OptionSpec Option();
  // Reads the option from `options` (whose schema holds Option()).
  explicit LogitStandardization(const Options& options);
  // StandardizeLogits(logits) when the option is on, else `logits` itself.
  torch::Tensor operator()(const torch::Tensor& logits) const;
  bool enabled() const { return enabled_; }

 private:
  bool enabled_;
};

}  // namespace kd

#endif  // LOSSES_FUNCTIONAL_H_
