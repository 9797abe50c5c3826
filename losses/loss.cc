#include "losses/loss.h"

namespace kd {

const char* LossInputName(LossInput input) {
  switch (input) {
    case LossInput::kStudentEmbedding:
      return "student embeddings";
    case LossInput::kTeacherEmbedding:
      return "teacher embeddings";
    case LossInput::kStudentLogits:
      return "student logits";
    case LossInput::kTeacherLogits:
      return "teacher logits";
    case LossInput::kStudentPooled:
      return "student pooled features";
    case LossInput::kTeacherPooled:
      return "teacher pooled features";
    case LossInput::kStudentStageMaps:
      return "student stage feature maps";
    case LossInput::kTeacherStageMaps:
      return "teacher stage feature maps";
    case LossInput::kStudentPreactMaps:
      return "student pre-activation stage feature maps";
    case LossInput::kTeacherPreactMaps:
      return "teacher pre-activation stage feature maps";
    case LossInput::kLabels:
      return "labels";
    case LossInput::kIndices:
      return "data-set indices";
  }
  return "?";
}

std::vector<LossInput> LossInputSet::MissingFrom(
    const LossInputSet& available) const {
  std::vector<LossInput> missing;
  for (int i = 0; i <= static_cast<int>(LossInput::kIndices); ++i) {
    const LossInput input = static_cast<LossInput>(i);
    if (contains(input) && !available.contains(input)) missing.push_back(input);
  }
  return missing;
}

}  // namespace kd
