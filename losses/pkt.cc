// "pkt": probabilistic knowledge transfer (Passalis & Tefas), as in
// RepDistiller: rows L2-normalised (x / (|x| + 1e-7)), S = (u u^T + 1) / 2,
// rows of S normalised to sum 1 for student (S) and teacher (T); loss =
// mean over all B^2 entries of T log((T + 1e-7) / (S + 1e-7)).
#include <ATen/ATen.h>

#include "kd/status_macros.h"
#include "losses/loss.h"
#include "losses/loss_inputs.h"

namespace kd {
namespace {

constexpr double kPktEps = 1e-7;

torch::Tensor ConditionalSimilarity(const torch::Tensor& x) {
  const torch::Tensor u =
      x / (x.norm(2, /*dim=*/{1}, /*keepdim=*/true) + kPktEps);
  const torch::Tensor s = (u.mm(u.t()) + 1) / 2;
  return s / s.sum(1, /*keepdim=*/true);
}

class PktLoss : public Loss {
 public:
  static constexpr char kDoc[] =
      "probabilistic knowledge transfer: KL between the row-normalised "
      "cosine-similarity distributions of teacher and student (mean over "
      "B^2 entries)";
  static OptionSchema Schema() { return {}; }
  static absl::StatusOr<std::unique_ptr<Loss>> Create(const Options&,
                                                      const LossContext&) {
    return std::unique_ptr<Loss>(new PktLoss());
  }

  bool couples_batch() const override { return true; }
  LossInputSet reads() const override {
    return {LossInput::kStudentEmbedding, LossInput::kTeacherEmbedding};
  }

  absl::StatusOr<LossValue> Compute(const LossInputs& inputs) override {
    KD_ASSIGN_OR_RETURN(EmbeddingPair x,
                        StudentTeacherEmbeddings("pkt", inputs, false));
    const torch::Tensor s = ConditionalSimilarity(x.student);
    const torch::Tensor t = ConditionalSimilarity(x.teacher);
    LossValue value;
    value.total = (t * ((t + kPktEps) / (s + kPktEps)).log()).mean();
    return value;
  }
};
KD_REGISTER(Loss, PktLoss, "pkt");

}  // namespace
}  // namespace kd
