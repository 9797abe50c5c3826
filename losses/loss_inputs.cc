#include "losses/loss_inputs.h"

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "graph/pairwise.h"
#include "kd/status_macros.h"

namespace kd {

absl::Status CheckBatch(absl::string_view loss, absl::string_view what,
                        const torch::Tensor& x, int64_t batch) {
  if (x.defined() && x.dim() >= 1 && x.size(0) == batch) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      loss, ": ", what, " must have ", batch,
      " rows, one per example of the batch (found ", ShapeText(x), ")"));
}

namespace {

absl::StatusOr<EmbeddingPair> CheckedPair(
    absl::string_view loss, absl::string_view what_s, const torch::Tensor& s,
    absl::string_view what_t, const torch::Tensor& t, bool same_width) {
  KD_RETURN_IF_ERROR(CheckRows(loss, what_s, s));
  KD_RETURN_IF_ERROR(CheckRows(loss, what_t, t));
  if (s.scalar_type() != t.scalar_type()) {
    return absl::InvalidArgumentError(absl::StrCat(
        loss, ": ", what_s, " and ", what_t, " must have one dtype (found ",
        std::string(c10::toString(s.scalar_type())), " and ",
        std::string(c10::toString(t.scalar_type())), ")"));
  }
  KD_RETURN_IF_ERROR(CheckBatch(loss, what_t, t, s.size(0)));
  if (same_width && s.size(1) != t.size(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat(loss, ": ", what_s, " ", ShapeText(s), " and ", what_t,
                     " ", ShapeText(t), " must have the same width"));
  }
  return EmbeddingPair{s, t.detach()};
}

}  // namespace

absl::StatusOr<EmbeddingPair> StudentTeacherEmbeddings(absl::string_view loss,
                                                       const LossInputs& inputs,
                                                       bool same_width) {
  return CheckedPair(loss, "student_embed", inputs.student_embed,
                     "teacher_embed", inputs.teacher_embed, same_width);
}

absl::StatusOr<EmbeddingPair> StudentTeacherPooled(absl::string_view loss,
                                                   const LossInputs& inputs,
                                                   bool same_width) {
  const torch::Tensor none;
  return CheckedPair(loss, "student pooled features",
                     inputs.student != nullptr ? inputs.student->pooled : none,
                     "teacher pooled features",
                     inputs.teacher != nullptr ? inputs.teacher->pooled : none,
                     same_width);
}

absl::StatusOr<EmbeddingPair> StudentTeacherLogits(absl::string_view loss,
                                                   const LossInputs& inputs) {
  KD_ASSIGN_OR_RETURN(
      EmbeddingPair pair,
      CheckedPair(loss, "student_logits", inputs.student_logits,
                  "teacher_logits", inputs.teacher_logits, true));
  return pair;
}

absl::StatusOr<torch::Tensor> IntegerInput(absl::string_view loss,
                                           absl::string_view what,
                                           const torch::Tensor& x,
                                           int64_t batch, int64_t limit) {
  if (!x.defined()) {
    return absl::InvalidArgumentError(
        absl::StrCat(loss, " needs ", what, " (it was not given)"));
  }
  if (x.dim() != 1 || x.size(0) != batch || x.scalar_type() != at::kLong) {
    return absl::InvalidArgumentError(
        absl::StrCat(loss, ": ", what, " must be a 1-D int64 tensor of ", batch,
                     " entries (found ", ShapeText(x), " ",
                     std::string(c10::toString(x.scalar_type())), ")"));
  }
  if (limit > 0 && batch > 0) {
    const int64_t lo = x.min().item<int64_t>();
    const int64_t hi = x.max().item<int64_t>();
    if (lo < 0 || hi >= limit) {
      return absl::InvalidArgumentError(
          absl::StrCat(loss, ": ", what, " must lie in [0, ", limit,
                       ") (found values from ", lo, " to ", hi, ")"));
    }
  }
  return x;
}

absl::StatusOr<torch::Tensor> StageFeature(absl::string_view loss,
                                           absl::string_view side,
                                           const BackboneOutput* output,
                                           int64_t stage, bool preact) {
  if (output == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat(
        loss, " needs the ", side, " backbone's feature maps (not given)"));
  }
  const std::vector<torch::Tensor>& maps =
      preact ? output->preact_stage_features : output->stage_features;
  if (stage < 0 || stage >= static_cast<int64_t>(maps.size())) {
    return absl::InvalidArgumentError(absl::StrCat(
        loss, " needs ", side, " ", preact ? "pre-activation " : "",
        "stage feature map ", stage, " but ", maps.size(), " were given"));
  }
  const torch::Tensor& map = maps[stage];
  if (!map.defined() || map.dim() != 4 || !map.is_floating_point()) {
    return absl::InvalidArgumentError(
        absl::StrCat(loss, ": ", side, " stage ", stage,
                     " feature map must be a float [B, C, H, W] tensor (found ",
                     ShapeText(map), ")"));
  }
  return map;
}

}  // namespace kd
