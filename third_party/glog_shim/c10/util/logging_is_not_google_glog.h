// Put in front of a libtorch include/ whose c10 was built without glog
// (official and pip builds; c10/macros/cmake_macros.h lacks C10_USE_GLOG).
// c10/util/Logging.h then includes c10's stand-in logging header, which
// defines LOG, CHECK, VLOG, DLOG, ... as glog does; whichever of the two a
// translation unit includes last would win, and c10's LOG(INFO) prints
// nothing by default. This header, found first, includes c10's one and hands
// the names back to glog, whatever the include order, so every LOG and CHECK
// of this project is glog's. Used by @libtorch (third_party/libtorch.bzl) and
// the generated CMake build (scripts/gen_cmake.py); see docs/gpu.md.
#ifndef KD_THIRD_PARTY_GLOG_SHIM_LOGGING_IS_NOT_GOOGLE_GLOG_H_
#define KD_THIRD_PARTY_GLOG_SHIM_LOGGING_IS_NOT_GOOGLE_GLOG_H_

// glog's definitions, if <glog/logging.h> came first (else: "undefined").
#pragma push_macro("LOG")
#pragma push_macro("VLOG")
#pragma push_macro("LOG_IF")
#pragma push_macro("VLOG_IF")
#pragma push_macro("VLOG_IS_ON")
#pragma push_macro("CHECK")
#pragma push_macro("DCHECK")
#pragma push_macro("DLOG")

#include_next <c10/util/logging_is_not_google_glog.h>

// c10's own helpers keep their c10-only names (FATAL_IF, LOG_AT_FILE_LINE,
// TORCH_CHECK_*); the glog names go back to glog.
#undef LOG
#undef VLOG
#undef LOG_IF
#undef VLOG_IF
#undef VLOG_IS_ON
#undef CHECK
#undef DCHECK
#undef DLOG
#pragma pop_macro("LOG")
#pragma pop_macro("VLOG")
#pragma pop_macro("LOG_IF")
#pragma pop_macro("VLOG_IF")
#pragma pop_macro("VLOG_IS_ON")
#pragma pop_macro("CHECK")
#pragma pop_macro("DCHECK")
#pragma pop_macro("DLOG")

// Defines them if glog was not included before (a no-op otherwise).
#include <glog/logging.h>

#endif  // KD_THIRD_PARTY_GLOG_SHIM_LOGGING_IS_NOT_GOOGLE_GLOG_H_
