#include "kd/base/precision_name.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kd {

absl::StatusOr<Precision> ParsePrecision(absl::string_view name) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "bf16") return Precision::kBf16;
  if (name == "fp16") return Precision::kFp16;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown precision '", name,
                   "'; valid: ", absl::StrJoin(PrecisionNames(), ", ")));
}

std::string PrecisionName(Precision precision) {
  switch (precision) {
    case Precision::kBf16:
      return "bf16";
    case Precision::kFp16:
      return "fp16";
    case Precision::kFp32:
      break;
  }
  return "fp32";
}

std::vector<std::string> PrecisionNames() { return {"fp32", "bf16", "fp16"}; }

}  // namespace kd
