#include "kd/eval/features.h"

#include <vector>

#include "kd/status_macros.h"

namespace kd {

absl::StatusOr<ExtractedFeatures> ExtractFeatures(Network& network,
                                                  DataLoader& loader,
                                                  FeatureKind kind,
                                                  const torch::Device& device) {
  torch::NoGradGuard no_grad;
  network.Train(false);
  std::vector<torch::Tensor> features, logits, labels;
  loader.StartEpoch(0);
  while (true) {
    KD_ASSIGN_OR_RETURN(std::optional<Batch> batch, loader.Next());
    if (!batch.has_value()) break;
    Network::Output out = network.Forward(batch->images.to(device));
    features.push_back((kind == FeatureKind::kPooled ? out.backbone.pooled
                                                     : out.head.embedding)
                           .to(torch::kCPU)
                           .to(torch::kFloat));
    logits.push_back(out.head.logits.to(torch::kCPU).to(torch::kFloat));
    labels.push_back(batch->labels.to(torch::kCPU).to(torch::kInt64));
  }
  if (features.empty()) {
    return absl::InvalidArgumentError("no examples to extract features from");
  }
  return ExtractedFeatures{torch::cat(features), torch::cat(logits),
                           torch::cat(labels)};
}

}  // namespace kd
