// train: trains a teacher, or distils a student from a teacher, with any
// registered backbone, data set and weighted combination of losses. Its
// flags are the run's settings (kd/train/run_settings.inc).
//
//   train --mode=teacher --teacher=resnet20 --out_dir=runs/teacher
//   train --mode=simultaneous --teacher=resnet20
//         --teacher_checkpoint=runs/teacher/best.pt --student=resnet8
//         --loss=ce --loss=ega:node=0.8,edge=0.24 --out_dir=runs/ega
//
// Exit codes: 0 done, 2 bad input (nothing trained), 1 training failed
// (e.g. a non-finite loss, named with its epoch and step).
#include <cstdio>
#include <string>

#include "absl/strings/str_cat.h"
#include "backbones/backbone.h"
#include "glog/logging.h"
#include "kd/base/torch_errors.h"
#include "kd/data/dataset.h"
#include "kd/train/cli.h"
#include "kd/train/run_flags.h"
#include "kd/train/trainer.h"
#include "losses/loss_set.h"

namespace {

std::string PluginHelp() {
  return absl::StrCat("Data sets:\n", kd::Dataset::Registry::Global().Help(),
                      "\nBackbones:\n", kd::Backbone::Registry::Global().Help(),
                      "\nLosses:\n", kd::LossSet::Help());
}

int Main(int argc, char** argv) {
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  kd::RegisterRunFlags();
  kd::CliSpec spec;
  spec.program = "train";
  spec.usage =
      "trains a teacher (--mode=teacher) or distils a student from a teacher "
      "(--mode=sequential|simultaneous). Bad input exits with code 2 before "
      "training starts.";
  spec.repeatable = kd::RepeatableRunFlags();
  spec.help_files = {kd::kRunFlagsSource};
  spec.extra_help = PluginHelp;
  const kd::ParsedCli cli = kd::ParseCommandLineOrExit(spec, argc, argv);

  absl::StatusOr<kd::RunConfig> config = kd::RunConfigFromFlags(cli);
  if (!config.ok()) return kd::ReportBadInput("train", config.status());
  auto trainer = kd::Trainer::Create(*config);
  if (!trainer.ok()) return kd::ReportBadInput("train", trainer.status());
  auto result = (*trainer)->Run();
  if (!result.ok()) {
    LOG(ERROR) << "training stopped: " << result.status().message();
    std::fprintf(stderr, "train: training stopped: %s\n",
                 std::string(result.status().message()).c_str());
    return 1;
  }
  if (!(*trainer)->writes_outputs()) return 0;
  std::printf(
      "%s: %lld/%lld epochs, %lld train / %lld eval images: last top-1 "
      "%.2f%%, best top-1 %.2f%% (epoch %lld)%s, %.1f s\n",
      config->mode == kd::TrainMode::kTeacher ? "teacher" : "student",
      static_cast<long long>(result->epochs_done),
      static_cast<long long>(config->epochs),
      static_cast<long long>(result->train_examples),
      static_cast<long long>(result->eval_examples), result->last_top1,
      result->best_top1, static_cast<long long>(result->best_epoch),
      result->teacher_top1 >= 0
          ? absl::StrCat(", teacher head top-1 ", result->teacher_top1, "%")
                .c_str()
          : "",
      result->seconds);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return kd::RunReportingExceptions("train", [&] { return Main(argc, argv); });
}
