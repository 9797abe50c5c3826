// "sp": similarity-preserving KD (Tung & Mori, ICCV 2019) as RepDistiller's
// Similarity, on the last stage feature map of each network (its feat[-2]):
// with f flattened to [B, C*H*W], G = f f^T with L2-normalised rows
// (F.normalize, eps 1e-12), loss = sum((G_t - G_s)^2) / B^2.
#include <ATen/ATen.h>

#include "graph/pairwise.h"
#include "kd/status_macros.h"
#include "losses/loss.h"
#include "losses/loss_inputs.h"

namespace kd {
namespace {

// The row-normalised [B, B] Gram matrix of a [B, C, H, W] map.
torch::Tensor NormalisedGram(const torch::Tensor& f) {
  const torch::Tensor flat = f.flatten(1);
  return NormaliseRows(flat.mm(flat.t()), 1e-12);
}

class SpLoss : public Loss {
 public:
  static constexpr char kDoc[] =
      "similarity-preserving KD: squared difference of the row-normalised "
      "batch Gram matrices of the last stage maps, / B^2";
  static OptionSchema Schema() { return {}; }
  static absl::StatusOr<std::unique_ptr<Loss>> Create(const Options&,
                                                      const LossContext&) {
    return std::unique_ptr<Loss>(new SpLoss());
  }

  bool couples_batch() const override { return true; }
  LossInputSet reads() const override {
    return {LossInput::kStudentStageMaps, LossInput::kTeacherStageMaps};
  }

  absl::StatusOr<LossValue> Compute(const LossInputs& inputs) override {
    KD_ASSIGN_OR_RETURN(std::vector<torch::Tensor> student,
                        StageFeatures("sp", "student", inputs.student));
    KD_ASSIGN_OR_RETURN(std::vector<torch::Tensor> teacher,
                        StageFeatures("sp", "teacher", inputs.teacher));
    const torch::Tensor& fs = student.back();
    const torch::Tensor ft = teacher.back().detach();
    const int64_t b = fs.size(0);
    KD_RETURN_IF_ERROR(CheckBatch("sp", "the teacher's last stage map", ft, b));
    const torch::Tensor diff = NormalisedGram(ft) - NormalisedGram(fs);
    LossValue value;
    value.total = diff.pow(2).sum() / static_cast<double>(b * b);
    return value;
  }
};
KD_REGISTER(Loss, SpLoss, "sp");

}  // namespace
}  // namespace kd
