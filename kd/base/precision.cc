#include "kd/base/precision.h"

#include <ATen/autocast_mode.h>

#include "kd/compat/autocast.h"

namespace kd {

AutocastScope::AutocastScope(Precision precision, const torch::Device& device)
    : active_(precision != Precision::kFp32), cuda_(device.is_cuda()) {
  if (!active_) return;
  was_enabled_ = AutocastEnabled(cuda_);
  previous_dtype_ = AutocastDtype(cuda_);
  SetAutocastEnabled(cuda_, true);
  SetAutocastDtype(
      cuda_, precision == Precision::kFp16 ? torch::kHalf : torch::kBFloat16);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  SetAutocastEnabled(cuda_, was_enabled_);
  SetAutocastDtype(cuda_, previous_dtype_);
}

NoAutocastScope::NoAutocastScope()
    : cpu_was_enabled_(AutocastEnabled(false)),
      cuda_was_enabled_(AutocastEnabled(true)) {
  SetAutocastEnabled(false, false);
  SetAutocastEnabled(true, false);
}

NoAutocastScope::~NoAutocastScope() {
  SetAutocastEnabled(false, cpu_was_enabled_);
  SetAutocastEnabled(true, cuda_was_enabled_);
}

torch::Tensor ToFloat32(const torch::Tensor& t) {
  if (!t.defined()) return t;
  const torch::ScalarType type = t.scalar_type();
  if (type != torch::kBFloat16 && type != torch::kHalf) return t;
  return t.to(torch::kFloat);
}

torch::Tensor ChannelsLast(const torch::Tensor& t) {
  if (!t.defined() || t.dim() != 4) return t;
  return t.contiguous(at::MemoryFormat::ChannelsLast);
}

void ToChannelsLast(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (torch::Tensor& p : module.parameters()) {
    if (p.dim() == 4) p.set_data(ChannelsLast(p.data()));
  }
  for (torch::Tensor& b : module.buffers()) {
    if (b.dim() == 4) b.set_data(ChannelsLast(b.data()));
  }
}

}  // namespace kd
