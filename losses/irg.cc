// "irg": instance relationship graph (Liu et al. CVPR 2019) as the
// Knowledge-Distillation-Zoo computes it, on the node embeddings:
//   vertex = MSE(x_s, x_t)
//   edge   = MSE of the max-normalised squared-distance matrices
//            (d^2 clamped at 1e-12 off the diagonal, 0 on it, / max)
//   transformation (when tran_from/tran_to name two stages) = MSE of the
//            max-normalised per-instance squared distances between the
//            feature maps of stage tran_from and stage tran_to of each
//            network (the earlier map average-pooled to the later's size,
//            the later's channels averaged in pairs to match).
//   total = vertex_w * vertex + edge_w * edge + tran_w * transformation.
#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "graph/pairwise.h"
#include "kd/status_macros.h"
#include "losses/loss.h"
#include "losses/loss_inputs.h"

namespace kd {
namespace {

// IRG transformation of one network: [B] distances between the instance's
// maps at two stages, max-normalised.
absl::StatusOr<torch::Tensor> Transformation(absl::string_view side,
                                             torch::Tensor early,
                                             torch::Tensor late) {
  if (early.size(2) > late.size(2)) {
    early = at::adaptive_avg_pool2d(early, {late.size(2), late.size(3)});
  }
  if (early.size(1) < late.size(1) && late.size(1) == 2 * early.size(1)) {
    late = (late.slice(1, 0, late.size(1), 2) +
            late.slice(1, 1, late.size(1), 2)) /
           2;
  }
  if (early.sizes() != late.sizes()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "irg: the ", side, "'s stage feature maps ", ShapeText(early), " and ",
        ShapeText(late),
        " cannot be matched for the transformation term (needs the later "
        "stage's channels equal to or twice the earlier's, and its side no "
        "larger)"));
  }
  const torch::Tensor d2 =
      (early.flatten(1) - late.flatten(1)).pow(2).sum(1).clamp_min(1e-12);
  return DivideByMax(d2);
}

class IrgLoss : public Loss {
 public:
  static constexpr char kDoc[] =
      "instance relationship graph: vertex MSE + edge MSE of max-normalised "
      "squared distances (+ transformation between two stages)";
  static OptionSchema Schema() {
    return {{"vertex", OptionType::kDouble, "0.1", "weight of the vertex term"},
            {"edge", OptionType::kDouble, "5", "weight of the edge term"},
            {"transformation", OptionType::kDouble, "5",
             "weight of the transformation term"},
            {"tran_from", OptionType::kInt, "-1",
             "earlier stage of the transformation term (-1: no such term)"},
            {"tran_to", OptionType::kInt, "-1",
             "later stage of the transformation term (-1: no such term)"}};
  }
  static absl::StatusOr<std::unique_ptr<Loss>> Create(const Options& options,
                                                      const LossContext&) {
    const int64_t from = options.GetInt("tran_from");
    const int64_t to = options.GetInt("tran_to");
    if ((from < 0) != (to < 0) || (from >= 0 && from >= to)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "irg: tran_from and tran_to must both be -1 or two stages with "
          "tran_from < tran_to (found ",
          from, " and ", to, ")"));
    }
    return std::unique_ptr<Loss>(
        new IrgLoss(options.GetDouble("vertex"), options.GetDouble("edge"),
                    options.GetDouble("transformation"), from, to));
  }

  bool couples_batch() const override { return true; }
  LossInputSet reads() const override {
    LossInputSet inputs = {LossInput::kStudentEmbedding,
                           LossInput::kTeacherEmbedding};
    if (from_ >= 0) {
      inputs.Add(LossInput::kStudentStageMaps)
          .Add(LossInput::kTeacherStageMaps);
    }
    return inputs;
  }

  absl::StatusOr<LossValue> Compute(const LossInputs& inputs) override {
    KD_ASSIGN_OR_RETURN(EmbeddingPair x,
                        StudentTeacherEmbeddings("irg", inputs, true));
    LossValue value;
    const torch::Tensor vertex = at::mse_loss(x.student, x.teacher);
    const torch::Tensor edge =
        at::mse_loss(DivideByMax(SelfSquaredDistances(x.student, 1e-12)),
                     DivideByMax(SelfSquaredDistances(x.teacher, 1e-12)));
    value.total = vertex_w_ * vertex + edge_w_ * edge;
    value.terms = {{"vertex", vertex}, {"edge", edge}};
    if (from_ >= 0) {
      torch::Tensor maps[2][2];
      for (int side = 0; side < 2; ++side) {
        const char* name = side == 0 ? "student" : "teacher";
        const BackboneOutput* output =
            side == 0 ? inputs.student : inputs.teacher;
        for (int k = 0; k < 2; ++k) {
          KD_ASSIGN_OR_RETURN(
              maps[side][k],
              StageFeature("irg", name, output, k == 0 ? from_ : to_, false));
          KD_RETURN_IF_ERROR(CheckBatch("irg",
                                        absl::StrCat(name, " feature maps"),
                                        maps[side][k], x.student.size(0)));
        }
      }
      KD_ASSIGN_OR_RETURN(torch::Tensor ts,
                          Transformation("student", maps[0][0], maps[0][1]));
      KD_ASSIGN_OR_RETURN(
          torch::Tensor tt,
          Transformation("teacher", maps[1][0].detach(), maps[1][1].detach()));
      const torch::Tensor transformation = at::mse_loss(ts, tt);
      value.total = value.total + tran_w_ * transformation;
      value.terms.emplace_back("transformation", transformation);
    }
    return value;
  }

 private:
  IrgLoss(double vertex, double edge, double tran, int64_t from, int64_t to)
      : vertex_w_(vertex), edge_w_(edge), tran_w_(tran), from_(from), to_(to) {}
  double vertex_w_, edge_w_, tran_w_;
  int64_t from_, to_;
};
KD_REGISTER(Loss, IrgLoss, "irg");

}  // namespace
}  // namespace kd
