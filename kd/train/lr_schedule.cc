#include "kd/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kd {

absl::StatusOr<LrSchedule> LrSchedule::Create(const LrScheduleConfig& config) {
  if (config.kind != "multistep" && config.kind != "cosine" &&
      config.kind != "constant") {
    return absl::InvalidArgumentError(
        absl::StrCat("--lr_schedule: unknown schedule '", config.kind,
                     "'; expected multistep, cosine or constant"));
  }
  if (!(config.base_lr > 0) || !std::isfinite(config.base_lr)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--lr: expected a finite value > 0, got ", config.base_lr));
  }
  if (config.epochs < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--epochs: expected >= 1, got ", config.epochs));
  }
  if (config.kind == "multistep") {
    if (!(config.gamma > 0 && config.gamma <= 1)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--lr_decay: expected a factor in (0, 1], got ", config.gamma));
    }
    for (size_t i = 0; i < config.milestones.size(); ++i) {
      if (config.milestones[i] < 1 ||
          (i > 0 && config.milestones[i] <= config.milestones[i - 1])) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--lr_milestones: expected increasing epochs >= 1, got ",
            absl::StrJoin(config.milestones, ",")));
      }
    }
  }
  if (config.kind == "cosine" &&
      !(config.min_lr >= 0 && config.min_lr <= config.base_lr)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--lr_min: expected a value in [0, --lr], got ", config.min_lr));
  }
  if (!(config.warmup_epochs >= 0 && config.warmup_epochs < config.epochs)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--warmup_epochs: expected a value in [0, --epochs), got ",
                     config.warmup_epochs));
  }
  return LrSchedule(config);
}

double LrSchedule::At(int64_t epoch, int64_t step,
                      int64_t steps_per_epoch) const {
  const double spe = static_cast<double>(std::max<int64_t>(steps_per_epoch, 1));
  double lr = config_.base_lr;
  if (config_.kind == "multistep") {
    for (int64_t m : config_.milestones) {
      if (epoch >= m) lr *= config_.gamma;
    }
  } else if (config_.kind == "cosine") {
    const double t = epoch + step / spe;
    const double pi = std::acos(-1.0);
    lr = config_.min_lr + (config_.base_lr - config_.min_lr) * 0.5 *
                              (1.0 + std::cos(pi * t / config_.epochs));
  }
  if (config_.warmup_epochs > 0) {
    const double done = epoch * spe + step + 1;  // steps taken incl. this one
    const double warmup_steps = config_.warmup_epochs * spe;
    if (done < warmup_steps) lr *= done / warmup_steps;
  }
  return lr;
}

}  // namespace kd
