// Row-wise and pairwise tensor maths shared by the graph builders and the
// losses that build graphs themselves (RKD, IRG, PKT, NCE): input checks,
// centring and normalising rows, pairwise (squared) Euclidean distances.
// Everything here is differentiable and works in float or double.
#ifndef GRAPH_PAIRWISE_H_
#define GRAPH_PAIRWISE_H_

#include <torch/types.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace kd {

// Floor on a row's norm before dividing by it. A row whose norm is below it
// (a zero row, or a zero-variance row once centred) is divided by this floor
// instead: it stays (close to) zero, so it has similarity 0 with every row,
// itself included, and its gradient stays finite.
constexpr double kRowNormEps = 1e-8;

// OK if `x` is a defined 2-D floating-point tensor with at least one row and
// one column; else INVALID_ARGUMENT "<who>: <what> must be ... (found ...)".
absl::Status CheckRows(absl::string_view who, absl::string_view what,
                       const torch::Tensor& x);

// CheckRows on both, plus: same dtype, same number of columns.
absl::Status CheckRowsPair(absl::string_view who, absl::string_view what_a,
                           const torch::Tensor& a, absl::string_view what_b,
                           const torch::Tensor& b);

// x minus the mean of each row (across columns).
torch::Tensor CentreRows(const torch::Tensor& x);

// Each row divided by max(its L2 norm, eps).
torch::Tensor NormaliseRows(const torch::Tensor& x, double eps = kRowNormEps);

// [Ba, Bb] squared Euclidean distances between the rows of a [Ba, D] and
// b [Bb, D], by ||a||^2 + ||b||^2 - 2 a.b clamped at 0.
torch::Tensor PairwiseSquaredDistances(const torch::Tensor& a,
                                       const torch::Tensor& b);

// [B, B] squared distances among the rows of x, clamped below at `floor`
// off the diagonal (IRG's reference uses 1e-12), exactly 0 on the diagonal.
torch::Tensor SelfSquaredDistances(const torch::Tensor& x, double floor = 0);

// [B, B] Euclidean distances among the rows of x as RKD computes them:
// sqrt(max(d^2, eps)) off the diagonal, exactly 0 on it (so the gradient of
// the diagonal is 0, not the infinite slope of sqrt at 0).
torch::Tensor SelfDistances(const torch::Tensor& x, double eps = 1e-12);

// m / max(max(m), eps): IRG's max-normalisation of a non-negative matrix.
torch::Tensor DivideByMax(const torch::Tensor& m, double eps = 1e-12);

}  // namespace kd

#endif  // GRAPH_PAIRWISE_H_
