// Forward + backward throughput of every registered backbone: batch 64 at
// the network's native input size, train mode, images/s reported as
// items_per_second. Not a test.
//
//   bazel build //backbones:backbone_benchmark
//   bazel-bin/backbones/backbone_benchmark --torch_threads=2
//       --benchmark_filter='^(resnet8x4|wrn_40_2)/'
//
// --torch_threads=N (default 2) sets torch::set_num_threads before running.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "backbones/backbone.h"

namespace kd {
namespace {

constexpr int64_t kBatch = 64;

void ForwardBackward(benchmark::State& state, const std::string& name) {
  BackboneConfig config;
  config.num_classes = 100;
  auto created = Backbone::Registry::Global().Create(name, config);
  if (!created.ok()) {
    state.SkipWithError(created.status().ToString().c_str());
    return;
  }
  std::unique_ptr<Backbone> net = std::move(created).value();
  net->train();
  const int64_t side = net->native_input_size();
  const torch::Tensor images = torch::randn({kBatch, 3, side, side});
  const torch::Tensor labels = torch::randint(0, 100, {kBatch}, torch::kLong);
  auto step = [&] {
    net->zero_grad();
    BackboneOutput out = net->Forward(images);
    torch::Tensor loss =
        torch::nn::functional::cross_entropy(out.logits, labels);
    loss.backward();
    return loss.item<float>();
  };
  step();  // warm-up: oneDNN primitive creation, allocator
  for (auto _ : state) benchmark::DoNotOptimize(step());
  state.SetItemsProcessed(state.iterations() * kBatch);
  state.counters["side"] = static_cast<double>(side);
}

}  // namespace
}  // namespace kd

int main(int argc, char** argv) {
  int threads = 2;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    constexpr char kFlag[] = "--torch_threads=";
    if (std::strncmp(argv[i], kFlag, sizeof(kFlag) - 1) == 0) {
      threads = std::atoi(argv[i] + sizeof(kFlag) - 1);
    } else {
      args.push_back(argv[i]);
    }
  }
  torch::set_num_threads(threads);
  for (const std::string& name : kd::Backbone::Registry::Global().Names()) {
    benchmark::RegisterBenchmark(name.c_str(), kd::ForwardBackward, name)
        ->Unit(benchmark::kMillisecond)
        ->MinTime(2.0)
        ->UseRealTime();
  }
  int benchmark_argc = static_cast<int>(args.size());
  benchmark::Initialize(&benchmark_argc, args.data());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
