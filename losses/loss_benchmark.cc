// Forward + backward time of every loss plugin at B = 64, 256, 1024 and
// D = 256 (2 threads), through LossSet as the trainer calls it.
//   bazel run -c opt //losses:loss_benchmark
// On a machine whose cores are shared (load above the core count), run with
// OMP_WAIT_POLICY=PASSIVE: libgomp's default spin-waiting then makes small
// ops 10-40x slower (measured: ega at B=64 47 ms -> 1 ms).
// CRD runs with nce_k=4096 (its cost is O(B * K * 128); the default 16384
// at B = 1024 would need ~17 GB for the gathered memory rows).
#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <benchmark/benchmark.h>
#include <torch/types.h>

#include <string>
#include <vector>

#include "glog/logging.h"
#include "losses/loss_set.h"

namespace kd {
namespace {

constexpr int64_t kDim = 256;
constexpr int64_t kClasses = 100;
constexpr int64_t kDatasetSize = 50000;

void BM_Loss(benchmark::State& state, const std::string& spec) {
  at::set_num_threads(2);
  torch::manual_seed(0);
  const int64_t b = state.range(0);
  LossContext context;
  context.student_embed_dim = context.teacher_embed_dim = kDim;
  context.student_feature_dim = context.teacher_feature_dim = kDim;
  context.num_classes = kClasses;
  context.dataset_size = kDatasetSize;
  for (int64_t i = 0; i < kDatasetSize; ++i) {
    context.dataset_labels.push_back(i % kClasses);
  }
  auto set = LossSet::Create({spec}, context);
  CHECK(set.ok()) << set.status();
  const torch::Tensor student = at::randn({b, kDim}).requires_grad_(true);
  const torch::Tensor student_logits =
      at::randn({b, kClasses}).requires_grad_(true);
  LossInputs inputs;
  inputs.student_embed = student;
  inputs.teacher_embed = at::randn({b, kDim});
  inputs.student_logits = student_logits;
  inputs.teacher_logits = at::randn({b, kClasses});
  inputs.indices = at::randperm(kDatasetSize, at::kLong).slice(0, 0, b);
  inputs.labels = inputs.indices.remainder(kClasses);
  for (auto _ : state) {
    auto value = (*set)->Compute(inputs);
    CHECK(value.ok()) << value.status();
    value->total.backward();
    student.mutable_grad().reset();
    student_logits.mutable_grad().reset();
  }
  state.SetItemsProcessed(state.iterations() * b);
}

void RegisterAll() {
  const std::vector<std::string> specs = {
      "ce",     "kd",  "ega", "ega:graph=cosine",
      "fitnet", "pkt", "rkd", "rkd:angle=0",
      "nce",    "ccl", "irg", "crd:nce_k=4096"};
  for (const std::string& spec : specs) {
    benchmark::RegisterBenchmark(("loss/" + spec).c_str(), BM_Loss, spec)
        ->Arg(64)
        ->Arg(256)
        ->Arg(1024)
        ->Unit(benchmark::kMillisecond)
        ->MinTime(0.5);
  }
}

}  // namespace
}  // namespace kd

int main(int argc, char** argv) {
  kd::RegisterAll();
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
