// "kd": Hinton's knowledge distillation, T^2 * KL(softmax(z_t/T) ||
// softmax(z_s/T)) averaged over the batch (RepDistiller's DistillKL).
#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
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
    return {{"T", OptionType::kDouble, "4", "softmax temperature (> 0)"}};
  }
  static absl::StatusOr<std::unique_ptr<Loss>> Create(const Options& options,
                                                      const LossContext&) {
    const double t = options.GetDouble("T");
    if (!(t > 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("kd: T must be > 0 (found ", t, ")"));
    }
    return std::unique_ptr<Loss>(new KdLoss(t));
  }

  LossInputSet reads() const override {
    return {LossInput::kStudentLogits, LossInput::kTeacherLogits};
  }

  absl::StatusOr<LossValue> Compute(const LossInputs& inputs) override {
    KD_ASSIGN_OR_RETURN(EmbeddingPair logits,
                        StudentTeacherLogits("kd", inputs));
    LossValue value;
    value.total = t_ * t_ * SoftmaxKl(logits.teacher, logits.student, t_);
    return value;
  }

 private:
  explicit KdLoss(double t) : t_(t) {}
  double t_;
};
KD_REGISTER(Loss, KdLoss, "kd");

}  // namespace
}  // namespace kd
