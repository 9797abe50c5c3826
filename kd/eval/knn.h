// k-nearest-neighbour classification on frozen embeddings, the standard
// judge of self-supervised representations (Wu et al. 2018, InstDisc):
// cosine similarity between L2-normalised test queries and a bank of train
// embeddings, the k most similar vote for their labels, weighted by
// exp(similarity / temperature) or one vote each.
#ifndef KD_EVAL_KNN_H_
#define KD_EVAL_KNN_H_

#include <ATen/ATen.h>

#include <cstdint>

#include "absl/status/statusor.h"

namespace kd {
namespace eval {

enum class KnnVoting {
  kExpSimilarity,  // weight exp(sim / temperature) (InstDisc)
  kMajority,       // one vote per neighbour; ties go to the lower class id
};

struct KnnOptions {
  int k = 200;  // InstDisc uses 200; clamped to the bank size
  KnnVoting voting = KnnVoting::kExpSimilarity;
  double temperature = 0.07;
  // Queries processed per chunk: the similarity block is chunk x bank
  // floats (1024 x 50k = 200 MB), so 50k x 10k never needs 2 GB at once.
  int64_t chunk_size = 1024;
  // <= 0: max label + 1 over the bank.
  int64_t num_classes = 0;
};

// Predicted labels int64 [Q] for `queries` [Q, D] given `bank` [N, D] with
// `bank_labels` int [N] (>= 0). Features are L2-normalised here (zero rows
// stay zero). Errors: shapes, empty bank, negative labels, k < 1,
// non-positive temperature or chunk size.
absl::StatusOr<at::Tensor> KnnPredict(const at::Tensor& bank,
                                      const at::Tensor& bank_labels,
                                      const at::Tensor& queries,
                                      const KnnOptions& options);

// Fraction of queries whose prediction equals query_labels.
absl::StatusOr<double> KnnAccuracy(const at::Tensor& bank,
                                   const at::Tensor& bank_labels,
                                   const at::Tensor& queries,
                                   const at::Tensor& query_labels,
                                   const KnnOptions& options);

}  // namespace eval
}  // namespace kd

#endif  // KD_EVAL_KNN_H_
