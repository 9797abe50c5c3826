// Linear probe: multinomial logistic regression trained on frozen
// embeddings, scored on held-out embeddings (how self-supervised features
// are judged). Features are standardised with the train mean / std.
#ifndef KD_EVAL_LINEAR_PROBE_H_
#define KD_EVAL_LINEAR_PROBE_H_

#include <ATen/ATen.h>

#include <cstdint>

#include "absl/status/statusor.h"

namespace kd {
namespace eval {

enum class ProbeOptimizer {
  kSgd,    // mini-batch SGD with momentum, cosine-decayed learning rate
  kLbfgs,  // full-batch L-BFGS with strong-Wolfe line search
};

struct LinearProbeOptions {
  ProbeOptimizer optimizer = ProbeOptimizer::kSgd;
  int epochs = 100;            // SGD epochs / L-BFGS outer steps
  double learning_rate = 0.1;  // SGD; L-BFGS uses 1 with line search
  double momentum = 0.9;       // SGD
  int64_t batch_size = 256;    // SGD
  double weight_decay = 0.0;   // L2 penalty on the weights (not bias)
  bool standardize = true;     // z-score features with train statistics
  uint64_t seed = 0;           // init and shuffling
  // <= 0: max label + 1 over train and test labels.
  int64_t num_classes = 0;
};

struct LinearProbeResult {
  double train_accuracy = 0;
  double test_accuracy = 0;
  double final_train_loss = 0;  // mean cross-entropy (+ penalty)
};

// Trains on (train_features [N, D], train_labels int [N]) and evaluates on
// (test_features [M, D], test_labels int [M]). Runs on the features' device
// in float32. Errors: shapes, empty sets, negative labels, non-finite
// features, bad options.
absl::StatusOr<LinearProbeResult> RunLinearProbe(
    const at::Tensor& train_features, const at::Tensor& train_labels,
    const at::Tensor& test_features, const at::Tensor& test_labels,
    const LinearProbeOptions& options);

}  // namespace eval
}  // namespace kd

#endif  // KD_EVAL_LINEAR_PROBE_H_
