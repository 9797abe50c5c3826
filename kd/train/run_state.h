// A run's state in its checkpoint (checkpoint.pt, best.pt): the trained
// network with its spec, the losses' state, the optimisers' momentum, the
// teacher head, the progress so far, torch's CPU generator and the resume
// fingerprint (the settings a continued run must share, run_config.h). One
// flat dictionary of tensors, written atomically (backbones/state_dict.h).
#ifndef KD_TRAIN_RUN_STATE_H_
#define KD_TRAIN_RUN_STATE_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "backbones/state_dict.h"
#include "kd/train/run_setup.h"

namespace kd {

// What a run has achieved so far.
struct RunProgress {
  int64_t epochs_done = 0;
  double best_top1 = -1;     // best evaluation top-1 (%), -1 before any
  int64_t best_epoch = 0;    // 1-based
  double teacher_top1 = -1;  // the teacher head's (%), -1: not measured
};

// The whole state as named tensors: "model.*", "losses.*", "opt.*",
// "teacher_head.*", "teacher_head_opt.*", "meta.*".
TensorMap RunState(const TrainingRun& run, const RunProgress& progress);

// Loads `path` into `run` (weights, losses, optimisers, generator) and
// returns its progress. A checkpoint of other settings is an error listing
// each differing flag with both values, one of another architecture an error
// listing the mismatched tensors. After an error `run` may be partly loaded
// and is not to be trained.
absl::StatusOr<RunProgress> RestoreRunState(const std::string& path,
                                            TrainingRun* run);

}  // namespace kd

#endif  // KD_TRAIN_RUN_STATE_H_
