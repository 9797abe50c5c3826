#include "kd/base/device.h"

#include <torch/cuda.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace kd {

absl::StatusOr<torch::Device> ParseDevice(absl::string_view name) {
  if (name == "cpu") return torch::Device(torch::kCPU);
  int index = 0;
  if (name != "cuda") {
    absl::string_view number = name;
    if (!absl::ConsumePrefix(&number, "cuda:") ||
        !absl::SimpleAtoi(number, &index) || index < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown device '", name, "'; valid: cpu, cuda, cuda:N"));
    }
  }
  const std::string full = absl::StrCat("cuda:", index);
  if (!torch::cuda::is_available()) {
    return absl::InvalidArgumentError(absl::StrCat(
        full,
        ": no CUDA device is available to this libtorch (built without CUDA, "
        "or no GPU or driver); use cpu, or build against a CUDA libtorch "
        "(docs/gpu.md)"));
  }
  const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
  if (index >= count) {
    return absl::InvalidArgumentError(
        absl::StrCat(full, ": this machine has ", count,
                     " CUDA device(s), cuda:0 to cuda:", count - 1));
  }
  return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
}

absl::Status CheckPrecisionOnDevice(Precision precision,
                                    const torch::Device& device) {
  if (precision == Precision::kFp16 && !device.is_cuda()) {
    return absl::InvalidArgumentError(
        absl::StrCat("precision fp16 needs a CUDA device (found ", device.str(),
                     "); CPUs compute in fp32 or bf16"));
  }
  return absl::OkStatus();
}

torch::Tensor ToDevice(const torch::Tensor& t, const torch::Device& device) {
  if (!t.defined() || t.device() == device) return t;
  return t.to(device, /*non_blocking=*/t.is_pinned());
}

torch::Tensor PinnedFor(const torch::Tensor& t, const torch::Device& device) {
  if (!t.defined() || !device.is_cuda() || t.is_pinned()) return t;
  return t.pin_memory();
}

}  // namespace kd
