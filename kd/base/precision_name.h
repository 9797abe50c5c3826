// The numeric precisions a run may compute its forward passes in, by name
// (--precision). Torch-free, for the flag and config code; what a precision
// does is in precision.h.
#ifndef KD_BASE_PRECISION_NAME_H_
#define KD_BASE_PRECISION_NAME_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kd {

enum class Precision {
  kFp32,  // everything in float32
  kBf16,  // autocast to bfloat16 (CPUs with AVX-512 BF16 / AMX, GPUs)
  kFp16,  // autocast to float16 with loss scaling (CUDA only)
};

// "fp32" -> kFp32, "bf16" -> kBf16, "fp16" -> kFp16; other names are
// INVALID_ARGUMENT listing the valid ones.
absl::StatusOr<Precision> ParsePrecision(absl::string_view name);
std::string PrecisionName(Precision precision);
std::vector<std::string> PrecisionNames();

}  // namespace kd

#endif  // KD_BASE_PRECISION_NAME_H_
