#include "losses/loss_inputs.h"

#include <ATen/ATen.h>

#include <algorithm>

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

absl::StatusOr<std::vector<torch::Tensor>> StageFeatures(
    absl::string_view loss, absl::string_view side,
    const BackboneOutput* output) {
  if (output == nullptr || output->stage_features.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(loss, " needs the ", side,
                     " backbone's stage feature maps (none were given)"));
  }
  std::vector<torch::Tensor> maps;
  for (size_t k = 0; k < output->stage_features.size(); ++k) {
    KD_ASSIGN_OR_RETURN(torch::Tensor map,
                        StageFeature(loss, side, output, k, false));
    maps.push_back(map);
  }
  return maps;
}

int64_t IntermediateStageCount(int64_t student_stages, int64_t teacher_stages) {
  return std::max<int64_t>(0, std::min(student_stages, teacher_stages) - 1);
}

absl::StatusOr<std::vector<StagePair>> IntermediateStagePairs(
    absl::string_view loss, const LossInputs& inputs) {
  KD_ASSIGN_OR_RETURN(std::vector<torch::Tensor> student,
                      StageFeatures(loss, "student", inputs.student));
  KD_ASSIGN_OR_RETURN(std::vector<torch::Tensor> teacher,
                      StageFeatures(loss, "teacher", inputs.teacher));
  const int64_t pairs = IntermediateStageCount(student.size(), teacher.size());
  if (pairs == 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        loss,
        " matches stages 1.. (after the stem, stage 0) but the student "
        "has ",
        student.size(), " and the teacher ", teacher.size(),
        " stage feature maps"));
  }
  std::vector<StagePair> out;
  for (int64_t k = 1; k <= pairs; ++k) {
    torch::Tensor fs = student[k];
    torch::Tensor ft = teacher[k].detach();
    KD_RETURN_IF_ERROR(
        CheckBatch(loss, absl::StrCat("teacher stage ", k), ft, fs.size(0)));
    if (fs.scalar_type() != ft.scalar_type()) {
      return absl::InvalidArgumentError(absl::StrCat(
          loss, ": student and teacher stage ", k, " must have one dtype"));
    }
    const int64_t h = std::min(fs.size(2), ft.size(2));
    const int64_t w = std::min(fs.size(3), ft.size(3));
    if (fs.size(2) != h || fs.size(3) != w) {
      fs = at::adaptive_avg_pool2d(fs, {h, w});
    }
    if (ft.size(2) != h || ft.size(3) != w) {
      ft = at::adaptive_avg_pool2d(ft, {h, w});
    }
    out.push_back({k, fs, ft});
  }
  return out;
}

}  // namespace kd
