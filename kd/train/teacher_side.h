// The teacher side of a distillation run: the frozen teacher, its embedding
// head (node embedding layer + classifier), the head's own SGD, and what the
// run's mode does with the head:
//   kFrozen            sequential, the head loaded (from the teacher
//                      checkpoint or --teacher_head_checkpoint);
//   kTrainedFirst      sequential without a trained head: the head trains on
//                      CE of the teacher's features for --teacher_head_epochs
//                      before the student's first epoch, then stays frozen
//                      (the reference's train_teacher.py: SGD, lr x0.1 after
//                      62.5, 75 and 87.5 % of the epochs, i.e. 150/180/210
//                      of 240);
//   kTrainedAlongside  simultaneous: the head trains on CE at every student
//                      step with its own SGD at a constant rate (the
//                      reference).
// The head's SGD: --teacher_head_lr, --momentum, --teacher_head_weight_decay.
// The teacher itself never trains. The student's losses see the head's
// outputs as constants.
#ifndef KD_TRAIN_TEACHER_SIDE_H_
#define KD_TRAIN_TEACHER_SIDE_H_

#include <torch/optim/sgd.h>
#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "backbones/embedding_head.h"
#include "backbones/state_dict.h"
#include "kd/data/loader.h"
#include "kd/dist/dist_group.h"
#include "kd/dist/gradient_buckets.h"
#include "kd/teacher/teacher.h"
#include "kd/teacher/teacher_factory.h"
#include "kd/train/lr_schedule.h"
#include "kd/train/run_config.h"

namespace kd {

// The learning rate of each epoch of a head trained first: `base_lr`, x0.1
// after 62.5, 75 and 87.5 % of `epochs` (rounded to whole epochs).
LrSchedule HeadFirstSchedule(double base_lr, int64_t epochs);

class TeacherSide {
 public:
  enum class HeadPolicy { kFrozen, kTrainedFirst, kTrainedAlongside };

  // Loads the teacher and its head (kd/teacher/teacher_setup.h) and picks
  // the head policy from config.mode. Errors name --teacher and the file; a
  // sequential run whose head is neither loaded nor trained first is an
  // error naming --teacher_head_epochs.
  static absl::StatusOr<std::unique_ptr<TeacherSide>> Create(
      const RunConfig& config, const TeacherSpec& spec,
      const torch::Device& device);

  // One batch: the teacher's features and the head's outputs. With
  // kTrainedAlongside `head_ce` is the head's cross-entropy on `labels`,
  // with gradients for StepHead; `head` is detached either way.
  struct Output {
    BackboneOutput features;
    EmbeddingHeadOutput head;
    torch::Tensor head_ce;  // defined for kTrainedAlongside
  };
  // `stage_maps`: keep the teacher's stage feature maps (a loss reads them).
  absl::StatusOr<Output> Forward(const Batch& batch,
                                 const torch::Tensor& labels, bool stage_maps);
  // The head's SGD step on Output::head_ce. A non-finite value is an error
  // naming the term 'teacher_head/ce'.
  absl::Status StepHead(const torch::Tensor& head_ce);

  // Moves the teacher and its head (and later batches) to `device`.
  void To(const torch::Device& device);

  // Before each training epoch (head in train mode when it trains; the
  // teacher's per-step draws positioned at `first_step`).
  void StartEpoch(int64_t first_step);

  // Before the first epoch of a fresh run: trains the head first
  // (kTrainedFirst), then returns its top-1 on `eval_loader` in %, or -1
  // when there is nothing to measure yet (a fresh head trained alongside) or
  // the teacher covers the training split only.
  absl::StatusOr<double> Prepare(DataLoader& train_loader,
                                 DataLoader& eval_loader);
  // Top-1 of the head in %, or -1 when the teacher covers the training split
  // only (a feature cache).
  absl::StatusOr<double> EvaluateHead(DataLoader& loader);

  // "teacher_head.*" and, when the head has an optimiser, its momentum
  // "teacher_head_opt.*".
  void AddState(TensorMap* state) const;
  absl::Status LoadState(const TensorMap& state, const std::string& source);

  HeadPolicy head_policy() const { return policy_; }
  const torch::optim::SGD& head_optimizer() const { return *head_optimizer_; }
  bool head_trains_alongside() const {
    return policy_ == HeadPolicy::kTrainedAlongside;
  }
  const Teacher& teacher() const { return *teacher_; }
  const EmbeddingHead& head() const { return head_; }
  // Data-parallel runs: the head's state broadcast from rank 0, its
  // gradients averaged over ranks at every step (buckets of `bucket_bytes`),
  // its evaluation summed over the ranks' shards.
  absl::Status EnableDataParallel(std::shared_ptr<DistGroup> group,
                                  int64_t bucket_bytes);

  // One line for logs: the teacher, where its head came from or how it
  // trains, and `top1` (-1: not measured, with the reason).
  std::string Describe(double top1) const;
  // "93.10% top-1", or why there is no figure yet.
  std::string AccuracyText(double top1) const;

 private:
  TeacherSide() = default;
  // The teacher's images of a batch (its own view, or else the student's).
  torch::Tensor TeacherImages(const Batch& batch) const;
  absl::Status TrainHeadFirst(DataLoader& train_loader);
  // zero_grad, backward, the gradients averaged over ranks, step.
  absl::Status HeadSgdStep(const torch::Tensor& loss);

  torch::Device device_{torch::kCPU};
  int64_t head_epochs_ = 0;  // kTrainedFirst
  HeadPolicy policy_ = HeadPolicy::kFrozen;
  std::unique_ptr<Teacher> teacher_;
  EmbeddingHead head_{nullptr};
  std::string head_source_;  // "" when the head starts fresh
  std::unique_ptr<torch::optim::SGD> head_optimizer_;
  std::shared_ptr<DistGroup> group_;             // data-parallel runs
  std::unique_ptr<GradientBuckets> head_grads_;  // when the head trains
};

}  // namespace kd

#endif  // KD_TRAIN_TEACHER_SIDE_H_
