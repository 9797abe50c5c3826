// Whole-file writes that readers never see half done: write a temporary file
// next to the target, flush, then rename over it (atomic on POSIX).
#ifndef KD_EVAL_ATOMIC_FILE_H_
#define KD_EVAL_ATOMIC_FILE_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace kd {

// Writes `contents` to `path` atomically. Errors name the path and the
// system error (missing directory, permission, disk full).
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents);

}  // namespace kd

#endif  // KD_EVAL_ATOMIC_FILE_H_
