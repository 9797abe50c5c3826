#include "backbones/backbone_teacher.h"

#include <torch/nn/module.h>

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "backbones/state_dict.h"
#include "kd/status_macros.h"

namespace kd {

absl::StatusOr<std::unique_ptr<BackboneTeacher>> BackboneTeacher::Create(
    const std::string& spec, const BackboneConfig& config,
    const std::string& checkpoint, bool trainable, int64_t input_size) {
  if (checkpoint.empty() && !trainable) {
    return absl::InvalidArgumentError(absl::StrCat(
        "teacher '", spec,
        "': a frozen backbone teacher needs a checkpoint (a state-dict file); "
        "only a trainable teacher may start from random weights"));
  }
  KD_ASSIGN_OR_RETURN(std::unique_ptr<Backbone> backbone,
                      Backbone::Registry::Global().Create(spec, config));
  std::shared_ptr<Backbone> shared(std::move(backbone));
  if (!checkpoint.empty()) {
    const absl::Status loaded = LoadStateDict(*shared, checkpoint);
    if (!loaded.ok()) {
      return absl::Status(loaded.code(), absl::StrCat("teacher '", spec,
                                                      "': ", loaded.message()));
    }
  }
  std::string description = checkpoint.empty()
                                ? absl::StrCat(spec, " (random init)")
                                : absl::StrCat(spec, " from ", checkpoint);
  if (trainable) absl::StrAppend(&description, ", trainable");
  return std::make_unique<BackboneTeacher>(
      std::move(shared), std::move(description), trainable, input_size);
}

BackboneTeacher::BackboneTeacher(std::shared_ptr<Backbone> backbone,
                                 std::string description, bool trainable,
                                 int64_t input_size)
    : backbone_(std::move(backbone)),
      description_(std::move(description)),
      trainable_(trainable),
      input_size_(input_size > 0 ? input_size
                                 : backbone_->native_input_size()) {
  if (!trainable_) {
    backbone_->eval();
    for (auto& p : backbone_->parameters()) p.set_requires_grad(false);
  }
}

absl::StatusOr<BackboneOutput> BackboneTeacher::Forward(
    const TeacherInputs& inputs) {
  try {
    if (trainable_) return backbone_->Forward(inputs.images);
    backbone_->eval();  // in case a caller switched the whole model to train
    torch::NoGradGuard no_grad;
    return backbone_->Forward(inputs.images);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("teacher ", description_, ": ", e.what()));
  }
}

}  // namespace kd
