#include "tools/compute_flags.h"

#include "kd/base/precision.h"
#include "kd/status_macros.h"

DEFINE_string(precision, "fp32",
              "forward passes in fp32, or bf16 autocast (outputs in fp32)");
DEFINE_bool(channels_last, false,
            "convolutions in channels-last (NHWC) layout");

namespace kd {
namespace {

absl::StatusOr<Precision> PrecisionFlag() {
  absl::StatusOr<Precision> precision = ParsePrecision(FLAGS_precision);
  if (!precision.ok()) return WithPrefix("--precision: ", precision.status());
  return precision;
}

}  // namespace

absl::Status ApplyComputeFlags(Network& network) {
  KD_ASSIGN_OR_RETURN(network.precision, PrecisionFlag());
  if (FLAGS_channels_last) network.UseChannelsLast();
  return absl::OkStatus();
}

absl::Status ApplyComputeFlags(Teacher& teacher) {
  KD_ASSIGN_OR_RETURN(const Precision precision, PrecisionFlag());
  teacher.SetCompute(precision, FLAGS_channels_last);
  return absl::OkStatus();
}

}  // namespace kd
