// "at": attention transfer (Zagoruyko & Komodakis, ICLR 2017) as
// RepDistiller's Attention. For every intermediate stage k (stages 1 .. n-1,
// IntermediateStagePairs, maps pooled to one size) the attention map of a
// [B, C, H, W] feature map is a(f) = normalize(mean over channels of |f|^p)
// flattened to [B, H*W] (L2 rows, F.normalize's eps 1e-12), and
//   stage k = mean over B*H*W of (a(f_s) - a(f_t))^2,   total = sum over k.
// (RepDistiller's f.pow(p) equals |f|^p for the default p = 2.)
#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "graph/pairwise.h"
#include "kd/status_macros.h"
#include "losses/loss.h"
#include "losses/loss_inputs.h"

namespace kd {
namespace {

class AtLoss : public Loss {
 public:
  static constexpr char kDoc[] =
      "attention transfer: squared difference of the L2-normalised spatial "
      "maps mean_c |f|^p, summed over stages 1.. (RepDistiller's AT)";
  static OptionSchema Schema() {
    return {{"p", OptionType::kDouble, "2",
             "exponent of the attention map mean_c |f|^p (> 0)"}};
  }
  static absl::StatusOr<std::unique_ptr<Loss>> Create(const Options& options,
                                                      const LossContext&) {
    const double p = options.GetDouble("p");
    if (!(p > 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("at: p must be > 0 (found ", p, ")"));
    }
    return std::unique_ptr<Loss>(new AtLoss(p));
  }

  LossInputSet reads() const override {
    return {LossInput::kStudentStageMaps, LossInput::kTeacherStageMaps};
  }

  absl::StatusOr<LossValue> Compute(const LossInputs& inputs) override {
    KD_ASSIGN_OR_RETURN(std::vector<StagePair> stages,
                        IntermediateStagePairs("at", inputs));
    LossValue value;
    for (const StagePair& pair : stages) {
      const torch::Tensor term =
          (Attention(pair.student) - Attention(pair.teacher)).pow(2).mean();
      value.total = value.total.defined() ? value.total + term : term;
      value.terms.emplace_back(absl::StrCat("stage", pair.stage), term);
    }
    return value;
  }

 private:
  explicit AtLoss(double p) : p_(p) {}

  torch::Tensor Attention(const torch::Tensor& f) const {
    return NormaliseRows(f.abs().pow(p_).mean(1).flatten(1), 1e-12);
  }

  double p_;
};
KD_REGISTER(Loss, AtLoss, "at");

}  // namespace
}  // namespace kd
