// Classification metrics on logits: top-k accuracy, per-class accuracy and
// confusion counts, accumulated over batches.
//
//   kd::eval::ClassificationMeter meter(num_classes);
//   for (batch ...) KD_RETURN_IF_ERROR(meter.Add(logits, targets));
//   meter.TopKAccuracy(1), meter.TopKAccuracy(5), meter.PerClassAccuracy()
#ifndef KD_EVAL_METRICS_H_
#define KD_EVAL_METRICS_H_

#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kd {
namespace eval {

// Number of rows of `logits` [N, C] whose target (int64 [N], in [0, C)) is
// among the k highest logits, for each k in `ks` (k is clamped to C). Ties
// are broken by at::topk. Errors: shapes, k < 1, target out of range.
absl::StatusOr<std::vector<int64_t>> CountTopKCorrect(
    const at::Tensor& logits, const at::Tensor& targets,
    const std::vector<int>& ks);

// Fraction (0..1) of rows whose target is in the top k.
absl::StatusOr<double> TopKAccuracy(const at::Tensor& logits,
                                    const at::Tensor& targets, int k);

// Confusion counts int64 [num_classes, num_classes]: entry (t, p) counts
// samples of true class t predicted as p. predictions and targets: int64 [N]
// in [0, num_classes).
absl::StatusOr<at::Tensor> ConfusionMatrix(const at::Tensor& predictions,
                                           const at::Tensor& targets,
                                           int64_t num_classes);

// Per-class accuracy (recall) from a confusion matrix: diagonal / row sum;
// NaN for a class with no samples.
std::vector<double> PerClassAccuracy(const at::Tensor& confusion);

// Accumulates top-k counts and the top-1 confusion matrix over batches.
class ClassificationMeter {
 public:
  explicit ClassificationMeter(int64_t num_classes,
                               std::vector<int> ks = {1, 5});
  // logits [B, num_classes] (any float type, any device), targets int [B].
  absl::Status Add(const at::Tensor& logits, const at::Tensor& targets);
  int64_t count() const { return count_; }
  int64_t num_classes() const { return num_classes_; }
  // Fraction correct for one of the ks given at construction (else CHECK).
  double TopKAccuracy(int k) const;
  // Rows whose target is in the top k, for one of the ks (else CHECK).
  int64_t Correct(int k) const;
  const at::Tensor& confusion() const { return confusion_; }  // int64 [C, C]
  std::vector<double> PerClassAccuracy() const;
  void Reset();

 private:
  int64_t num_classes_;
  std::vector<int> ks_;
  std::vector<int64_t> correct_;
  int64_t count_ = 0;
  at::Tensor confusion_;
};

}  // namespace eval
}  // namespace kd

#endif  // KD_EVAL_METRICS_H_
