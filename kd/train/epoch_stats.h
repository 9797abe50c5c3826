// Statistics of one training epoch, and the evaluation after it, turned into
// the epoch's record (metrics.csv / metrics.jsonl). Accuracies come from
// kd::eval meters.
#ifndef KD_TRAIN_EPOCH_STATS_H_
#define KD_TRAIN_EPOCH_STATS_H_

#include <torch/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "backbones/network.h"
#include "kd/data/loader.h"
#include "kd/dist/dist_group.h"
#include "kd/eval/metrics.h"
#include "kd/train/metrics_log.h"

namespace kd {

// What one training step reports (kd/train/train_step.h).
struct StepResult {
  int64_t batch_size = 0;
  double total = 0;                                   // the weighted loss
  std::vector<std::pair<std::string, double>> terms;  // LossSet terms
  torch::Tensor student_logits;                       // detached
  torch::Tensor teacher_logits;  // detached; undefined without a teacher
  double teacher_head_ce = -1;   // when the teacher head trains alongside
  torch::Tensor labels;
};

// Accuracy and loss of a network's classifier on a split.
struct EvalResult {
  double top1 = 0, top5 = 0, loss = 0;  // %, %, mean cross-entropy
  int64_t count = 0;
};

// The network in eval mode under NoGradGuard over one epoch of `loader`.
// With `group` (data-parallel), `loader` is this rank's shard and the counts
// and sums are added over ranks: every rank gets the whole split's figures.
absl::StatusOr<EvalResult> EvaluateClassifier(Network& network,
                                              DataLoader& loader,
                                              const torch::Device& device,
                                              DistGroup* group = nullptr);

// Sums over the steps of one epoch.
class EpochStats {
 public:
  // `teacher_head_trains`: report the teacher head's CE (simultaneous).
  EpochStats(int64_t num_classes, bool has_teacher, bool teacher_head_trains);

  absl::Status Add(const StepResult& step);
  // Data-parallel runs, after the epoch's steps: every sum and count added
  // over ranks, so the record describes the whole epoch (every rank's
  // examples, the global images/s).
  absl::Status SumOverRanks(DistGroup& group);

  int64_t seen() const { return seen_; }
  double mean_loss() const { return seen_ ? total_sum_ / seen_ : 0; }
  double train_top1() const;
  // Running means for the progress bar: "loss", then every term.
  std::vector<std::pair<std::string, double>> RunningMeans() const;

  // What happened after the epoch's steps.
  struct After {
    double lr = 0;             // at the epoch's first step
    double teacher_top1 = -1;  // teacher head on the evaluation split
    bool evaluated = true;     // false: no evaluation after this epoch
    EvalResult eval;           // the trained network on it, if evaluated
    double best_top1 = 0;      // best evaluation top-1 so far
    double train_seconds = 0;  // wall time of the steps
  };
  // The record, in the column order of metrics.csv: lr, train_loss,
  // train_<term>..., train_top1, [train_teacher_head_ce], [train_teacher_top1,
  // teacher_top1], test_loss, test_top1, test_top5, best_top1, images_per_s,
  // epoch_seconds. Without an evaluation the evaluation-split figures
  // (teacher_top1, test_*, best_top1) are NaN (null in metrics.jsonl).
  EpochRecord Record(int64_t epoch, const After& after) const;

 private:
  bool has_teacher_, teacher_head_trains_;
  int64_t seen_ = 0;
  double total_sum_ = 0, teacher_ce_sum_ = 0;
  int64_t student_correct_ = 0, teacher_correct_ = 0;  // top-1
  std::vector<std::pair<std::string, double>> term_sums_;
  eval::ClassificationMeter student_, teacher_;
};

}  // namespace kd

#endif  // KD_TRAIN_EPOCH_STATS_H_
