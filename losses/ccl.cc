// "ccl": CCL as run in the EGA reference: the label-aware contrastive loss
// (nce) plus the symmetric KL of the student's and teacher's class
// distributions at temperature T (1 by default),
// T^2 (KL(p_t||p_s) + KL(p_s||p_t)) / 2; standardize=true z-scores both
// logit rows before the temperature (Sun et al. 2024).
#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "kd/status_macros.h"
#include "losses/functional.h"
#include "losses/loss.h"
#include "losses/loss_inputs.h"

namespace kd {
namespace {

class CclLoss : public Loss {
 public:
  static constexpr char kDoc[] =
      "CCL: nce on the embeddings + T^2 (KL(p_t||p_s) + KL(p_s||p_t))/2 on "
      "the logits (T = kl_T, 1 by default)";
  static OptionSchema Schema() {
    return {{"T", OptionType::kDouble, "0.1",
             "temperature of the contrastive term (> 0)"},
            {"kl_T", OptionType::kDouble, "1",
             "temperature of the symmetric KL term (> 0)"},
            LogitStandardization::Option()};
  }
  static absl::StatusOr<std::unique_ptr<Loss>> Create(const Options& options,
                                                      const LossContext&) {
    const double t = options.GetDouble("T");
    const double kl_t = options.GetDouble("kl_T");
    if (!(t > 0) || !(kl_t > 0)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "ccl: T and kl_T must be > 0 (found ", t, " and ", kl_t, ")"));
    }
    return std::unique_ptr<Loss>(
        new CclLoss(t, kl_t, LogitStandardization(options)));
  }

  bool couples_batch() const override { return true; }
  LossInputSet reads() const override {
    return {LossInput::kStudentEmbedding, LossInput::kTeacherEmbedding,
            LossInput::kStudentLogits, LossInput::kTeacherLogits,
            LossInput::kLabels};
  }

  absl::StatusOr<LossValue> Compute(const LossInputs& inputs) override {
    KD_ASSIGN_OR_RETURN(EmbeddingPair x,
                        StudentTeacherEmbeddings("ccl", inputs, true));
    KD_ASSIGN_OR_RETURN(EmbeddingPair logits,
                        StudentTeacherLogits("ccl", inputs));
    KD_RETURN_IF_ERROR(
        CheckBatch("ccl", "student_logits", logits.student, x.student.size(0)));
    KD_ASSIGN_OR_RETURN(
        torch::Tensor labels,
        IntegerInput("ccl", "labels", inputs.labels, x.student.size(0), 0));
    const torch::Tensor nce = LabelAwareNce(x.student, x.teacher, labels, t_);
    // The reference's JSD term: T^2 (KL(p_t||p_s) + KL(p_s||p_t)) / 2.
    const torch::Tensor zs = standardize_(logits.student);
    const torch::Tensor zt = standardize_(logits.teacher);
    const torch::Tensor kl =
        (SoftmaxKl(zt, zs, kl_t_) + SoftmaxKl(zs, zt, kl_t_)) *
        (kl_t_ * kl_t_ / 2);
    LossValue value;
    value.total = nce + kl;
    value.terms = {{"nce", nce}, {"kl", kl}};
    return value;
  }

 private:
  CclLoss(double t, double kl_t, LogitStandardization standardize)
      : t_(t), kl_t_(kl_t), standardize_(standardize) {}
  double t_;
  double kl_t_;
  LogitStandardization standardize_;
};
KD_REGISTER(Loss, CclLoss, "ccl");

}  // namespace
}  // namespace kd
