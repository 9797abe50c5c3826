// "dkd": Decoupled Knowledge Distillation (Zhao et al., CVPR 2022), as in
// mdistiller. With p = softmax(z/T) and y the label:
//   tckd = T^2 KL(b_t || b_s), b = (p_y, 1 - p_y), the binary target-class
//          distributions;
//   nckd = T^2 KL(q_t || q_s), q = softmax over the non-target classes of z/T;
// both summed over classes and averaged over the batch, and
//   total = min(epoch / warmup, 1) * (alpha * tckd + beta * nckd),
// the warm-up ramp read from LossInputs::epoch (1 from epoch `warmup` on; no
// ramp with warmup=0 or outside training, epoch 0). The binary and non-target
// distributions are taken as log-softmaxes of the target logit against the
// log-sum-exp of the others, and of the others alone (mdistiller subtracts
// 1000 from the target logit instead: the same values in double precision
// for logits below a few hundred, and no log(0) for large ones).
#include <ATen/ATen.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "kd/status_macros.h"
#include "losses/functional.h"
#include "losses/loss.h"
#include "losses/loss_inputs.h"

namespace kd {
namespace {

// The logits of z [B, K] other than each row's label: [B, K - 1].
torch::Tensor NonTargetLogits(const torch::Tensor& z,
                              const torch::Tensor& labels) {
  // Column k of the result is class k, or k + 1 from the label on: the
  // other classes in order, gathered without a data-dependent shape (no
  // host sync on a GPU).
  const torch::Tensor k = at::arange(z.size(1) - 1, labels.options());
  const torch::Tensor from_label = k.unsqueeze(0) >= labels.unsqueeze(1);
  return z.gather(1, k.unsqueeze(0) + from_label.to(at::kLong));
}

// [B, 2] logits of the binary (target, rest) distribution: the target logit
// and the log-sum-exp of the others, so softmax gives (p_y, 1 - p_y).
torch::Tensor BinaryLogits(const torch::Tensor& z, const torch::Tensor& labels,
                           const torch::Tensor& non_target) {
  return at::cat({z.gather(1, labels.unsqueeze(1)),
                  non_target.logsumexp(1, /*keepdim=*/true)},
                 1);
}

class DkdLoss : public Loss {
 public:
  static constexpr char kDoc[] =
      "DKD: min(epoch/warmup, 1) * (alpha * T^2 KL of the target-vs-rest "
      "distributions + beta * T^2 KL over the non-target classes)";
  static OptionSchema Schema() {
    return {{"alpha", OptionType::kDouble, "1", "weight of tckd"},
            {"beta", OptionType::kDouble, "8", "weight of nckd"},
            {"T", OptionType::kDouble, "4", "softmax temperature (> 0)"},
            {"warmup", OptionType::kInt, "20",
             "epochs of the linear warm-up ramp (0: none)"},
            LogitStandardization::Option()};
  }
  static absl::StatusOr<std::unique_ptr<Loss>> Create(const Options& options,
                                                      const LossContext&) {
    KD_ASSIGN_OR_RETURN(const double t, Temperature("dkd", options));
    const int64_t warmup = options.GetInt("warmup");
    if (warmup < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("dkd: warmup must be >= 0 (found ", warmup, ")"));
    }
    return std::unique_ptr<Loss>(
        new DkdLoss(options.GetDouble("alpha"), options.GetDouble("beta"), t,
                    warmup, LogitStandardization(options)));
  }

  LossInputSet reads() const override {
    return {LossInput::kStudentLogits, LossInput::kTeacherLogits,
            LossInput::kLabels};
  }

  absl::StatusOr<LossValue> Compute(const LossInputs& inputs) override {
    KD_ASSIGN_OR_RETURN(EmbeddingPair logits,
                        StudentTeacherLogits("dkd", inputs));
    const int64_t classes = logits.student.size(1);
    if (classes < 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("dkd: needs at least 2 classes (found logits of width ",
                       classes, ")"));
    }
    KD_ASSIGN_OR_RETURN(torch::Tensor labels,
                        IntegerInput("dkd", "labels", inputs.labels,
                                     logits.student.size(0), classes));
    const torch::Tensor zs = standardize_(logits.student) / t_;
    const torch::Tensor zt = standardize_(logits.teacher) / t_;
    const torch::Tensor ns = NonTargetLogits(zs, labels);
    const torch::Tensor nt = NonTargetLogits(zt, labels);
    const double t2 = t_ * t_;
    const torch::Tensor tckd =
        t2 * SoftmaxKl(BinaryLogits(zt, labels, nt),
                       BinaryLogits(zs, labels, ns), 1.0);
    const torch::Tensor nckd = t2 * SoftmaxKl(nt, ns, 1.0);
    double ramp = 1;
    if (warmup_ > 0 && inputs.epoch > 0) {
      ramp = std::min(static_cast<double>(inputs.epoch) / warmup_, 1.0);
    }
    LossValue value;
    value.total = ramp * (alpha_ * tckd + beta_ * nckd);
    value.terms = {{"tckd", tckd}, {"nckd", nckd}};
    return value;
  }

 private:
  DkdLoss(double alpha, double beta, double t, int64_t warmup,
          LogitStandardization standardize)
      : alpha_(alpha),
        beta_(beta),
        t_(t),
        warmup_(warmup),
        standardize_(standardize) {}
  double alpha_, beta_, t_;
  int64_t warmup_;
  LogitStandardization standardize_;
};
KD_REGISTER(Loss, DkdLoss, "dkd");

}  // namespace
}  // namespace kd
