// One training step of a registered backbone as a Google Benchmark body:
// forward + cross-entropy + backward + SGD update at batch 64, native input
// size, images/s as items_per_second. The backbone benchmark runs it for
// every network; the loss and loader benchmarks link
// :resnet8x4_step_benchmark so that their figures sit next to a resnet8x4
// step measured in the same run.
#ifndef BACKBONES_TRAIN_STEP_BENCHMARK_H_
#define BACKBONES_TRAIN_STEP_BENCHMARK_H_

#include <benchmark/benchmark.h>

#include <string>

namespace kd {

void BenchmarkBackboneTrainStep(benchmark::State& state,
                                const std::string& backbone_name);

}  // namespace kd

#endif  // BACKBONES_TRAIN_STEP_BENCHMARK_H_
