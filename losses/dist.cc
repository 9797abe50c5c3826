// "dist": DIST, knowledge distillation from a stronger teacher (Huang et
// al., NeurIPS 2022), as its official code. With y = softmax(z/T) [B, K]
// and r(a, b) = <a - mean a, b - mean b> / (|a - mean a| |b - mean b| + 1e-8)
// the Pearson correlation of two vectors:
//   inter = T^2 (1 - mean over examples i of r(y_s[i, :], y_t[i, :]))
//   intra = T^2 (1 - mean over classes k of r(y_s[:, k], y_t[:, k]))
//   total = beta * inter + gamma * intra.
#include <ATen/ATen.h>

#include "graph/pairwise.h"
#include "kd/status_macros.h"
#include "losses/functional.h"
#include "losses/loss.h"
#include "losses/loss_inputs.h"

namespace kd {
namespace {

// 1 - the mean over rows of the Pearson correlation of a's and b's rows.
torch::Tensor OneMinusMeanRowCorrelation(const torch::Tensor& a,
                                         const torch::Tensor& b) {
  constexpr double kEps = 1e-8;
  const torch::Tensor ca = CentreRows(a);
  const torch::Tensor cb = CentreRows(b);
  const torch::Tensor r =
      (ca * cb).sum(1) / (ca.norm(2, {1}) * cb.norm(2, {1}) + kEps);
  return 1 - r.mean();
}

class DistLoss : public Loss {
 public:
  static constexpr char kDoc[] =
      "DIST: beta * inter-class + gamma * intra-class relation (1 - Pearson "
      "correlation of the softmax(z/T) rows, resp. columns), T^2-scaled";
  static OptionSchema Schema() {
    return {{"beta", OptionType::kDouble, "1", "weight of the inter term"},
            {"gamma", OptionType::kDouble, "1", "weight of the intra term"},
            {"T", OptionType::kDouble, "1", "softmax temperature (> 0)"},
            LogitStandardization::Option()};
  }
  static absl::StatusOr<std::unique_ptr<Loss>> Create(const Options& options,
                                                      const LossContext&) {
    KD_ASSIGN_OR_RETURN(const double t, Temperature("dist", options));
    return std::unique_ptr<Loss>(new DistLoss(options.GetDouble("beta"),
                                              options.GetDouble("gamma"), t,
                                              LogitStandardization(options)));
  }

  bool couples_batch() const override { return true; }
  LossInputSet reads() const override {
    return {LossInput::kStudentLogits, LossInput::kTeacherLogits};
  }

  absl::StatusOr<LossValue> Compute(const LossInputs& inputs) override {
    KD_ASSIGN_OR_RETURN(EmbeddingPair logits,
                        StudentTeacherLogits("dist", inputs));
    const torch::Tensor ys = at::softmax(standardize_(logits.student) / t_, 1);
    const torch::Tensor yt = at::softmax(standardize_(logits.teacher) / t_, 1);
    const double t2 = t_ * t_;
    const torch::Tensor inter = t2 * OneMinusMeanRowCorrelation(ys, yt);
    const torch::Tensor intra = t2 * OneMinusMeanRowCorrelation(ys.t(), yt.t());
    LossValue value;
    value.total = beta_ * inter + gamma_ * intra;
    value.terms = {{"inter", inter}, {"intra", intra}};
    return value;
  }

 private:
  DistLoss(double beta, double gamma, double t,
           LogitStandardization standardize)
      : beta_(beta), gamma_(gamma), t_(t), standardize_(standardize) {}
  double beta_, gamma_, t_;
  LogitStandardization standardize_;
};
KD_REGISTER(Loss, DistLoss, "dist");

}  // namespace
}  // namespace kd
