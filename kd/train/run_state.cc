#include "kd/train/run_state.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>

#include <mutex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "kd/status_macros.h"
#include "kd/train/sgd_state.h"
#include "nlohmann/json.hpp"

namespace kd {
namespace {

torch::Tensor ScalarI64(int64_t v) { return torch::tensor({v}, torch::kInt64); }
torch::Tensor ScalarF64(double v) { return torch::tensor({v}, torch::kDouble); }

}  // namespace

TensorMap RunState(const TrainingRun& run, const RunProgress& progress) {
  TensorMap state;
  AddNetworkState(run.model, "model.", &state);
  AddModuleState(*run.losses, "losses.", &state);
  AddSgdState(*run.optimizer, *run.trainable, "opt.", &state);
  if (run.teacher) run.teacher->AddState(&state);
  if (run.loss_scaler) run.loss_scaler->AddState("scaler.", &state);
  state["meta.epoch"] = ScalarI64(progress.epochs_done);
  state["meta.best_top1"] = ScalarF64(progress.best_top1);
  state["meta.best_epoch"] = ScalarI64(progress.best_epoch);
  state["meta.teacher_top1"] = ScalarF64(progress.teacher_top1);
  state["meta.seed"] = ScalarI64(static_cast<int64_t>(run.config.seed));
  state["meta.config"] = StringTensor(ResumeFingerprint(run.config).dump());
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    state["meta.rng_cpu"] = gen.get_state();
  }
  if (run.device.is_cuda()) {  // CRD draws its negatives there
    at::Generator gen = at::globalContext().defaultGenerator(run.device);
    std::lock_guard<std::mutex> lock(gen.mutex());
    state["meta.rng_cuda"] = gen.get_state();
  }
  return state;
}

absl::StatusOr<RunProgress> RestoreRunState(const std::string& path,
                                            TrainingRun* run) {
  KD_ASSIGN_OR_RETURN(TensorMap state, LoadTensorMap(path));
  if (!state.count("meta.config") || !state.count("meta.epoch")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--resume: ", path, " is not a tools/train checkpoint"));
  }
  const auto saved = nlohmann::ordered_json::parse(
      TensorString(state.at("meta.config")), nullptr, false);
  const std::vector<std::string> differing =
      FingerprintDifferences(saved, ResumeFingerprint(run->config));
  if (!differing.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--resume: the run in ", run->config.out_dir,
        " was started with other settings: ", absl::StrJoin(differing, ", ")));
  }
  KD_RETURN_IF_ERROR(LoadModuleState(state, "model.backbone.", path,
                                     run->model.backbone.get()));
  KD_RETURN_IF_ERROR(
      LoadModuleState(state, "model.head.", path, run->model.head.get()));
  KD_RETURN_IF_ERROR(
      LoadModuleState(state, "losses.", path, run->losses.get()));
  KD_RETURN_IF_ERROR(
      LoadSgdState(state, "opt.", path, *run->trainable, run->optimizer.get()));
  if (run->teacher) KD_RETURN_IF_ERROR(run->teacher->LoadState(state, path));
  if (run->loss_scaler) {
    KD_RETURN_IF_ERROR(run->loss_scaler->LoadState(state, "scaler.", path));
  }
  RunProgress progress;
  progress.epochs_done = state.at("meta.epoch").item<int64_t>();
  progress.best_top1 = state.at("meta.best_top1").item<double>();
  progress.best_epoch = state.at("meta.best_epoch").item<int64_t>();
  progress.teacher_top1 = state.at("meta.teacher_top1").item<double>();
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state.at("meta.rng_cpu"));
  }
  // A run resumed on another device type continues with that device's own
  // generator state.
  if (run->device.is_cuda() && state.count("meta.rng_cuda")) {
    at::Generator gen = at::globalContext().defaultGenerator(run->device);
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state.at("meta.rng_cuda"));
  }
  return progress;
}

}  // namespace kd
