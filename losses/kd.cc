// "kd": Hinton's knowledge distillation, T^2 * KL(softmax(z_t/T) ||
// softmax(z_s/T)) averaged over the batch (RepDistiller's DistillKL);
// standardize=true z-scores both logit rows first (Sun et al. 2024).
#include <ATen/ATen.h>

#include "kd/status_macros.h"
#include "losses/functional.h"
#include "losses/loss.h"
#include "losses/loss_inputs.h"

namespace kd {
namespace {

class KdLoss : public Loss {
 public:
  static constexpr char kDoc[] =
      "Hinton KD: T^2 * KL(softmax(teacher_logits/T) || "
      "softmax(student_logits/T)), batch mean";
  static OptionSchema Schema() {
    return {{"T", OptionType::kDouble, "4", "softmax temperature (> 0)"},
            LogitStandardization::Option()};
  }
  static absl::StatusOr<std::unique_ptr<Loss>> Create(const Options& options,
                                                      const LossContext&) {
    KD_ASSIGN_OR_RETURN(const double t, Temperature("kd", options));
    return std::unique_ptr<Loss>(new KdLoss(t, LogitStandardization(options)));
  }

  LossInputSet reads() const override {
    return {LossInput::kStudentLogits, LossInput::kTeacherLogits};
  }

  absl::StatusOr<LossValue> Compute(const LossInputs& inputs) override {
    KD_ASSIGN_OR_RETURN(EmbeddingPair logits,
                        StudentTeacherLogits("kd", inputs));
    LossValue value;
    value.total = t_ * t_ *
                  SoftmaxKl(standardize_(logits.teacher),
                            standardize_(logits.student), t_);
    return value;
  }

 private:
  KdLoss(double t, LogitStandardization standardize)
      : t_(t), standardize_(standardize) {}
  double t_;
  LogitStandardization standardize_;
};
KD_REGISTER(Loss, KdLoss, "kd");

}  // namespace
}  // namespace kd
