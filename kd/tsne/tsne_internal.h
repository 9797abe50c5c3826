// The building blocks of t-SNE, exposed for tests and benchmarks. Not a
// stable API: use kd/tsne/tsne.h.
//
// Embeddings Y are flat row-major vectors of n * 2 doubles. `num_threads`
// splits the work over points; results are identical for any thread count
// (per-point partial results are reduced in index order).
#ifndef KD_TSNE_TSNE_INTERNAL_H_
#define KD_TSNE_TSNE_INTERNAL_H_

#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kd {
namespace tsne {
namespace internal {

// Compressed sparse rows: row i holds col[row_ptr[i] .. row_ptr[i+1]).
struct SparseMatrix {
  int n = 0;
  std::vector<int> row_ptr;   // n + 1 entries
  std::vector<int> col;       // column indices
  std::vector<double> value;  // same size as col
};

// Finds the precision beta = 1 / (2 sigma^2) such that the distribution
// p_j ~ exp(-beta * sq_dist[j]) over the m candidates has entropy
// log(perplexity) (nats) within `tolerance`, by bisection on beta. Writes the
// normalised probabilities to p_out[0..m) and returns beta. Distances should be
// squared Euclidean distances to the other points (not to the point itself).
double CalibrateRow(const double* sq_dist, int m, double perplexity,
                    double tolerance, double* p_out);

// Dense conditional probabilities p_{j|i} (row i sums to 1, zero diagonal),
// n * n row-major.
std::vector<double> ExactConditionalP(const std::vector<float>& data, int n,
                                      int dim, double perplexity,
                                      double tolerance, int num_threads = 1);

// Sparse conditional probabilities over each point's k nearest neighbours
// (NearestNeighbours), rows sum to 1.
SparseMatrix SparseConditionalP(const std::vector<float>& data, int n, int dim,
                                double perplexity, double tolerance, int k,
                                int num_threads = 1);

// Inputs with at most this many dimensions use a vantage-point tree for the
// neighbour search; above it, trees visit nearly every point and a blocked
// brute-force search is faster.
constexpr int kMaxTreeDimensions = 10;

// The exact k nearest neighbours of every point (excluding itself), nearest
// first: indices n * k and squared distances n * k.
void NearestNeighbours(const std::vector<float>& data, int n, int dim, int k,
                       std::vector<int>* indices,
                       std::vector<double>* sq_distances, int num_threads = 1);

// p_ij = (p_{j|i} + p_{i|j}) / (2n): symmetric, sums to 1.
std::vector<double> SymmetrizeDense(const std::vector<double>& conditional,
                                    int n);
SparseMatrix SymmetrizeSparse(const SparseMatrix& conditional);

// Gradient of KL(P || Q) with respect to Y (n * 2), with P scaled by
// `exaggeration`. Returns KL(P || Q) (without exaggeration), or 0 when
// compute_kl is false (the logarithms cost as much as the gradient).
double ExactGradient(const std::vector<double>& p, const std::vector<double>& y,
                     int n, double exaggeration, std::vector<double>* grad,
                     bool compute_kl = true, int num_threads = 1);

// Barnes-Hut gradient: exact attractive forces over the sparse P, repulsive
// forces from a quadtree with accuracy theta (theta = 0 visits every point).
// Returns an estimate of KL(P || Q) over the non-zeros of P (0 when
// compute_kl is false).
double BarnesHutGradient(const SparseMatrix& p, const std::vector<double>& y,
                         int n, double theta, double exaggeration,
                         std::vector<double>* grad, bool compute_kl = true,
                         int num_threads = 1);

}  // namespace internal
}  // namespace tsne
}  // namespace kd

#endif  // KD_TSNE_TSNE_INTERNAL_H_
