#include "kd/train/run_outputs.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "kd/base/files.h"
#include "kd/plot/plot.h"
#include "kd/status_macros.h"
#include "nlohmann/json.hpp"

namespace kd {

absl::Status WriteNetworkFiles(const TrainingRun& run,
                               const std::string& suffix) {
  TensorMap backbone, head;
  AddModuleState(*run.model.backbone, "", &backbone);
  AddModuleState(*run.model.head, "", &head);
  KD_RETURN_IF_ERROR(SaveTensorMap(
      run.Path(absl::StrCat(run.role, "_", suffix, ".pt")), backbone));
  return SaveTensorMap(
      run.Path(absl::StrCat(run.role, "_head_", suffix, ".pt")), head);
}

absl::Status WriteLearningCurve(const TrainingRun& run,
                                const std::vector<EpochRecord>& records) {
  if (records.empty()) return absl::OkStatus();
  plot::Series train{"train error (%)", {}, {}, 0, true};
  plot::Series test{"test error (%)", {}, {}, 0, false};
  plot::Series teacher{"teacher test error (%)", {}, {}, 1, false};
  for (const EpochRecord& r : records) {
    train.x.push_back(r.epoch);
    train.y.push_back(100.0 - r.Get("train_top1"));
    const double top1 = r.Get("test_top1", NAN);  // null: not evaluated
    if (!std::isnan(top1)) {
      test.x.push_back(r.epoch);
      test.y.push_back(100.0 - top1);
    }
    const double t = r.Get("teacher_top1", -1);
    if (t >= 0) {
      teacher.x.push_back(r.epoch);
      teacher.y.push_back(100.0 - t);
    }
  }
  std::vector<plot::Series> series = {train, test};
  if (!teacher.x.empty()) series.push_back(teacher);
  plot::LineChartOptions options;
  options.title = absl::StrCat(run.role, " ", run.model.spec.backbone, " on ",
                               run.config.dataset, ": learning curves");
  options.y_label = "error (%)";
  options.y_from_zero = true;
  options.markers = records.size() <= 30;
  return plot::WriteLineChartPng(run.Path("learning_curve.png"), series,
                                 options);
}

absl::Status WriteSummary(const TrainingRun& run, const RunResult& result) {
  const RunConfig& c = run.config;
  nlohmann::ordered_json summary;
  summary["mode"] = TrainModeName(c.mode);
  summary["role"] = run.role;
  summary["network"] = run.model.spec.backbone;
  summary["teacher"] = c.mode == TrainMode::kTeacher ? "" : c.teacher;
  summary["dataset"] = c.dataset;
  summary["losses"] = run.losses->Describe();
  summary["train_examples"] = result.train_examples;
  summary["eval_examples"] = result.eval_examples;
  summary["epochs"] = c.epochs;
  summary["epochs_done"] = result.epochs_done;
  summary["finished"] = !result.stopped_early;
  summary["last_top1"] = result.last_top1;
  summary["last_top5"] = result.last_top5;
  summary["best_top1"] = result.best_top1;
  summary["best_epoch"] = result.best_epoch;
  summary["teacher_top1"] = result.teacher_top1;
  summary["seconds"] = result.seconds;
  return WriteFileAtomically(run.Path("summary.json"), summary.dump(2) + "\n");
}

}  // namespace kd
