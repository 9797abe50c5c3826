// Data-parallel training of one run over several processes
// (docs/distributed.md): what SetUpRun adds when the run has a DistGroup,
// and the steps' collectives.
//
// - Identical initial state everywhere: the trained network, its head, every
//   loss module's parameters and buffers, and the teacher head, broadcast
//   from rank 0.
// - Gradients of everything the optimiser updates averaged over ranks in
//   buckets overlapping the backward pass (GradientBuckets); the teacher
//   head's own optimiser the same (TeacherSide).
// - Losses that couple a batch's examples see the whole batch of every rank
//   (LossInputs::whole_batch) unless --dist_graph=local.
// - Synchronised BatchNorm with --sync_bn; otherwise each rank's batch
//   statistics, and the running statistics averaged over ranks after each
//   epoch (so evaluation and checkpoints see one network).
#ifndef KD_TRAIN_DATA_PARALLEL_H_
#define KD_TRAIN_DATA_PARALLEL_H_

#include <memory>

#include "absl/status/status.h"
#include "kd/dist/dist_group.h"
#include "kd/dist/gradient_buckets.h"
#include "kd/train/epoch_stats.h"
#include "kd/train/run_config.h"
#include "losses/loss.h"

namespace kd {

struct TrainingRun;

// What a TrainingRun holds for data-parallel training.
struct DataParallel {
  std::shared_ptr<DistGroup> group;
  std::unique_ptr<GradientBuckets> gradients;  // of TrainingRun::optimizer
  // What the whole-batch losses read (empty with --dist_graph=local).
  LossInputSet whole_batch_reads;
};

// The run's DistGroup when it has several processes (--world_size or
// $WORLD_SIZE above 1), null for one. Every rank must pass the same settings
// (the resume fingerprint: what the run computes), else FAILED_PRECONDITION.
// Ranks other than 0 log warnings and errors only.
absl::StatusOr<std::shared_ptr<DistGroup>> JoinDataParallelRun(
    const RunConfig& config);

// Called by SetUpRun once the run's modules, losses and optimiser exist.
absl::Status SetUpDataParallel(TrainingRun& run,
                               std::shared_ptr<DistGroup> group);

// The whole batch of every rank for the losses that couple examples, built
// from this rank's `local` inputs: only what those losses read is gathered;
// student tensors keep their gradients. `student` and `teacher` hold the
// gathered backbone outputs the result points to. Throws on a failed
// collective (it runs inside the autograd graph), with a one-line message.
LossInputs GatherWholeBatch(DistGroup& group, const LossInputs& local,
                            const LossInputSet& reads, BackboneOutput* student,
                            BackboneOutput* teacher);

// After an epoch's steps: the epoch's statistics summed over ranks; without
// synchronised BatchNorm every floating buffer of the trained network
// (BatchNorm running statistics) replaced by its mean over ranks; then a
// check that every rank holds the same parameters and buffers (the trained
// network, the loss modules with CRD's memory banks, the teacher head), an
// error naming the first that differs.
absl::Status FinishDataParallelEpoch(TrainingRun& run, EpochStats& stats);

}  // namespace kd

#endif  // KD_TRAIN_DATA_PARALLEL_H_
