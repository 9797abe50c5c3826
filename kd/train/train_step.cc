#include "kd/train/train_step.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "kd/base/device.h"
#include "kd/base/torch_errors.h"
#include "kd/status_macros.h"
#include "kd/train/data_parallel.h"

namespace kd {
namespace {

std::vector<torch::Tensor> OptimizedParameters(const TrainingRun& run) {
  std::vector<torch::Tensor> params;
  for (const auto& group : run.optimizer->param_groups()) {
    params.insert(params.end(), group.params().begin(), group.params().end());
  }
  return params;
}

absl::StatusOr<StepResult> TrainStepOnce(TrainingRun& run, const Batch& batch,
                                         int64_t epoch) {
  const LossInputSet& reads = run.loss_reads;
  const torch::Tensor images = ToDevice(batch.images, run.device);
  const torch::Tensor labels = ToDevice(batch.labels, run.device);
  Network::Output out = run.model.Forward(images);
  LossInputs inputs;
  inputs.student_embed = out.head.embedding;
  inputs.student_logits = out.head.logits;
  inputs.labels = labels;
  inputs.indices = ToDevice(batch.indices, run.device);
  inputs.epoch = epoch;
  if (reads.contains_any({LossInput::kStudentPooled,
                          LossInput::kStudentStageMaps,
                          LossInput::kStudentPreactMaps})) {
    inputs.student = &out.backbone;
  }
  TeacherSide::Output teacher;
  if (run.teacher) {
    KD_ASSIGN_OR_RETURN(
        teacher, run.teacher->Forward(
                     batch, labels,
                     reads.contains_any({LossInput::kTeacherStageMaps,
                                         LossInput::kTeacherPreactMaps})));
    inputs.teacher_embed = teacher.head.embedding;
    inputs.teacher_logits = teacher.head.logits;
    if (reads.contains_any({LossInput::kTeacherPooled,
                            LossInput::kTeacherStageMaps,
                            LossInput::kTeacherPreactMaps})) {
      inputs.teacher = &teacher.features;
    }
  }
  LossInputs whole_batch;
  BackboneOutput all_student, all_teacher;
  if (run.parallel && !run.parallel->whole_batch_reads.empty()) {
    whole_batch = GatherWholeBatch(*run.parallel->group, inputs,
                                   run.parallel->whole_batch_reads,
                                   &all_student, &all_teacher);
    inputs.whole_batch = &whole_batch;
  }
  KD_ASSIGN_OR_RETURN(
      LossSetValue value,
      run.losses->Compute(inputs, run.config.grad_norms ? inputs.student_embed
                                                        : torch::Tensor()));
  StepResult result;
  result.total = value.total.item<double>();
  if (!std::isfinite(result.total)) {
    return absl::InvalidArgumentError(
        absl::StrCat("total loss is ", result.total));
  }
  run.optimizer->zero_grad();
  if (run.parallel) run.parallel->gradients->StartStep();
  (run.loss_scaler ? run.loss_scaler->Scale(value.total) : value.total)
      .backward();
  if (run.parallel) KD_RETURN_IF_ERROR(run.parallel->gradients->Finish());
  // fp16: a step whose (averaged) gradients overflowed is skipped.
  const bool take_step =
      !run.loss_scaler || run.loss_scaler->Unscale(OptimizedParameters(run));
  if (take_step) run.optimizer->step();
  if (run.loss_scaler) run.loss_scaler->Update();
  if (teacher.head_ce.defined()) {
    KD_RETURN_IF_ERROR(run.teacher->StepHead(teacher.head_ce));
    result.teacher_head_ce = teacher.head_ce.item<double>();
  }
  result.batch_size = labels.size(0);
  for (const auto& [name, term] : value.terms) {
    result.terms.emplace_back(name, term.item<double>());
  }
  result.terms.insert(result.terms.end(), value.gradient_norms.begin(),
                      value.gradient_norms.end());
  result.student_logits = out.head.logits.detach();
  result.teacher_logits = teacher.head.logits;
  result.labels = labels;
  return result;
}

}  // namespace

absl::StatusOr<StepResult> TrainStep(TrainingRun& run, const Batch& batch,
                                     int64_t epoch) {
  if (!run.parallel) return TrainStepOnce(run, batch, epoch);
  // A failed collective inside the autograd graph (gathered embeddings,
  // synchronised BatchNorm) is an exception carrying its one-line message.
  try {
    return TrainStepOnce(run, batch, epoch);
  } catch (const std::exception& e) {
    return absl::UnavailableError(ExceptionMessage(e));
  }
}

}  // namespace kd
