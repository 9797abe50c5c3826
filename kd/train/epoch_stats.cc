#include "kd/train/epoch_stats.h"

#include <ATen/ATen.h>
#include <c10/core/InferenceMode.h>

#include <limits>

#include "kd/base/device.h"
#include "kd/status_macros.h"

namespace kd {
namespace {

double Percent(int64_t part, int64_t whole) {
  return whole ? 100.0 * part / whole : 0;
}

}  // namespace

absl::StatusOr<EvalResult> EvaluateClassifier(Network& network,
                                              DataLoader& loader,
                                              const torch::Device& device,
                                              DistGroup* group) {
  c10::InferenceMode inference;
  network.Train(false);
  eval::ClassificationMeter meter(network.spec.num_classes, {1, 5});
  double loss_sum = 0;
  loader.StartEpoch(0);
  while (true) {
    KD_ASSIGN_OR_RETURN(std::optional<Batch> batch, loader.Next());
    if (!batch) break;
    const torch::Tensor labels = ToDevice(batch->labels, device);
    const torch::Tensor logits =
        network.Forward(ToDevice(batch->images, device)).head.logits;
    loss_sum +=
        at::cross_entropy_loss(logits, labels).item<double>() * labels.size(0);
    KD_RETURN_IF_ERROR(meter.Add(logits, labels));
  }
  std::vector<double> sums = {static_cast<double>(meter.count()),
                              static_cast<double>(meter.Correct(1)),
                              static_cast<double>(meter.Correct(5)), loss_sum};
  if (group) KD_RETURN_IF_ERROR(group->SumDoubles(sums, "evaluation counts"));
  EvalResult result;
  result.count = static_cast<int64_t>(sums[0]);
  if (result.count > 0) {
    result.top1 = Percent(static_cast<int64_t>(sums[1]), result.count);
    result.top5 = Percent(static_cast<int64_t>(sums[2]), result.count);
    result.loss = sums[3] / result.count;
  }
  return result;
}

EpochStats::EpochStats(int64_t num_classes, bool has_teacher,
                       bool teacher_head_trains)
    : has_teacher_(has_teacher),
      teacher_head_trains_(teacher_head_trains),
      student_(num_classes, {1}),
      teacher_(num_classes, {1}) {}

absl::Status EpochStats::Add(const StepResult& step) {
  const int64_t b = step.batch_size;
  seen_ += b;
  total_sum_ += step.total * b;
  if (term_sums_.empty()) {
    for (const auto& [name, value] : step.terms)
      term_sums_.emplace_back(name, 0);
  }
  for (size_t i = 0; i < step.terms.size() && i < term_sums_.size(); ++i) {
    term_sums_[i].second += step.terms[i].second * b;
  }
  KD_RETURN_IF_ERROR(student_.Add(step.student_logits, step.labels));
  student_correct_ = student_.Correct(1);
  if (step.teacher_logits.defined()) {
    KD_RETURN_IF_ERROR(teacher_.Add(step.teacher_logits, step.labels));
    teacher_correct_ = teacher_.Correct(1);
  }
  if (step.teacher_head_ce >= 0) teacher_ce_sum_ += step.teacher_head_ce * b;
  return absl::OkStatus();
}

absl::Status EpochStats::SumOverRanks(DistGroup& group) {
  std::vector<double> sums = {static_cast<double>(seen_), total_sum_,
                              teacher_ce_sum_,
                              static_cast<double>(student_correct_),
                              static_cast<double>(teacher_correct_)};
  for (const auto& [name, sum] : term_sums_) sums.push_back(sum);
  KD_RETURN_IF_ERROR(group.SumDoubles(sums, "training statistics"));
  seen_ = static_cast<int64_t>(sums[0]);
  total_sum_ = sums[1];
  teacher_ce_sum_ = sums[2];
  student_correct_ = static_cast<int64_t>(sums[3]);
  teacher_correct_ = static_cast<int64_t>(sums[4]);
  for (size_t i = 0; i < term_sums_.size(); ++i) {
    term_sums_[i].second = sums[5 + i];
  }
  return absl::OkStatus();
}

double EpochStats::train_top1() const {
  return Percent(student_correct_, seen_);
}

std::vector<std::pair<std::string, double>> EpochStats::RunningMeans() const {
  std::vector<std::pair<std::string, double>> means = {{"loss", mean_loss()}};
  for (const auto& [name, sum] : term_sums_) {
    means.emplace_back(name, seen_ ? sum / seen_ : 0);
  }
  return means;
}

EpochRecord EpochStats::Record(int64_t epoch, const After& after) const {
  const double kNone = std::numeric_limits<double>::quiet_NaN();
  EpochRecord record;
  record.epoch = epoch;
  record.values = {{"lr", after.lr}, {"train_loss", mean_loss()}};
  for (const auto& [name, sum] : term_sums_) {
    record.values.emplace_back("train_" + name, seen_ ? sum / seen_ : 0);
  }
  record.values.emplace_back("train_top1", train_top1());
  if (has_teacher_) {
    if (teacher_head_trains_) {
      record.values.emplace_back("train_teacher_head_ce",
                                 seen_ ? teacher_ce_sum_ / seen_ : 0);
    }
    record.values.emplace_back("train_teacher_top1",
                               Percent(teacher_correct_, seen_));
    record.values.emplace_back("teacher_top1",
                               after.evaluated ? after.teacher_top1 : kNone);
  }
  record.values.emplace_back("test_loss",
                             after.evaluated ? after.eval.loss : kNone);
  record.values.emplace_back("test_top1",
                             after.evaluated ? after.eval.top1 : kNone);
  record.values.emplace_back("test_top5",
                             after.evaluated ? after.eval.top5 : kNone);
  record.values.emplace_back("best_top1",
                             after.evaluated ? after.best_top1 : kNone);
  record.values.emplace_back("images_per_s", after.train_seconds > 0
                                                 ? seen_ / after.train_seconds
                                                 : 0);
  record.values.emplace_back("epoch_seconds", after.train_seconds);
  return record;
}

}  // namespace kd
