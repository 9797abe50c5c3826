#include "graph/pairwise.h"

#include <ATen/ATen.h>

#include "absl/strings/str_cat.h"
#include "kd/base/tensor_text.h"

namespace kd {
namespace {}  // namespace

absl::Status CheckRows(absl::string_view who, absl::string_view what,
                       const torch::Tensor& x) {
  if (!x.defined()) {
    return absl::InvalidArgumentError(
        absl::StrCat(who, " needs ", what, " (it was not given)"));
  }
  if (x.dim() != 2 || x.size(0) < 1 || x.size(1) < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        who, ": ", what, " must be a non-empty [B, D] matrix (found ",
        ShapeText(x), ")"));
  }
  if (!x.is_floating_point()) {
    return absl::InvalidArgumentError(
        absl::StrCat(who, ": ", what, " must be float or double (found ",
                     std::string(c10::toString(x.scalar_type())), ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckRowsPair(absl::string_view who, absl::string_view what_a,
                           const torch::Tensor& a, absl::string_view what_b,
                           const torch::Tensor& b) {
  if (absl::Status s = CheckRows(who, what_a, a); !s.ok()) return s;
  if (absl::Status s = CheckRows(who, what_b, b); !s.ok()) return s;
  if (a.scalar_type() != b.scalar_type()) {
    return absl::InvalidArgumentError(absl::StrCat(
        who, ": ", what_a, " and ", what_b, " must have one dtype (found ",
        std::string(c10::toString(a.scalar_type())), " and ",
        std::string(c10::toString(b.scalar_type())), ")"));
  }
  if (a.size(1) != b.size(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat(who, ": ", what_a, " ", ShapeText(a), " and ", what_b, " ",
                     ShapeText(b), " must have the same number of columns"));
  }
  return absl::OkStatus();
}

torch::Tensor CentreRows(const torch::Tensor& x) {
  return x - x.mean(/*dim=*/{1}, /*keepdim=*/true);
}

torch::Tensor NormaliseRows(const torch::Tensor& x, double eps) {
  return x / x.norm(2, /*dim=*/{1}, /*keepdim=*/true).clamp_min(eps);
}

torch::Tensor PairwiseSquaredDistances(const torch::Tensor& a,
                                       const torch::Tensor& b) {
  const torch::Tensor a2 = (a * a).sum(1, /*keepdim=*/true);  // [Ba, 1]
  const torch::Tensor b2 = (b * b).sum(1, /*keepdim=*/true);  // [Bb, 1]
  return (a2 + b2.t() - 2 * a.mm(b.t())).clamp_min(0);
}

torch::Tensor SelfSquaredDistances(const torch::Tensor& x, double floor) {
  const torch::Tensor off_diagonal =
      1 - at::eye(x.size(0), x.options().requires_grad(false));
  return PairwiseSquaredDistances(x, x).clamp_min(floor) * off_diagonal;
}

torch::Tensor SelfDistances(const torch::Tensor& x, double eps) {
  const torch::Tensor x2 = (x * x).sum(1, /*keepdim=*/true);
  const torch::Tensor d2 = (x2 + x2.t() - 2 * x.mm(x.t())).clamp_min(eps);
  const torch::Tensor off_diagonal =
      1 - at::eye(x.size(0), x.options().requires_grad(false));
  return d2.sqrt() * off_diagonal;
}

torch::Tensor DivideByMax(const torch::Tensor& m, double eps) {
  return m / m.max().clamp_min(eps);
}

}  // namespace kd
