#include "kd/base/precision_name.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kd {

absl::StatusOr<Precision> ParsePrecision(absl::string_view name) {
  if (name == "fp32") return Precision::kFp32;
  if (name == "bf16") return Precision::kBf16;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown precision '", name,
                   "'; valid: ", absl::StrJoin(PrecisionNames(), ", ")));
}

std::string PrecisionName(Precision precision) {
  return precision == Precision::kBf16 ? "bf16" : "fp32";
}

std::vector<std::string> PrecisionNames() { return {"fp32", "bf16"}; }

}  // namespace kd
