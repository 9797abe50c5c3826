// t-SNE (van der Maaten & Hinton 2008) in plain C++, torch-free: embeds N
// points of dimension D in 2-D for visualisation.
//
//   kd::tsne::TsneOptions options;          // perplexity 30, 1000 iterations
//   options.seed = 1;
//   KD_ASSIGN_OR_RETURN(std::vector<std::array<double, 2>> xy,
//                       kd::tsne::RunTsne(features, n, dim, options));
//
// Two gradient methods:
//  * exact: dense P (every pair), O(N^2) time and memory per iteration;
//  * Barnes-Hut (van der Maaten 2014): sparse P over the 3*perplexity nearest
//    neighbours (vantage-point tree) and a quadtree approximation of the
//    repulsive forces with accuracy `theta`, O(N log N) per iteration.
// kAuto picks exact up to `exact_max_points` points, Barnes-Hut above.
//
// For high-dimensional inputs (hundreds of dimensions) reduce to ~50
// dimensions with PCA first (kd/eval/pca.h): the neighbour search is faster
// and the result the same as standard practice.
#ifndef KD_TSNE_TSNE_H_
#define KD_TSNE_TSNE_H_

#include <array>
#include <cstdint>
#include <functional>
#include <vector>

#include "absl/status/statusor.h"

namespace kd {
namespace tsne {

enum class TsneMethod { kAuto, kExact, kBarnesHut };

struct TsneOptions {
  // Effective number of neighbours of each point. Needs n > 3 * perplexity
  // (Barnes-Hut) or n > perplexity (exact) points.
  double perplexity = 30.0;
  // Binary search on each point's precision beta stops when |H - log(perp)|
  // (entropy in nats) is below this.
  double perplexity_tolerance = 1e-5;
  int max_iterations = 1000;
  TsneMethod method = TsneMethod::kAuto;
  int exact_max_points = 1000;  // kAuto: exact for n <= this
  // Barnes-Hut accuracy: a quadtree cell is summarised when
  // cell_size / distance < theta. 0 is exact (slow), 0.5 the usual value.
  double theta = 0.5;
  double early_exaggeration = 12.0;
  int exaggeration_iterations = 250;  // P is multiplied for this many steps
  // <= 0: "auto", max(n / early_exaggeration / 4, 50) (Belkina et al. 2019,
  // scikit-learn's "auto"); classic value 200.
  double learning_rate = 0.0;
  double initial_momentum = 0.5;
  double final_momentum = 0.8;
  int momentum_switch_iteration = 250;
  double min_gain = 0.01;
  // Initial Y ~ N(0, initial_stddev^2), drawn from `seed` (mt19937_64): the
  // same seed, data and options give the same embedding bit for bit.
  uint64_t seed = 0;
  double initial_stddev = 1e-4;
  // Called every `progress_every` iterations (and at the last one) with the
  // iteration number (1-based) and the KL divergence of the current
  // embedding (exact for kExact, estimated on the sparse P for Barnes-Hut).
  std::function<void(int iteration, double kl_divergence)> progress;
  int progress_every = 50;
  // Worker threads for P and the gradients; <= 0: all cores. The embedding
  // is the same bit for bit for any thread count.
  int num_threads = 1;
};

// Embeds `n` points of dimension `dim`, stored row-major in `data`
// (n * dim floats). Returns n 2-D points, centred at 0.
// Errors (INVALID_ARGUMENT): data.size() != n * dim, n or dim < 1, n too small
// for the perplexity, non-finite input, out-of-range options.
absl::StatusOr<std::vector<std::array<double, 2>>> RunTsne(
    const std::vector<float>& data, int n, int dim, const TsneOptions& options);

// The learning rate `options` asks for with `n` points (resolves "auto").
double ResolvedLearningRate(const TsneOptions& options, int n);

}  // namespace tsne
}  // namespace kd

#endif  // KD_TSNE_TSNE_H_
