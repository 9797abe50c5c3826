// "ce": cross-entropy of the student's logits with the labels, optionally
// with label smoothing (as torch's cross_entropy(label_smoothing=...)).
#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "kd/status_macros.h"
#include "losses/loss.h"
#include "losses/loss_inputs.h"

namespace kd {
namespace {

class CrossEntropyLoss : public Loss {
 public:
  static constexpr char kDoc[] =
      "cross-entropy of student_logits with labels (mean over the batch)";
  static OptionSchema Schema() {
    return {{"smoothing", OptionType::kDouble, "0",
             "label smoothing in [0, 1): the target puts smoothing/K on every "
             "class and 1-smoothing on the label"}};
  }
  static absl::StatusOr<std::unique_ptr<Loss>> Create(const Options& options,
                                                      const LossContext&) {
    const double smoothing = options.GetDouble("smoothing");
    if (smoothing < 0 || smoothing >= 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ce: smoothing must be in [0, 1) (found ", smoothing, ")"));
    }
    return std::unique_ptr<Loss>(new CrossEntropyLoss(smoothing));
  }

  LossInputSet reads() const override {
    return {LossInput::kStudentLogits, LossInput::kLabels};
  }

  absl::StatusOr<LossValue> Compute(const LossInputs& inputs) override {
    const torch::Tensor& logits = inputs.student_logits;
    if (!logits.defined()) {
      return absl::InvalidArgumentError(
          "ce needs student_logits (it was not given)");
    }
    if (logits.dim() != 2 || logits.size(0) < 1 || logits.size(1) < 1 ||
        !logits.is_floating_point()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ce: student_logits must be a float [B, K] matrix (found ",
          ShapeText(logits), ")"));
    }
    KD_ASSIGN_OR_RETURN(torch::Tensor labels,
                        IntegerInput("ce", "labels", inputs.labels,
                                     logits.size(0), logits.size(1)));
    LossValue value;
    value.total = at::cross_entropy_loss(logits, labels, /*weight=*/{},
                                         at::Reduction::Mean,
                                         /*ignore_index=*/-100, smoothing_);
    return value;
  }

 private:
  explicit CrossEntropyLoss(double smoothing) : smoothing_(smoothing) {}
  double smoothing_;
};
KD_REGISTER(Loss, CrossEntropyLoss, "ce");

}  // namespace
}  // namespace kd
