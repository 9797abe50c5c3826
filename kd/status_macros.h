// Status helpers: early-return macros for absl::Status / absl::StatusOr
// (Abseil ships none) and the one way to put context before a message.
//
//   KD_RETURN_IF_ERROR(WriteFile(path));
//   KD_ASSIGN_OR_RETURN(auto model, Backbone::Registry::Global().Create(spec,
//   config));
//   return WithPrefix("--teacher: ", status);  // same code, "--teacher: ..."
#ifndef KD_STATUS_MACROS_H_
#define KD_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace kd {

// `status` with `prefix` before its message (OK stays OK).
inline absl::Status WithPrefix(absl::string_view prefix,
                               const absl::Status& status) {
  if (status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(prefix, status.message()));
}

}  // namespace kd

#define KD_INTERNAL_CONCAT_IMPL(a, b) a##b
#define KD_INTERNAL_CONCAT(a, b) KD_INTERNAL_CONCAT_IMPL(a, b)

#define KD_RETURN_IF_ERROR(expr)              \
  do {                                        \
    const ::absl::Status kd_status_ = (expr); \
    if (!kd_status_.ok()) return kd_status_;  \
  } while (0)

#define KD_INTERNAL_ASSIGN_OR_RETURN(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return statusor.status();            \
  lhs = std::move(statusor).value()

#define KD_ASSIGN_OR_RETURN(lhs, rexpr)                                    \
  KD_INTERNAL_ASSIGN_OR_RETURN(KD_INTERNAL_CONCAT(kd_statusor_, __LINE__), \
                               lhs, rexpr)

#endif  // KD_STATUS_MACROS_H_
