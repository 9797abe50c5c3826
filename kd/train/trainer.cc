#include "kd/train/trainer.h"

#include <torch/utils.h>

#include <chrono>
#include <cstdio>
#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "glog/logging.h"
#include "kd/base/files.h"
#include "kd/status_macros.h"
#include "kd/train/data_parallel.h"
#include "kd/train/epoch_stats.h"
#include "kd/train/metrics_log.h"
#include "kd/train/progress.h"
#include "kd/train/run_outputs.h"
#include "kd/train/run_setup.h"
#include "kd/train/run_state.h"
#include "kd/train/train_step.h"

namespace kd {
namespace {

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

// Whether there is a run to continue: with --resume, the checkpoint in
// --out_dir (a run killed before its first checkpoint starts afresh, and
// says so); without, a checkpoint there is an error (no run is overwritten).
absl::StatusOr<bool> ContinuesARun(const RunConfig& config) {
  const std::string checkpoint = config.out_dir + "/checkpoint.pt";
  if (config.resume) {
    if (PathExists(checkpoint)) return true;
    LOG(WARNING) << "--resume: no checkpoint.pt in " << config.out_dir
                 << " yet (the run stopped before its first epoch ended): "
                    "starting the run afresh";
    return false;
  }
  if (PathExists(checkpoint)) {
    return absl::AlreadyExistsError(absl::StrCat(
        "--out_dir ", config.out_dir,
        " already holds a run (checkpoint.pt): pass --resume to continue it, "
        "or choose another --out_dir"));
  }
  return false;
}

// One step of the epoch loop, accounted in `stats` and shown by `bar`; false
// when the loader has no batch left.
absl::StatusOr<bool> TrainOneStep(TrainingRun& run, int64_t epoch, int64_t step,
                                  EpochStats& stats, ProgressReporter& bar) {
  KD_ASSIGN_OR_RETURN(std::optional<Batch> batch, run.train_loader->Next());
  if (!batch) return false;
  run.SetLr(run.schedule->At(epoch, step, run.steps_per_epoch));
  KD_ASSIGN_OR_RETURN(StepResult done, TrainStep(run, *batch, epoch + 1));
  KD_RETURN_IF_ERROR(stats.Add(done));
  bar.Step(step + 1, done.batch_size, stats.RunningMeans());
  return true;
}

}  // namespace

struct Trainer::State {
  std::unique_ptr<TrainingRun> run;
  std::unique_ptr<MetricsLog> metrics;
  RunProgress progress;  // restored by --resume
};

Trainer::Trainer(std::unique_ptr<State> state) : state_(std::move(state)) {}
Trainer::~Trainer() = default;

bool Trainer::writes_outputs() const { return state_->run->writes_outputs(); }

absl::StatusOr<std::unique_ptr<Trainer>> Trainer::Create(
    const RunConfig& config) {
  KD_RETURN_IF_ERROR(ValidateRunConfig(config));
  // First of all the rendezvous, so that a rank failing later (a bad file)
  // makes its peers fail at once instead of waiting for it to join.
  KD_ASSIGN_OR_RETURN(std::shared_ptr<DistGroup> group,
                      JoinDataParallelRun(config));
  KD_ASSIGN_OR_RETURN(const bool resume, ContinuesARun(config));
  auto state = std::make_unique<State>();
  KD_ASSIGN_OR_RETURN(state->run, SetUpRun(config, group));
  const bool writes = state->run->writes_outputs();
  if (writes) {
    KD_RETURN_IF_ERROR(
        WithPrefix("--out_dir: ", MakeDirectories(config.out_dir)));
    state->metrics = std::make_unique<MetricsLog>(config.out_dir);
  }
  if (resume) {
    const std::string path = state->run->Path("checkpoint.pt");
    KD_ASSIGN_OR_RETURN(state->progress,
                        RestoreRunState(path, state->run.get()));
    LOG(INFO) << "resuming " << path << " after epoch "
              << state->progress.epochs_done << " of " << config.epochs;
  }
  if (group) {
    KD_RETURN_IF_ERROR(group->CheckSameOnEveryRank(
        "checkpoint state (every rank reads --out_dir/checkpoint.pt)",
        absl::StrCat(state->progress.epochs_done)));
  }
  if (writes) {
    KD_RETURN_IF_ERROR(state->metrics->TruncateTo(state->progress.epochs_done));
    KD_RETURN_IF_ERROR(
        WriteFileAtomically(state->run->Path("run_config.json"),
                            RunConfigToJson(config).dump(2) + "\n"));
  }
  return std::unique_ptr<Trainer>(new Trainer(std::move(state)));
}

absl::StatusOr<RunResult> Trainer::Run() {
  TrainingRun& run = *state_->run;
  RunProgress& progress = state_->progress;
  const RunConfig& c = run.config;
  const auto t0 = std::chrono::steady_clock::now();
  RunResult result;
  result.train_examples = run.train_set->size();
  result.eval_examples = run.eval_set->size();

  LOG(INFO) << "mode " << TrainModeName(c.mode) << ": training " << run.role
            << " " << run.model.spec.backbone << " (embed "
            << run.model.spec.embed_dim << ") on " << c.dataset << " ("
            << run.train_set->size() << " train / " << run.eval_set->size()
            << " " << c.eval_split << " images, " << run.num_classes
            << " classes, " << run.input_size << "x" << run.input_size
            << "), losses " << run.losses->Describe() << ", " << c.epochs
            << " epochs, batch " << c.batch_size
            << (run.parallel
                    ? absl::StrCat(" per rank x ",
                                   run.parallel->group->world_size(), " ranks")
                    : std::string())
            << ", lr " << c.lr << " (" << c.lr_schedule << "), seed " << c.seed
            << ", " << torch::get_num_threads() << " threads";
  if (run.teacher) {
    if (progress.epochs_done == 0) {
      KD_ASSIGN_OR_RETURN(
          progress.teacher_top1,
          run.teacher->Prepare(*run.train_loader, *run.eval_loader));
    }
    LOG(INFO) << run.teacher->Describe(progress.teacher_top1);
    if (run.writes_outputs()) {
      std::fprintf(stderr, "teacher accuracy at start: %s\n",
                   run.teacher->AccuracyText(progress.teacher_top1).c_str());
    }
  }

  DistGroup* group = run.parallel ? run.parallel->group.get() : nullptr;
  ProgressReporter bar(c.progress && ProgressReporter::IsTerminal(stderr),
                       run.writes_outputs() ? stderr : nullptr);
  const int64_t steps = run.steps_per_epoch;
  int64_t epochs_this_process = 0;
  EvalResult last_eval;
  for (int64_t epoch = progress.epochs_done; epoch < c.epochs; ++epoch) {
    const auto e0 = std::chrono::steady_clock::now();
    run.model.Train(true);
    run.losses->train();
    run.train_loader->StartEpoch(epoch);
    if (run.teacher) {
      run.teacher->StartEpoch(epoch * run.train_loader->batches_per_epoch());
    }
    bar.StartEpoch(epoch + 1, c.epochs, steps);
    EpochStats stats(run.num_classes, run.teacher != nullptr,
                     run.teacher && run.teacher->head_trains_alongside());
    for (int64_t step = 0; step < steps; ++step) {
      const absl::StatusOr<bool> more =
          TrainOneStep(run, epoch, step, stats, bar);
      if (!more.ok()) {
        bar.Finish();
        return WithPrefix(absl::StrCat("epoch ", epoch + 1, "/", c.epochs,
                                       ", step ", step + 1, "/", steps, ": "),
                          more.status());
      }
      if (!*more) break;
    }
    bar.Finish();
    if (group) KD_RETURN_IF_ERROR(FinishDataParallelEpoch(run, stats));
    EpochStats::After after;
    after.train_seconds = SecondsSince(e0);
    after.lr = run.schedule->At(epoch, 0, steps);
    const bool evaluates =
        (epoch + 1) % c.eval_every == 0 || epoch + 1 == c.epochs;
    if (evaluates) {
      KD_ASSIGN_OR_RETURN(
          last_eval,
          EvaluateClassifier(run.model, *run.eval_loader, run.device, group));
      if (run.teacher && run.teacher->head_trains_alongside()) {
        KD_ASSIGN_OR_RETURN(progress.teacher_top1,
                            run.teacher->EvaluateHead(*run.eval_loader));
      }
    }
    const bool is_best = evaluates && last_eval.top1 > progress.best_top1;
    if (is_best) {
      progress.best_top1 = last_eval.top1;
      progress.best_epoch = epoch + 1;
    }
    after.evaluated = evaluates;
    after.eval = last_eval;
    after.teacher_top1 = progress.teacher_top1;
    after.best_top1 = progress.best_top1;
    if (run.writes_outputs()) {
      KD_RETURN_IF_ERROR(
          state_->metrics->Append(stats.Record(epoch + 1, after)));
    }
    const std::string eval_text =
        evaluates
            ? absl::StrFormat(
                  "%s top-1 %.2f%% top-5 %.2f%% (best %.2f%% at epoch %d)",
                  c.eval_split, last_eval.top1, last_eval.top5,
                  progress.best_top1, progress.best_epoch)
            : std::string("not evaluated (--eval_every)");
    LOG(INFO) << absl::StrFormat(
        "epoch %d/%d: train loss %.4f, train top-1 %.2f%%, %s%s, %.0f img/s",
        epoch + 1, c.epochs, stats.mean_loss(), stats.train_top1(), eval_text,
        evaluates && run.teacher && progress.teacher_top1 >= 0
            ? absl::StrFormat(", teacher head %.2f%%", progress.teacher_top1)
            : std::string(),
        after.train_seconds > 0 ? stats.seen() / after.train_seconds : 0.0);

    progress.epochs_done = epoch + 1;
    if (run.writes_outputs()) {
      const TensorMap state = RunState(run, progress);
      KD_RETURN_IF_ERROR(SaveTensorMap(run.Path("checkpoint.pt"), state));
      if (is_best) {
        KD_RETURN_IF_ERROR(SaveTensorMap(run.Path("best.pt"), state));
        KD_RETURN_IF_ERROR(WriteNetworkFiles(run, "best"));
      }
    }
    result.last_train_loss = stats.mean_loss();
    ++epochs_this_process;
    result.epochs_done = epoch + 1;
    if (c.stop_after_epochs > 0 && epochs_this_process >= c.stop_after_epochs &&
        epoch + 1 < c.epochs) {
      LOG(INFO) << "stopping after " << epochs_this_process
                << " epochs (--stop_after_epochs); continue with --resume";
      result.stopped_early = true;
      break;
    }
  }
  if (!result.stopped_early) {
    if (epochs_this_process == 0) {
      // Nothing left to train (resumed a finished run): evaluate once.
      result.epochs_done = progress.epochs_done;
      KD_ASSIGN_OR_RETURN(
          last_eval,
          EvaluateClassifier(run.model, *run.eval_loader, run.device, group));
    }
    if (run.writes_outputs()) {
      KD_RETURN_IF_ERROR(WriteNetworkFiles(run, "final"));
      absl::StatusOr<std::vector<EpochRecord>> records =
          state_->metrics->ReadAll();
      const absl::Status curves =
          records.ok() ? WriteLearningCurve(run, *records) : records.status();
      if (!curves.ok()) LOG(WARNING) << "learning curve: " << curves.message();
    }
  }
  result.last_top1 = last_eval.top1;
  result.last_top5 = last_eval.top5;
  result.best_top1 = progress.best_top1;
  result.best_epoch = progress.best_epoch;
  result.teacher_top1 = run.teacher ? progress.teacher_top1 : -1;
  result.seconds = SecondsSince(t0);
  if (run.writes_outputs()) KD_RETURN_IF_ERROR(WriteSummary(run, result));
  // Rank 0 hosts the rendezvous: every rank leaves together.
  if (group) KD_RETURN_IF_ERROR(group->Barrier("the end of the run"));
  return result;
}

}  // namespace kd
