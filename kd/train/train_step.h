// One training step of a run: the batch through the trained network and the
// teacher side, the losses on what they give (only what some loss reads),
// backward, the optimiser's step, and the teacher head's own step when it
// trains alongside.
#ifndef KD_TRAIN_TRAIN_STEP_H_
#define KD_TRAIN_TRAIN_STEP_H_

#include "absl/status/statusor.h"
#include "kd/data/loader.h"
#include "kd/train/epoch_stats.h"
#include "kd/train/run_setup.h"

namespace kd {

// `epoch` is the epoch the batch belongs to, counted from 1; the losses see
// it as LossInputs::epoch (dkd's warm-up).
// Errors: a loss's own (a missing input, a wrong shape), a non-finite term
// (named), a non-finite total. Nothing is updated when the losses fail.
absl::StatusOr<StepResult> TrainStep(TrainingRun& run, const Batch& batch,
                                     int64_t epoch);

}  // namespace kd

#endif  // KD_TRAIN_TRAIN_STEP_H_
