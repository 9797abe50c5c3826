// The training run behind tools/train: sets it up from a RunConfig
// (run_setup.h: every check of user input happens there, before any
// training), then trains epoch by epoch (train_step.h) with evaluation and
// the epoch's record (epoch_stats.h), checkpoints and resumption
// (run_state.h) and the output files (run_outputs.h). Torch-free header.
//
//   KD_ASSIGN_OR_RETURN(auto trainer, Trainer::Create(config));  // bad input
//   KD_ASSIGN_OR_RETURN(RunResult result, trainer->Run());       // training
//
// Files in config.out_dir:
//   checkpoint.pt        full state after the last finished epoch (resume)
//   best.pt              full state at the best evaluation accuracy
//   <role>_final.pt, <role>_best.pt            backbone state dicts and
//   <role>_head_final.pt, <role>_head_best.pt  head state dicts, loadable in
//                        PyTorch with torch.load + load_state_dict
//                        (<role> is "student", or "teacher" in teacher mode)
//   metrics.csv, metrics.jsonl, learning_curve.png, summary.json,
//   run_config.json      every setting of the run (run_settings.inc)
#ifndef KD_TRAIN_TRAINER_H_
#define KD_TRAIN_TRAINER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "kd/train/run_config.h"

namespace kd {

struct RunResult {
  int64_t epochs_done = 0;  // epochs finished in total (incl. resumed)
  double last_top1 = 0;     // evaluation accuracy after the last epoch
  double last_top5 = 0;
  double best_top1 = 0;
  int64_t best_epoch = 0;      // 1-based
  double teacher_top1 = -1;    // teacher head accuracy (-1: no teacher)
  double last_train_loss = 0;  // mean total loss of the last epoch
  int64_t train_examples = 0;
  int64_t eval_examples = 0;
  double seconds = 0;          // wall time of this process's training
  bool stopped_early = false;  // stop_after_epochs hit
};

class Trainer {
 public:
  // Everything that can fail because of user input fails here: the run's
  // set-up, its output directory, and with config.resume the checkpoint to
  // continue from (which must exist and share the run's settings).
  static absl::StatusOr<std::unique_ptr<Trainer>> Create(
      const RunConfig& config);
  ~Trainer();

  // Trains the remaining epochs. A non-finite loss term is an error naming
  // the term, the epoch and the step.
  absl::StatusOr<RunResult> Run();

  // False on the ranks of a data-parallel run other than 0: they write no
  // files and print no progress or summary.
  bool writes_outputs() const;

 private:
  struct State;
  explicit Trainer(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

}  // namespace kd

#endif  // KD_TRAIN_TRAINER_H_
