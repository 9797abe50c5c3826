// "cc": correlation congruence (Peng et al., ICCV 2019) as RepDistiller's
// Correlation: the backbones' pooled features (its feat[-1]) go through
// trainable Linear(D -> feat_dim) heads and L2 normalisation (RepDistiller's
// Embed; rows floored at 1e-12), then with d_i = |e_s,i - e_t,i| (per
// dimension),
//   loss = mean over i = 0 .. B-2 of sum_d d_i * d_{i+1}.
// A batch of one example has no pair: the loss is 0 (the reference's mean of
// nothing is NaN). The teacher's features are constants; its head trains,
// as RepDistiller's embed_t. Pooled features are what every teacher gives,
// TorchScript and cached ones included.
#include <ATen/ATen.h>
#include <torch/nn/modules/linear.h>

#include "absl/strings/str_cat.h"
#include "graph/pairwise.h"
#include "kd/status_macros.h"
#include "losses/loss.h"
#include "losses/loss_inputs.h"

namespace kd {
namespace {

class CcLoss : public Loss {
 public:
  static constexpr char kDoc[] =
      "correlation congruence: mean_i sum_d |e_s - e_t|_i |e_s - e_t|_{i+1} "
      "of L2-normalised linear embeddings of the pooled features "
      "(RepDistiller's CC)";
  static OptionSchema Schema() {
    return {{"feat_dim", OptionType::kInt, "128",
             "width of the two embedding heads"}};
  }
  static absl::StatusOr<std::unique_ptr<Loss>> Create(
      const Options& options, const LossContext& context) {
    const int64_t feat_dim = options.GetInt("feat_dim");
    if (feat_dim < 1) {
      return absl::InvalidArgumentError(
          absl::StrCat("cc: feat_dim must be >= 1 (found ", feat_dim, ")"));
    }
    if (context.student_feature_dim <= 0 || context.teacher_feature_dim <= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cc: needs the student's and teacher's pooled feature widths in "
          "LossContext (found ",
          context.student_feature_dim, " and ", context.teacher_feature_dim,
          ")"));
    }
    std::unique_ptr<CcLoss> loss(new CcLoss());
    loss->embed_student_ = loss->register_module(
        "embed_student",
        torch::nn::Linear(context.student_feature_dim, feat_dim));
    loss->embed_teacher_ = loss->register_module(
        "embed_teacher",
        torch::nn::Linear(context.teacher_feature_dim, feat_dim));
    return std::unique_ptr<Loss>(std::move(loss));
  }

  bool couples_batch() const override { return true; }
  LossInputSet reads() const override {
    return {LossInput::kStudentPooled, LossInput::kTeacherPooled};
  }

  absl::StatusOr<LossValue> Compute(const LossInputs& inputs) override {
    KD_ASSIGN_OR_RETURN(EmbeddingPair x,
                        StudentTeacherPooled("cc", inputs, false));
    if (x.student.size(1) != embed_student_->options.in_features() ||
        x.teacher.size(1) != embed_teacher_->options.in_features()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "cc: pooled features ", ShapeText(x.student), " and ",
          ShapeText(x.teacher), " do not match the heads' widths (",
          embed_student_->options.in_features(), " and ",
          embed_teacher_->options.in_features(), ")"));
    }
    const torch::Tensor es =
        NormaliseRows(embed_student_->forward(x.student), 1e-12);
    const torch::Tensor et =
        NormaliseRows(embed_teacher_->forward(x.teacher), 1e-12);
    const torch::Tensor delta = (es - et).abs();
    const int64_t b = delta.size(0);
    LossValue value;
    value.total =
        b < 2 ? delta.sum() * 0
              : (delta.slice(0, 0, b - 1) * delta.slice(0, 1)).sum(1).mean();
    return value;
  }

 private:
  CcLoss() = default;
  torch::nn::Linear embed_student_{nullptr};
  torch::nn::Linear embed_teacher_{nullptr};
};
KD_REGISTER(Loss, CcLoss, "cc");

}  // namespace
}  // namespace kd
