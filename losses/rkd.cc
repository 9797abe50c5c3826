// "rkd": relational knowledge distillation (Park et al.), as RepDistiller
// computes it:
//   distance: pairwise Euclidean distances (sqrt of d^2 clamped at 1e-12,
//     diagonal 0) divided by their mean over positive entries; smooth-L1
//     (beta 1, mean) between student and teacher matrices;
//   angle: <e_ij, e_ik> for e_ij the normalised (eps 1e-12) x_j - x_i, all
//     B^3 triples; smooth-L1 (mean) between student and teacher.
//   total = dist * distance + angle * angle. The teacher side is a constant.
// The angle term is computed in chunks of anchors and recomputed chunk by
// chunk in the backward pass, so memory stays O(B^2 + chunk*B*D) instead of
// O(B^3); it still costs O(B^3 D) time.
// A batch with no positive distance (B = 1) has a normalised distance
// matrix of 0 instead of 0/0.
#include <ATen/ATen.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/custom_function.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "graph/pairwise.h"
#include "kd/status_macros.h"
#include "losses/loss.h"
#include "losses/loss_inputs.h"

namespace kd {
namespace {

// Distances divided by their mean over positive entries.
torch::Tensor NormalisedDistances(const torch::Tensor& x) {
  const torch::Tensor d = SelfDistances(x);
  const torch::Tensor positives = d.gt(0).sum().to(d.scalar_type());
  const torch::Tensor mean = d.sum() / positives.clamp_min(1);
  return d / mean.clamp_min(1e-12);
}

// Unit difference vectors e_ij = (x_j - x_i) / max(|x_j - x_i|, 1e-12) for
// anchors i in [begin, end): [end - begin, B, D].
torch::Tensor UnitDifferences(const torch::Tensor& x, int64_t begin,
                              int64_t end) {
  const torch::Tensor diff =
      x.unsqueeze(0) - x.slice(0, begin, end).unsqueeze(1);
  return diff / diff.norm(2, /*dim=*/{2}, /*keepdim=*/true).clamp_min(1e-12);
}

// Sum over anchors in [begin, end) and all j, k of smooth-L1 between the
// student's and teacher's angles.
torch::Tensor AngleChunkSum(const torch::Tensor& student,
                            const torch::Tensor& teacher, int64_t begin,
                            int64_t end) {
  const torch::Tensor es = UnitDifferences(student, begin, end);
  const torch::Tensor et = UnitDifferences(teacher, begin, end);
  return at::smooth_l1_loss(es.bmm(es.transpose(1, 2)),
                            et.bmm(et.transpose(1, 2)), at::Reduction::Sum,
                            /*beta=*/1.0);
}

// Anchors per chunk: about 2^22 elements of the [c, B, max(B, D)] tensors.
int64_t AnchorsPerChunk(int64_t batch, int64_t dim) {
  return std::max<int64_t>(1,
                           (int64_t{1} << 22) / (batch * std::max(batch, dim)));
}

// The mean smooth-L1 angle loss with a checkpointed backward.
class RkdAngleFunction : public torch::autograd::Function<RkdAngleFunction> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx,
                               const torch::Tensor& student,
                               const torch::Tensor& teacher) {
    ctx->save_for_backward({student, teacher});
    const int64_t b = student.size(0);
    const int64_t chunk = AnchorsPerChunk(b, student.size(1));
    torch::Tensor sum = at::zeros({}, student.options());
    for (int64_t begin = 0; begin < b; begin += chunk) {
      sum += AngleChunkSum(student, teacher, begin, std::min(b, begin + chunk));
    }
    return sum / static_cast<double>(b * b * b);
  }

  static torch::autograd::variable_list backward(
      torch::autograd::AutogradContext* ctx,
      torch::autograd::variable_list grad_outputs) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor teacher = saved[1].detach();
    const int64_t b = saved[0].size(0);
    const int64_t chunk = AnchorsPerChunk(b, saved[0].size(1));
    torch::Tensor grad = at::zeros_like(saved[0]);
    const torch::Tensor scale =
        grad_outputs[0] / static_cast<double>(b * b * b);
    for (int64_t begin = 0; begin < b; begin += chunk) {
      torch::Tensor student = saved[0].detach().requires_grad_(true);
      {
        at::AutoGradMode enable_grad(true);
        const torch::Tensor part =
            AngleChunkSum(student, teacher, begin, std::min(b, begin + chunk));
        grad += torch::autograd::grad({part}, {student})[0];
      }
    }
    return {grad * scale, torch::Tensor()};
  }
};

class RkdLoss : public Loss {
 public:
  static constexpr char kDoc[] =
      "relational KD: dist * smooth-L1 of mean-normalised distance matrices "
      "+ angle * smooth-L1 of the B^3 angle tensors";
  static OptionSchema Schema() {
    return {{"dist", OptionType::kDouble, "25", "weight of the distance term"},
            {"angle", OptionType::kDouble, "50", "weight of the angle term"}};
  }
  static absl::StatusOr<std::unique_ptr<Loss>> Create(const Options& options,
                                                      const LossContext&) {
    return std::unique_ptr<Loss>(
        new RkdLoss(options.GetDouble("dist"), options.GetDouble("angle")));
  }

  bool couples_batch() const override { return true; }
  LossInputSet reads() const override {
    return {LossInput::kStudentEmbedding, LossInput::kTeacherEmbedding};
  }

  absl::StatusOr<LossValue> Compute(const LossInputs& inputs) override {
    KD_ASSIGN_OR_RETURN(EmbeddingPair x,
                        StudentTeacherEmbeddings("rkd", inputs, false));
    LossValue value;
    const torch::Tensor distance =
        at::smooth_l1_loss(NormalisedDistances(x.student),
                           NormalisedDistances(x.teacher), at::Reduction::Mean,
                           /*beta=*/1.0);
    const torch::Tensor angle =
        angle_weight_ != 0 ? RkdAngleFunction::apply(x.student, x.teacher)
                           : at::zeros({}, x.student.options());
    value.total = dist_weight_ * distance + angle_weight_ * angle;
    value.terms = {{"distance", distance}, {"angle", angle}};
    return value;
  }

 private:
  RkdLoss(double dist, double angle)
      : dist_weight_(dist), angle_weight_(angle) {}
  double dist_weight_;
  double angle_weight_;
};
KD_REGISTER(Loss, RkdLoss, "rkd");

}  // namespace
}  // namespace kd
