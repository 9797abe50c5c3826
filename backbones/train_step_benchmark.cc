#include "backbones/train_step_benchmark.h"

#include <torch/nn/functional/loss.h>
#include <torch/optim/sgd.h>

#include <memory>

#include "backbones/backbone.h"

namespace kd {

void BenchmarkBackboneTrainStep(benchmark::State& state,
                                const std::string& backbone_name) {
  constexpr int64_t kBatch = 64;
  constexpr int64_t kClasses = 100;
  BackboneConfig config;
  config.num_classes = kClasses;
  auto created = Backbone::Registry::Global().Create(backbone_name, config);
  if (!created.ok()) {
    state.SkipWithError(created.status().ToString().c_str());
    return;
  }
  std::unique_ptr<Backbone> net = std::move(created).value();
  net->train();
  torch::optim::SGD optimizer(
      net->parameters(),
      torch::optim::SGDOptions(0.05).momentum(0.9).weight_decay(5e-4));
  const int64_t side = net->native_input_size();
  const torch::Tensor images = torch::randn({kBatch, 3, side, side});
  const torch::Tensor labels =
      torch::randint(0, kClasses, {kBatch}, torch::kLong);
  auto step = [&] {
    optimizer.zero_grad();
    BackboneOutput out = net->Forward(images);
    torch::Tensor loss =
        torch::nn::functional::cross_entropy(out.logits, labels);
    loss.backward();
    optimizer.step();
    return loss.item<float>();
  };
  step();  // warm-up: oneDNN primitive creation, allocator
  for (auto _ : state) benchmark::DoNotOptimize(step());
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["side"] = static_cast<double>(side);
}

}  // namespace kd
