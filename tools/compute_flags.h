// --device, --precision and --channels_last of the inference tools
// (evaluate, dump_embeddings, build_teacher_cache), declared once here;
// train has the same settings in kd/train/run_settings.inc.
#ifndef TOOLS_COMPUTE_FLAGS_H_
#define TOOLS_COMPUTE_FLAGS_H_

#include <torch/types.h>

#include "absl/status/statusor.h"
#include "backbones/network.h"
#include "gflags/gflags.h"
#include "kd/teacher/teacher.h"

DECLARE_string(device);
DECLARE_string(precision);
DECLARE_bool(channels_last);

namespace kd {

// Moves `network` / `teacher` to --device and sets the flags' precision and
// layout on it; returns the device. An unknown or unusable --device or
// --precision is INVALID_ARGUMENT saying why.
absl::StatusOr<torch::Device> ApplyComputeFlags(Network& network);
absl::StatusOr<torch::Device> ApplyComputeFlags(Teacher& teacher);

}  // namespace kd

#endif  // TOOLS_COMPUTE_FLAGS_H_
