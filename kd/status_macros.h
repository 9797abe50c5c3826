// Early-return helpers for absl::Status / absl::StatusOr (Abseil ships none).
//
//   KD_RETURN_IF_ERROR(WriteFile(path));
//   KD_ASSIGN_OR_RETURN(auto model, Backbone::Registry::Global().Create(spec,
//   config));
#ifndef KD_STATUS_MACROS_H_
#define KD_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

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
