// How forward passes compute: the numeric precision (--precision) and the
// memory layout of image tensors (--channels_last). All autocast scopes of
// the project are made here (the libtorch 1.13 / 2.x difference in the calls
// is in kd/compat/autocast.h).
//
//   {
//     AutocastScope autocast(Precision::kBf16, device);
//     out = model.Forward(ChannelsLast(images));  // convs, matmuls in bf16
//   }
//   loss = Loss(ToFloat32(out.logits));  // outside: fp32
//
// bf16 autocast keeps master weights, optimiser state and BatchNorm
// statistics in fp32; only the operands of convolutions and matrix products
// are rounded (libtorch's autocast lists say which ops).
#ifndef KD_BASE_PRECISION_H_
#define KD_BASE_PRECISION_H_

#include <torch/nn/module.h>
#include <torch/types.h>

#include "kd/base/precision_name.h"

namespace kd {

// Autocast of forward passes on `device`'s type to `precision` (bf16 or
// fp16; fp16 only on CUDA, see CheckPrecisionOnDevice) while in scope;
// nothing for kFp32. Restores the previous autocast state at exit and
// drops autocast's cache of cast weights when the outermost scope ends (so
// an optimiser step is seen by the next forward). Run backward outside.
class AutocastScope {
 public:
  AutocastScope(Precision precision, const torch::Device& device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool cuda_ = false;
  bool was_enabled_ = false;
  torch::ScalarType previous_dtype_ = torch::kFloat;
};

// No autocast in scope, on any device: an fp32 island inside an
// AutocastScope (the losses run in one).
class NoAutocastScope {
 public:
  NoAutocastScope();
  ~NoAutocastScope();
  NoAutocastScope(const NoAutocastScope&) = delete;
  NoAutocastScope& operator=(const NoAutocastScope&) = delete;

 private:
  bool cpu_was_enabled_;
  bool cuda_was_enabled_;
};

// `t` as float32 when it is a floating tensor of lower precision (bf16,
// fp16); otherwise (undefined, integer, float32, float64) `t` itself. The
// cast is differentiable.
torch::Tensor ToFloat32(const torch::Tensor& t);

// A 4-d tensor in channels-last (NHWC) memory layout, same values; other
// tensors unchanged.
torch::Tensor ChannelsLast(const torch::Tensor& t);
// Every 4-d parameter and buffer of `module` (convolution weights) to
// channels-last, in place, keeping values, requires_grad and identity (an
// optimiser built before or after sees the same parameters).
void ToChannelsLast(torch::nn::Module& module);

}  // namespace kd

#endif  // KD_BASE_PRECISION_H_
