// Autocast's state per device type across libtorch versions: libtorch 2.4
// replaced the per-device calls (is_cpu_enabled, set_autocast_cpu_dtype,
// ...) by calls taking the device type. kd/base/precision.cc is the only
// user.
#ifndef KD_COMPAT_AUTOCAST_H_
#define KD_COMPAT_AUTOCAST_H_

#include <c10/core/ScalarType.h>

namespace kd {

// `cuda`: the CUDA autocast state, else the CPU's.
bool AutocastEnabled(bool cuda);
void SetAutocastEnabled(bool cuda, bool on);
at::ScalarType AutocastDtype(bool cuda);
void SetAutocastDtype(bool cuda, at::ScalarType dtype);

}  // namespace kd

#endif  // KD_COMPAT_AUTOCAST_H_
