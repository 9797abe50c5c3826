// Dynamic loss scaling for fp16 training (--precision=fp16), as PyTorch's
// torch.cuda.amp.GradScaler: the loss is multiplied by a scale S before
// backward so that small fp16 gradients do not flush to zero; the
// gradients are divided by S before the optimiser's step. A step whose
// gradients hold an inf or NaN (S too large) is skipped and S halves; after
// `growth_interval` good steps in a row S doubles.
//
//   scaler.Scale(total).backward();
//   if (scaler.Unscale(params)) optimizer.step();   // false: skipped
//   scaler.Update();
//
// In a data-parallel run Unscale runs after the gradients are averaged, so
// every rank sees the same gradients and takes the same decision.
#ifndef KD_TRAIN_LOSS_SCALER_H_
#define KD_TRAIN_LOSS_SCALER_H_

#include <torch/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace kd {

struct LossScalerOptions {
  double initial_scale = 65536.0;  // 2^16, as GradScaler
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  int64_t growth_interval = 2000;
};

class LossScaler {
 public:
  explicit LossScaler(LossScalerOptions options = {});

  // `loss` * scale (keeps the graph).
  torch::Tensor Scale(const torch::Tensor& loss) const;
  // Divides every defined gradient of `params` by the scale, in place.
  // Returns whether all of them are finite (the step may be taken).
  bool Unscale(const std::vector<torch::Tensor>& params);
  // Adapts the scale to the last Unscale's verdict.
  void Update();

  double scale() const { return scale_; }
  int64_t good_steps() const { return good_steps_; }
  int64_t skipped_steps() const { return skipped_steps_; }

  // The scale and its counters as checkpoint entries "<prefix>scale", ...
  void AddState(const std::string& prefix,
                std::map<std::string, torch::Tensor>* out) const;
  // Restores what AddState wrote; a checkpoint without it is
  // INVALID_ARGUMENT naming `source`.
  absl::Status LoadState(const std::map<std::string, torch::Tensor>& in,
                         const std::string& prefix, const std::string& source);

 private:
  LossScalerOptions options_;
  double scale_;
  int64_t good_steps_ = 0;     // finite steps since the last change of scale
  int64_t skipped_steps_ = 0;  // over the whole run
  bool last_finite_ = true;
};

}  // namespace kd

#endif  // KD_TRAIN_LOSS_SCALER_H_
