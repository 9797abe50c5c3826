#include "backbones/backbone.h"

#include <torch/torch.h>

namespace kd {

std::vector<int64_t> StageSizes(Backbone& backbone, int64_t input_size) {
  torch::NoGradGuard no_grad;
  const bool was_training = backbone.is_training();
  backbone.eval();
  const torch::Device device = backbone.parameters().empty()
                                   ? torch::Device(torch::kCPU)
                                   : backbone.parameters().front().device();
  const BackboneOutput out = backbone.Forward(
      torch::zeros({2, 3, input_size, input_size}, torch::kFloat).to(device));
  backbone.train(was_training);
  std::vector<int64_t> sizes;
  for (const torch::Tensor& map : out.stage_features) {
    sizes.push_back(map.size(2));
  }
  return sizes;
}

}  // namespace kd
