// Features of a network over a data set, for evaluation (kNN, linear probe)
// and embedding dumps.
#ifndef KD_EVAL_FEATURES_H_
#define KD_EVAL_FEATURES_H_

#include <torch/types.h>

#include "absl/status/statusor.h"
#include "backbones/network.h"
#include "kd/data/loader.h"

namespace kd {

enum class FeatureKind { kPooled, kEmbedding };

struct ExtractedFeatures {
  torch::Tensor features;  // [N, D] float, CPU
  torch::Tensor logits;    // [N, classes] float, CPU
  torch::Tensor labels;    // [N] int64
};

// Runs `network` in eval mode under NoGradGuard over one epoch of `loader`.
// An empty loader is INVALID_ARGUMENT.
absl::StatusOr<ExtractedFeatures> ExtractFeatures(Network& network,
                                                  DataLoader& loader,
                                                  FeatureKind kind,
                                                  const torch::Device& device);

}  // namespace kd

#endif  // KD_EVAL_FEATURES_H_
