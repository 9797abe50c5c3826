#include "kd/base/tensor_text.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace kd {

std::string ShapeText(const torch::Tensor& tensor) {
  if (!tensor.defined()) return "undefined";
  return absl::StrCat("[", absl::StrJoin(tensor.sizes(), ", "), "]");
}

}  // namespace kd
