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

// Errors: a loss's own (a missing input, a wrong shape), a non-finite term
// (named), a non-finite total. Nothing is updated when the losses fail.
absl::StatusOr<StepResult> TrainStep(TrainingRun& run, const Batch& batch);

}  // namespace kd

#endif  // KD_TRAIN_TRAIN_STEP_H_
