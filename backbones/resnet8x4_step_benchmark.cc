// Registers the baseline every benchmark compares with: one resnet8x4
// training step at batch 64 (the reference EGA student).
#include "backbones/train_step_benchmark.h"

namespace kd {
namespace {

void BM_Baseline_Resnet8x4TrainStep(benchmark::State& state) {
  BenchmarkBackboneTrainStep(state, "resnet8x4");
}
BENCHMARK(BM_Baseline_Resnet8x4TrainStep)
    ->Unit(benchmark::kMillisecond)
    ->MinTime(2.0)
    ->UseRealTime();

}  // namespace
}  // namespace kd
