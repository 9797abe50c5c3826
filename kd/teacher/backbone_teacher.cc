#include "kd/teacher/backbone_teacher.h"

#include <torch/nn/module.h>

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "kd/base/torch_errors.h"
#include "kd/status_macros.h"

namespace kd {

absl::StatusOr<std::unique_ptr<BackboneTeacher>> BackboneTeacher::Create(
    const std::string& spec, const BackboneConfig& config,
    const std::string& checkpoint, bool trainable, int64_t input_size) {
  TensorMap weights;
  if (!checkpoint.empty()) {
    absl::StatusOr<TensorMap> read = LoadTensorMap(checkpoint);
    if (!read.ok()) {
      return WithPrefix(absl::StrCat("teacher '", spec, "': "), read.status());
    }
    weights = *std::move(read);
  }
  return Create(spec, config, weights, checkpoint, trainable, input_size);
}

absl::StatusOr<std::unique_ptr<BackboneTeacher>> BackboneTeacher::Create(
    const std::string& spec, const BackboneConfig& config,
    const TensorMap& weights, const std::string& source, bool trainable,
    int64_t input_size) {
  if (source.empty() && !trainable) {
    return absl::InvalidArgumentError(absl::StrCat(
        "teacher '", spec,
        "': a frozen backbone teacher needs a checkpoint (a state-dict file); "
        "only a trainable teacher may start from random weights"));
  }
  KD_ASSIGN_OR_RETURN(std::unique_ptr<Backbone> backbone,
                      Backbone::Registry::Global().Create(spec, config));
  std::shared_ptr<Backbone> shared(std::move(backbone));
  if (!source.empty()) {
    KD_RETURN_IF_ERROR(WithPrefix(absl::StrCat("teacher '", spec, "': "),
                                  LoadStateDict(*shared, weights, source)));
  }
  std::string description = source.empty()
                                ? absl::StrCat(spec, " (random init)")
                                : absl::StrCat(spec, " from ", source);
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
  stage_sizes_ = StageSizes(*backbone_, input_size_);
}

absl::StatusOr<BackboneOutput> BackboneTeacher::Forward(
    const TeacherInputs& inputs) {
  try {
    BackboneOutput out;
    if (trainable_) {
      out = backbone_->Forward(inputs.images);
    } else {
      backbone_->eval();  // in case a caller switched the whole model to train
      torch::NoGradGuard no_grad;
      out = backbone_->Forward(inputs.images);
    }
    if (!inputs.stage_maps) {
      out.stage_features.clear();
      out.preact_stage_features.clear();
    }
    return out;
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("teacher ", description_, ": ", ExceptionMessage(e)));
  }
}

}  // namespace kd
