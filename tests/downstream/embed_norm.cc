// "embed_norm": scale * mean over the batch of |x_s|^2, a penalty on the
// student's node embeddings. A loss plugin defined outside the kd
// repository: linking it into a binary registers it.
#include <memory>

#include "absl/status/status.h"
#include "losses/loss.h"

namespace downstream {

class EmbedNormLoss : public kd::Loss {
 public:
  static constexpr char kDoc[] =
      "scale * mean |x_s|^2 of the student's embeddings (downstream example)";
  static kd::OptionSchema Schema() {
    return {{"scale", kd::OptionType::kDouble, "1", "multiplies the penalty"}};
  }
  static absl::StatusOr<std::unique_ptr<kd::Loss>> Create(
      const kd::Options& options, const kd::LossContext&) {
    return std::unique_ptr<kd::Loss>(
        new EmbedNormLoss(options.GetDouble("scale")));
  }
  kd::LossInputSet reads() const override {
    return {kd::LossInput::kStudentEmbedding};
  }
  absl::StatusOr<kd::LossValue> Compute(const kd::LossInputs& inputs) override {
    if (!inputs.student_embed.defined()) {
      return absl::InvalidArgumentError(
          "embed_norm needs student_embed (it was not given)");
    }
    const torch::Tensor norm =
        scale_ * inputs.student_embed.pow(2).sum(1).mean();
    return kd::LossValue{norm, {}};
  }

 private:
  explicit EmbedNormLoss(double scale) : scale_(scale) {}
  double scale_;
};
KD_REGISTER(kd::Loss, EmbedNormLoss, "embed_norm");

}  // namespace downstream
