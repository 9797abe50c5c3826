// Exact vs Barnes-Hut t-SNE: cost of one gradient evaluation (the per-
// iteration cost) and of computing P, at N = 1000 and 5000.
//
//   bazel run -c opt //tests/tsne:tsne_benchmark
//
// Compare BM_ExactGradient/N with BM_BarnesHutGradient/N (same run).
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "kd/tsne/tsne.h"
#include "kd/tsne/tsne_internal.h"

namespace {

constexpr int kDim = 50;
constexpr double kPerplexity = 30;

std::vector<float> Data(int n) {
  // 10 Gaussian clusters in 50-D, like PCA-reduced embeddings.
  std::mt19937_64 rng(1);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> data(static_cast<size_t>(n) * kDim);
  for (int i = 0; i < n; ++i) {
    for (int d = 0; d < kDim; ++d) {
      data[static_cast<size_t>(i) * kDim + d] =
          normal(rng) + (d == i % 10 ? 6.f : 0.f);
    }
  }
  return data;
}

// An embedding with the spread of a converged t-SNE map (density ~ const).
std::vector<double> Embedding(int n) {
  std::mt19937_64 rng(2);
  std::normal_distribution<double> normal(0.0, std::sqrt(n) / 2);
  std::vector<double> y(2 * static_cast<size_t>(n));
  for (double& v : y) v = normal(rng);
  return y;
}

void BM_ExactGradient(benchmark::State& state) {
  const int n = state.range(0);
  const std::vector<double> p = kd::tsne::internal::SymmetrizeDense(
      kd::tsne::internal::ExactConditionalP(Data(n), n, kDim, kPerplexity,
                                            1e-5),
      n);
  const std::vector<double> y = Embedding(n);
  std::vector<double> grad;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        kd::tsne::internal::ExactGradient(p, y, n, 1.0, &grad, false));
  }
}

void BM_BarnesHutGradient(benchmark::State& state) {
  const int n = state.range(0);
  const kd::tsne::internal::SparseMatrix p =
      kd::tsne::internal::SymmetrizeSparse(
          kd::tsne::internal::SparseConditionalP(
              Data(n), n, kDim, kPerplexity, 1e-5,
              static_cast<int>(3 * kPerplexity)));
  const std::vector<double> y = Embedding(n);
  std::vector<double> grad;
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        kd::tsne::internal::BarnesHutGradient(p, y, n, 0.5, 1.0, &grad, false));
  }
}

void BM_ExactP(benchmark::State& state) {
  const int n = state.range(0);
  const std::vector<float> data = Data(n);
  for (auto _ : state) {
    benchmark::DoNotOptimize(kd::tsne::internal::ExactConditionalP(
        data, n, kDim, kPerplexity, 1e-5));
  }
}

void BM_SparseP(benchmark::State& state) {
  const int n = state.range(0);
  const std::vector<float> data = Data(n);
  for (auto _ : state) {
    benchmark::DoNotOptimize(kd::tsne::internal::SparseConditionalP(
        data, n, kDim, kPerplexity, 1e-5, 90));
  }
}

BENCHMARK(BM_ExactGradient)
    ->Arg(1000)
    ->Arg(5000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BarnesHutGradient)
    ->Arg(1000)
    ->Arg(5000)
    ->Arg(20000)
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ExactP)->Arg(1000)->Arg(5000)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SparseP)
    ->Arg(1000)
    ->Arg(5000)
    ->Arg(20000)
    ->Unit(benchmark::kMillisecond);

// A full run (P and 1000 iterations) of each method on 1000 points:
// Arg 0 exact, Arg 1 Barnes-Hut.
void BM_RunTsne(benchmark::State& state) {
  const int n = 1000;
  const std::vector<float> data = Data(n);
  kd::tsne::TsneOptions options;
  options.method = state.range(0) ? kd::tsne::TsneMethod::kBarnesHut
                                  : kd::tsne::TsneMethod::kExact;
  for (auto _ : state) {
    benchmark::DoNotOptimize(kd::tsne::RunTsne(data, n, kDim, options));
  }
}
BENCHMARK(BM_RunTsne)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Barnes-Hut gradient at N = 20000 on 1 vs 2 threads (Arg = threads).
void BM_BarnesHutGradientThreads(benchmark::State& state) {
  const int n = 20000;
  const kd::tsne::internal::SparseMatrix p =
      kd::tsne::internal::SymmetrizeSparse(
          kd::tsne::internal::SparseConditionalP(
              Data(n), n, kDim, kPerplexity, 1e-5,
              static_cast<int>(3 * kPerplexity), 2));
  const std::vector<double> y = Embedding(n);
  std::vector<double> grad;
  for (auto _ : state) {
    benchmark::DoNotOptimize(kd::tsne::internal::BarnesHutGradient(
        p, y, n, 0.5, 1.0, &grad, false, state.range(0)));
  }
}
BENCHMARK(BM_BarnesHutGradientThreads)
    ->Arg(1)
    ->Arg(2)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
