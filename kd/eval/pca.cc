#include "kd/eval/pca.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace kd {
namespace eval {

absl::StatusOr<at::Tensor> PcaProject(const at::Tensor& features,
                                      int64_t components) {
  if (!features.defined() || features.dim() != 2 || features.size(0) < 2 ||
      features.size(1) < 1) {
    return absl::InvalidArgumentError(
        "PCA needs a [N, D] tensor with N >= 2 and D >= 1");
  }
  if (components < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("PCA components must be >= 1, got ", components));
  }
  const at::Tensor x = features.detach().to(at::kCPU, at::kFloat);
  if (!at::isfinite(x).all().item<bool>()) {
    return absl::InvalidArgumentError("PCA input holds non-finite values");
  }
  const int64_t d = x.size(1);
  const int64_t k = std::min(components, d);
  const at::Tensor centred = x - x.mean({0}, true);
  // Covariance in double: the eigen-solver sees a well-conditioned D x D.
  const at::Tensor cov =
      centred.t().mm(centred).to(at::kDouble) / (x.size(0) - 1);
  // eigh: ascending eigenvalues, eigenvectors in columns.
  const at::Tensor vectors =
      std::get<1>(at::linalg_eigh(cov)).flip({1}).narrow(1, 0, k);
  // Fix each direction's sign: its largest-magnitude entry is positive.
  const at::Tensor biggest = vectors.abs().argmax(0);
  const at::Tensor signs =
      vectors.gather(0, biggest.unsqueeze(0)).sign().clamp_min(0) * 2 - 1;
  return centred.mm((vectors * signs).to(at::kFloat));
}

}  // namespace eval
}  // namespace kd
