// Principal component projection, used to bring high-dimensional embeddings
// down to ~50 dimensions before t-SNE.
#ifndef KD_EVAL_PCA_H_
#define KD_EVAL_PCA_H_

#include <ATen/ATen.h>

#include <cstdint>

#include "absl/status/statusor.h"

namespace kd {
namespace eval {

// Centres `features` [N, D] and projects them onto their top
// min(components, D) principal directions (eigenvectors of the covariance,
// largest eigenvalue first, sign fixed so that the largest-magnitude entry
// of each direction is positive). Returns float32 [N, min(components, D)].
absl::StatusOr<at::Tensor> PcaProject(const at::Tensor& features,
                                      int64_t components);

}  // namespace eval
}  // namespace kd

#endif  // KD_EVAL_PCA_H_
