#include "tools/compute_flags.h"

#include "kd/base/device.h"
#include "kd/base/precision.h"
#include "kd/status_macros.h"

DEFINE_string(device, "cpu", "cpu, cuda or cuda:N");
DEFINE_string(precision, "fp32",
              "forward passes in fp32, or bf16 / fp16 (CUDA) autocast "
              "(outputs in fp32)");
DEFINE_bool(channels_last, false,
            "convolutions in channels-last (NHWC) layout");

namespace kd {
namespace {

struct Compute {
  torch::Device device{torch::kCPU};
  Precision precision = Precision::kFp32;
};

absl::StatusOr<Compute> ComputeFlags() {
  Compute compute;
  absl::StatusOr<torch::Device> device = ParseDevice(FLAGS_device);
  if (!device.ok()) return WithPrefix("--device: ", device.status());
  compute.device = *device;
  absl::StatusOr<Precision> precision = ParsePrecision(FLAGS_precision);
  if (!precision.ok()) return WithPrefix("--precision: ", precision.status());
  compute.precision = *precision;
  KD_RETURN_IF_ERROR(
      WithPrefix("--precision: ",
                 CheckPrecisionOnDevice(compute.precision, compute.device)));
  return compute;
}

}  // namespace

absl::StatusOr<torch::Device> ApplyComputeFlags(Network& network) {
  KD_ASSIGN_OR_RETURN(const Compute compute, ComputeFlags());
  network.To(compute.device);
  network.precision = compute.precision;
  if (FLAGS_channels_last) network.UseChannelsLast();
  return compute.device;
}

absl::StatusOr<torch::Device> ApplyComputeFlags(Teacher& teacher) {
  KD_ASSIGN_OR_RETURN(const Compute compute, ComputeFlags());
  teacher.To(compute.device);
  teacher.SetCompute(compute.precision, FLAGS_channels_last);
  return compute.device;
}

}  // namespace kd
