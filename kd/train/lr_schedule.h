// Learning-rate schedules of a training run, as a pure function of the
// position in the run (epoch, step within the epoch), so that a resumed run
// sets exactly the rates an unbroken one would.
//
//   multistep: base * gamma^(number of milestones <= epoch)   (epochs 0-based;
//              the reference's x0.1 "after epochs 150/180/210" of 240)
//   cosine:    min_lr + (base - min_lr) * (1 + cos(pi * t / epochs)) / 2,
//              t = epoch + step / steps_per_epoch (per step)
//   constant:  base
// Warm-up (any kind): the first `warmup_epochs` ramp linearly per step from
// base / (warmup steps) to the scheduled value.
#ifndef KD_TRAIN_LR_SCHEDULE_H_
#define KD_TRAIN_LR_SCHEDULE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace kd {

struct LrScheduleConfig {
  std::string kind = "multistep";  // "multistep", "cosine", "constant"
  double base_lr = 0.05;
  std::vector<int64_t> milestones = {150, 180, 210};  // multistep only
  double gamma = 0.1;                                 // multistep only
  double min_lr = 0.0;                                // cosine only
  int64_t epochs = 240;
  double warmup_epochs = 0.0;
};

class LrSchedule {
 public:
  // Validates the configuration: a known kind, base_lr > 0, gamma in (0, 1],
  // milestones increasing and inside [1, epochs), warm-up in [0, epochs).
  static absl::StatusOr<LrSchedule> Create(const LrScheduleConfig& config);

  // The rate for step `step` (0-based) of epoch `epoch` (0-based).
  double At(int64_t epoch, int64_t step, int64_t steps_per_epoch) const;

  const LrScheduleConfig& config() const { return config_; }

 private:
  explicit LrSchedule(LrScheduleConfig config) : config_(std::move(config)) {}
  LrScheduleConfig config_;
};

}  // namespace kd

#endif  // KD_TRAIN_LR_SCHEDULE_H_
