#include "kd/teacher/backbone_teacher.h"

#include <c10/core/InferenceMode.h>
#include <torch/nn/module.h>

#include <exception>
#include <utility>

#include "absl/strings/str_cat.h"
#include "backbones/layers.h"
#include "kd/base/device.h"
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
    FoldBatchNorm(*backbone_);  // also eval mode
    for (auto& p : backbone_->parameters()) p.set_requires_grad(false);
  }
  stage_sizes_ = StageSizes(*backbone_, input_size_);
}

void BackboneTeacher::To(const torch::Device& device) {
  backbone_->to(device);
  device_ = device;
}

void BackboneTeacher::SetCompute(Precision precision, bool channels_last) {
  precision_ = precision;
  if (channels_last) ToChannelsLast(*backbone_);
}

namespace {

// Ordinary float32 copies of inference-mode outputs: autograd may save them
// for the student's backward (an inference tensor cannot be saved).
void CopyOutOfInference(BackboneOutput* out) {
  const auto copy = [](torch::Tensor& t) {
    if (t.defined())
      t = t.to(torch::kFloat, /*non_blocking=*/false,
               /*copy=*/true);
  };
  copy(out->pooled);
  copy(out->logits);
  for (torch::Tensor& t : out->stage_features) copy(t);
  for (torch::Tensor& t : out->preact_stage_features) copy(t);
}

}  // namespace

absl::StatusOr<BackboneOutput> BackboneTeacher::Forward(
    const TeacherInputs& inputs) {
  try {
    BackboneOutput out;
    if (trainable_) {
      AutocastScope autocast(precision_, device_);
      out = backbone_->Forward(ToDevice(inputs.images, device_));
    } else {
      backbone_->eval();  // in case a caller switched the whole model to train
      c10::InferenceMode inference;
      AutocastScope autocast(precision_, device_);
      out = backbone_->Forward(ToDevice(inputs.images, device_));
    }
    if (!inputs.stage_maps) {
      out.stage_features.clear();
      out.preact_stage_features.clear();
    }
    if (!trainable_) {
      CopyOutOfInference(&out);
    } else {
      out.pooled = ToFloat32(out.pooled);
      out.logits = ToFloat32(out.logits);
    }
    return out;
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("teacher ", description_, ": ", ExceptionMessage(e)));
  }
}

}  // namespace kd
