// Training-step (forward + backward + SGD) throughput of every registered
// backbone: batch 64 at the network's native input size, train mode, images/s
// reported as items_per_second. Not a test.
//
//   bazel build //backbones:backbone_benchmark
//   bazel-bin/backbones/backbone_benchmark --torch_threads=2
//       --benchmark_filter='^(resnet8x4|wrn_40_2)/'
//
// --torch_threads=N (default 2) sets torch::set_num_threads before running.
#include <benchmark/benchmark.h>
#include <torch/utils.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "backbones/backbone.h"
#include "backbones/train_step_benchmark.h"

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
    benchmark::RegisterBenchmark(name.c_str(), kd::BenchmarkBackboneTrainStep,
                                 name)
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
