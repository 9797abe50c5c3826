// --precision and --channels_last of the inference tools (evaluate,
// dump_embeddings, build_teacher_cache), declared once here; train has the
// same settings in kd/train/run_settings.inc.
#ifndef TOOLS_COMPUTE_FLAGS_H_
#define TOOLS_COMPUTE_FLAGS_H_

#include "absl/status/status.h"
#include "backbones/network.h"
#include "gflags/gflags.h"
#include "kd/teacher/teacher.h"

DECLARE_string(precision);
DECLARE_bool(channels_last);

namespace kd {

// Sets the flags' precision and layout on `network` / `teacher`; an unknown
// --precision is INVALID_ARGUMENT listing the valid names.
absl::Status ApplyComputeFlags(Network& network);
absl::Status ApplyComputeFlags(Teacher& teacher);

}  // namespace kd

#endif  // TOOLS_COMPUTE_FLAGS_H_
