// "nce": CCL's label-aware in-batch contrastive loss between student
// embeddings (rows) and teacher embeddings (columns); see
// LabelAwareNce in losses/functional.h.
#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "kd/status_macros.h"
#include "losses/functional.h"
#include "losses/loss.h"
#include "losses/loss_inputs.h"

namespace kd {
namespace {

class NceLoss : public Loss {
 public:
  static constexpr char kDoc[] =
      "CCL's label-aware in-batch contrastive loss: student rows against "
      "teacher columns, same-label pairs positive; a row with no negatives "
      "(all labels equal) has negative term 0";
  static OptionSchema Schema() {
    return {{"T", OptionType::kDouble, "0.1", "softmax temperature (> 0)"}};
  }
  static absl::StatusOr<std::unique_ptr<Loss>> Create(const Options& options,
                                                      const LossContext&) {
    const double t = options.GetDouble("T");
    if (!(t > 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("nce: T must be > 0 (found ", t, ")"));
    }
    return std::unique_ptr<Loss>(new NceLoss(t));
  }

  bool couples_batch() const override { return true; }
  LossInputSet reads() const override {
    return {LossInput::kStudentEmbedding, LossInput::kTeacherEmbedding,
            LossInput::kLabels};
  }

  absl::StatusOr<LossValue> Compute(const LossInputs& inputs) override {
    KD_ASSIGN_OR_RETURN(EmbeddingPair x,
                        StudentTeacherEmbeddings("nce", inputs, true));
    KD_ASSIGN_OR_RETURN(
        torch::Tensor labels,
        IntegerInput("nce", "labels", inputs.labels, x.student.size(0), 0));
    LossValue value;
    value.total = LabelAwareNce(x.student, x.teacher, labels, t_);
    return value;
  }

 private:
  explicit NceLoss(double t) : t_(t) {}
  double t_;
};
KD_REGISTER(Loss, NceLoss, "nce");

}  // namespace
}  // namespace kd
