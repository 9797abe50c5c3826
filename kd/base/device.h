// Which device computes (--device) and how tensors get there. Every tool
// parses --device with ParseDevice and moves batches with ToDevice, so a
// CUDA run copies page-locked (pinned) host batches without blocking the
// host, and a CPU run is unchanged.
//
//   KD_ASSIGN_OR_RETURN(torch::Device device, ParseDevice("cuda:0"));
//   network->to(device);
//   torch::Tensor images = ToDevice(batch.images, device);
#ifndef KD_BASE_DEVICE_H_
#define KD_BASE_DEVICE_H_

#include <torch/types.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kd/base/precision_name.h"

namespace kd {

// "cpu", "cuda" (= cuda:0) or "cuda:N". A CUDA device this libtorch cannot
// use (built without CUDA, no driver, N out of range) is INVALID_ARGUMENT
// saying which; other names list the valid forms.
absl::StatusOr<torch::Device> ParseDevice(absl::string_view name);

// OK when `precision` can run on `device`: fp16 autocast exists on CUDA only
// (CPU autocast is bf16).
absl::Status CheckPrecisionOnDevice(Precision precision,
                                    const torch::Device& device);

// `t` on `device` (undefined stays undefined). From pinned host memory the
// copy is asynchronous, ordered on the device's current stream.
torch::Tensor ToDevice(const torch::Tensor& t, const torch::Device& device);

// `t` in pinned host memory when `device` is a CUDA device, so that
// ToDevice does not block; otherwise `t` itself.
torch::Tensor PinnedFor(const torch::Tensor& t, const torch::Device& device);

}  // namespace kd

#endif  // KD_BASE_DEVICE_H_
