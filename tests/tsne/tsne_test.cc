// Tests of kd/tsne: perplexity calibration, neighbours, gradients (against
// finite differences and between exact and Barnes-Hut), cluster structure,
// determinism and input errors.
#include "kd/tsne/tsne.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kd/tsne/tsne_internal.h"

namespace kd {
namespace tsne {
namespace {

using ::testing::HasSubstr;

std::vector<float> RandomData(int n, int dim, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> data(static_cast<size_t>(n) * dim);
  for (float& v : data) v = normal(rng);
  return data;
}

// `clusters` isotropic Gaussian clusters (std 1) in `dim` dimensions whose
// centres are `separation` apart along distinct axes; labels by cluster.
std::vector<float> Clusters(int clusters, int per_cluster, int dim,
                            double separation, uint64_t seed,
                            std::vector<int>* labels) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> data;
  labels->clear();
  for (int c = 0; c < clusters; ++c) {
    for (int i = 0; i < per_cluster; ++i) {
      for (int d = 0; d < dim; ++d) {
        data.push_back(normal(rng) + (d == c ? separation : 0.0));
      }
      labels->push_back(c);
    }
  }
  return data;
}

// Fraction of points whose k nearest embedded neighbours share their label.
double KnnPurity(const std::vector<std::array<double, 2>>& y,
                 const std::vector<int>& labels, int k) {
  const int n = static_cast<int>(y.size());
  int agree = 0;
  for (int i = 0; i < n; ++i) {
    std::vector<std::pair<double, int>> d;
    for (int j = 0; j < n; ++j) {
      if (j == i) continue;
      const double dx = y[i][0] - y[j][0], dy = y[i][1] - y[j][1];
      d.emplace_back(dx * dx + dy * dy, j);
    }
    std::partial_sort(d.begin(), d.begin() + k, d.end());
    for (int m = 0; m < k; ++m) agree += labels[d[m].second] == labels[i];
  }
  return static_cast<double>(agree) / (static_cast<double>(n) * k);
}

// Perplexity 2^H(P_i) of a distribution, H in bits.
double Perplexity(const double* p, int m) {
  double h = 0;
  for (int j = 0; j < m; ++j) {
    if (p[j] > 0) h -= p[j] * std::log2(p[j]);
  }
  return std::exp2(h);
}

TEST(CalibrateRowTest, TwoPointsHitsHandSolvedBeta) {
  // Distances {0, 1}: p = (1, e^-b)/(1 + e^-b). Perplexity 1.5 in bits:
  // H(p) = log2(1.5); solved independently by bisection on a in (0, 0.5):
  // -a log2 a - (1-a) log2(1-a) = log2 1.5  ->  a = 0.1739...
  const double dist[2] = {0.0, 1.0};
  double p[2];
  const double beta = internal::CalibrateRow(dist, 2, 1.5, 1e-10, p);
  double lo = 1e-9, hi = 0.5;
  for (int i = 0; i < 200; ++i) {
    const double a = (lo + hi) / 2;
    const double h = -a * std::log2(a) - (1 - a) * std::log2(1 - a);
    (h < std::log2(1.5) ? lo : hi) = a;
  }
  EXPECT_NEAR(p[1], lo, 1e-8);
  EXPECT_NEAR(beta, std::log((1 - lo) / lo), 1e-6);
  EXPECT_NEAR(p[0] + p[1], 1.0, 1e-12);
}

TEST(PerplexityTest, ExactRowsHitTheTargetPerplexity) {
  const int n = 150, dim = 8;
  const std::vector<float> data = RandomData(n, dim, 3);
  for (double perplexity : {5.0, 30.0}) {
    const std::vector<double> p =
        internal::ExactConditionalP(data, n, dim, perplexity, 1e-6);
    for (int i = 0; i < n; ++i) {
      const double* row = &p[static_cast<size_t>(i) * n];
      EXPECT_EQ(row[i], 0.0);
      double sum = 0;
      for (int j = 0; j < n; ++j) sum += row[j];
      EXPECT_NEAR(sum, 1.0, 1e-9);
      EXPECT_NEAR(Perplexity(row, n), perplexity, perplexity * 2e-6)
          << "row " << i;
    }
  }
}

TEST(PerplexityTest, SparseRowsHitTheTargetPerplexity) {
  const int n = 300, dim = 5;
  const double perplexity = 10;
  const std::vector<float> data = RandomData(n, dim, 4);
  const internal::SparseMatrix p =
      internal::SparseConditionalP(data, n, dim, perplexity, 1e-6, 30);
  ASSERT_EQ(p.row_ptr.back(), n * 30);
  for (int i = 0; i < n; ++i) {
    const int m = p.row_ptr[i + 1] - p.row_ptr[i];
    EXPECT_NEAR(Perplexity(&p.value[p.row_ptr[i]], m), perplexity, 1e-4);
  }
}

// Both search paths (vantage-point tree for few dimensions, blocked brute
// force for many) against a plain double-precision sort.
class NeighboursTest : public ::testing::TestWithParam<int> {};

TEST_P(NeighboursTest, MatchesSortedDistances) {
  const int n = 400, dim = GetParam(), k = 12;
  const std::vector<float> data = RandomData(n, dim, 5);
  std::vector<int> idx;
  std::vector<double> sq;
  internal::NearestNeighbours(data, n, dim, k, &idx, &sq);
  for (int i = 0; i < n; ++i) {
    std::vector<std::pair<double, int>> all;
    for (int j = 0; j < n; ++j) {
      if (j == i) continue;
      double d = 0;
      for (int c = 0; c < dim; ++c) {
        const double diff = double(data[i * dim + c]) - data[j * dim + c];
        d += diff * diff;
      }
      all.emplace_back(d, j);
    }
    std::sort(all.begin(), all.end());
    for (int m = 0; m < k; ++m) {
      EXPECT_EQ(idx[i * k + m], all[m].second)
          << "point " << i << " rank " << m;
      EXPECT_NEAR(sq[i * k + m], all[m].first, 1e-9);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(TreeAndBruteForce, NeighboursTest,
                         ::testing::Values(6, internal::kMaxTreeDimensions,
                                           internal::kMaxTreeDimensions + 1,
                                           40));

TEST(SymmetrizeTest, SparseIsSymmetricAndSumsToOne) {
  const int n = 120;
  const std::vector<float> data = RandomData(n, 4, 6);
  const internal::SparseMatrix p = internal::SymmetrizeSparse(
      internal::SparseConditionalP(data, n, 4, 5.0, 1e-6, 15));
  std::vector<double> dense(n * n, 0.0);
  double total = 0;
  for (int i = 0; i < n; ++i) {
    for (int e = p.row_ptr[i]; e < p.row_ptr[i + 1]; ++e) {
      dense[i * n + p.col[e]] = p.value[e];
      total += p.value[e];
    }
  }
  EXPECT_NEAR(total, 1.0, 1e-12);
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) EXPECT_EQ(dense[i * n + j], dense[j * n + i]);
  }
}

// Data for the gradient tests: a symmetric P from real data and a spread
// random embedding.
struct GradientFixture {
  int n = 50;
  std::vector<double> p;
  internal::SparseMatrix p_sparse;  // every off-diagonal entry of p
  std::vector<double> y;
  GradientFixture() {
    const std::vector<float> data = RandomData(n, 6, 7);
    p = internal::SymmetrizeDense(
        internal::ExactConditionalP(data, n, 6, 8.0, 1e-8), n);
    p_sparse.n = n;
    p_sparse.row_ptr.push_back(0);
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        if (j == i) continue;
        p_sparse.col.push_back(j);
        p_sparse.value.push_back(p[i * n + j]);
      }
      p_sparse.row_ptr.push_back(static_cast<int>(p_sparse.col.size()));
    }
    std::mt19937_64 rng(8);
    std::normal_distribution<double> normal(0.0, 3.0);
    for (int k = 0; k < 2 * n; ++k) y.push_back(normal(rng));
  }
};

TEST(GradientTest, ExactGradientMatchesFiniteDifferencesOfKl) {
  GradientFixture f;
  std::vector<double> grad, unused;
  internal::ExactGradient(f.p, f.y, f.n, 1.0, &grad);
  const double h = 1e-6;
  for (int k : {0, 1, 17, 42, 99}) {
    std::vector<double> plus = f.y, minus = f.y;
    plus[k] += h;
    minus[k] -= h;
    const double numeric =
        (internal::ExactGradient(f.p, plus, f.n, 1.0, &unused) -
         internal::ExactGradient(f.p, minus, f.n, 1.0, &unused)) /
        (2 * h);
    EXPECT_NEAR(grad[k], numeric, 1e-6 + 1e-5 * std::abs(numeric)) << k;
  }
}

TEST(GradientTest, BarnesHutWithThetaZeroIsExact) {
  GradientFixture f;
  std::vector<double> exact, bh;
  const double kl_exact = internal::ExactGradient(f.p, f.y, f.n, 4.0, &exact);
  const double kl_bh =
      internal::BarnesHutGradient(f.p_sparse, f.y, f.n, 0.0, 4.0, &bh);
  for (int k = 0; k < 2 * f.n; ++k) EXPECT_NEAR(bh[k], exact[k], 1e-12) << k;
  EXPECT_NEAR(kl_bh, kl_exact, 1e-12);
}

TEST(GradientTest, BarnesHutWithSmallThetaIsCloseToExact) {
  GradientFixture f;
  std::vector<double> exact;
  internal::ExactGradient(f.p, f.y, f.n, 1.0, &exact);
  double norm = 0;
  for (double g : exact) norm += g * g;
  double previous_error = 0;
  for (double theta : {0.1, 0.5}) {
    std::vector<double> bh;
    internal::BarnesHutGradient(f.p_sparse, f.y, f.n, theta, 1.0, &bh);
    double err = 0;
    for (int k = 0; k < 2 * f.n; ++k)
      err += (bh[k] - exact[k]) * (bh[k] - exact[k]);
    const double relative = std::sqrt(err / norm);
    EXPECT_LT(relative, theta < 0.2 ? 0.01 : 0.05) << "theta " << theta;
    EXPECT_GE(relative, previous_error * 0.5) << "theta " << theta;
    previous_error = relative;
  }
  EXPECT_GT(previous_error, 0.0);  // theta 0.5 does approximate something
}

TEST(TsneTest, SeparatedClustersStaySeparatedExact) {
  std::vector<int> labels;
  const std::vector<float> data = Clusters(4, 60, 10, 12.0, 9, &labels);
  TsneOptions options;
  options.method = TsneMethod::kExact;
  options.max_iterations = 500;
  options.seed = 1;
  auto y = RunTsne(data, 240, 10, options);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_GT(KnnPurity(*y, labels, 10), 0.95);
}

TEST(TsneTest, SeparatedClustersStaySeparatedBarnesHut) {
  std::vector<int> labels;
  const std::vector<float> data = Clusters(5, 200, 10, 12.0, 10, &labels);
  TsneOptions options;
  options.method = TsneMethod::kBarnesHut;
  options.max_iterations = 500;
  options.seed = 2;
  double last_kl = -1;
  options.progress = [&](int, double kl) { last_kl = kl; };
  auto y = RunTsne(data, 1000, 10, options);
  ASSERT_TRUE(y.ok()) << y.status();
  EXPECT_GT(KnnPurity(*y, labels, 10), 0.95);
  EXPECT_GT(last_kl, 0.0);
  EXPECT_LT(last_kl, 3.0);
}

TEST(TsneTest, SameSeedSameEmbeddingOtherSeedOther) {
  std::vector<int> labels;
  const std::vector<float> data = Clusters(3, 40, 5, 8.0, 11, &labels);
  for (TsneMethod method : {TsneMethod::kExact, TsneMethod::kBarnesHut}) {
    TsneOptions options;
    options.method = method;
    options.perplexity = 10;
    options.max_iterations = 300;
    options.seed = 5;
    auto a = RunTsne(data, 120, 5, options);
    auto b = RunTsne(data, 120, 5, options);
    options.seed = 6;
    auto c = RunTsne(data, 120, 5, options);
    ASSERT_TRUE(a.ok() && b.ok() && c.ok());
    EXPECT_EQ(*a, *b);
    EXPECT_NE(*a, *c);
  }
}

TEST(TsneTest, ThreadCountDoesNotChangeTheResult) {
  std::vector<int> labels;
  const std::vector<float> data = Clusters(3, 50, 12, 8.0, 13, &labels);
  for (TsneMethod method : {TsneMethod::kExact, TsneMethod::kBarnesHut}) {
    TsneOptions options;
    options.method = method;
    options.perplexity = 10;
    options.max_iterations = 120;
    options.seed = 3;
    auto one = RunTsne(data, 150, 12, options);
    options.num_threads = 3;
    auto three = RunTsne(data, 150, 12, options);
    ASSERT_TRUE(one.ok() && three.ok());
    EXPECT_EQ(*one, *three);
  }
}

TEST(TsneTest, LearningRateAuto) {
  TsneOptions options;
  EXPECT_EQ(ResolvedLearningRate(options, 1000), 50.0);
  EXPECT_EQ(ResolvedLearningRate(options, 48000), 1000.0);
  options.learning_rate = 200;
  EXPECT_EQ(ResolvedLearningRate(options, 48000), 200.0);
}

TEST(TsneTest, BadInputIsAClearError) {
  TsneOptions options;
  std::vector<float> data = RandomData(20, 3, 12);
  options.method = TsneMethod::kBarnesHut;
  auto r = RunTsne(data, 20, 3, options);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("perplexity 30"));
  options.method = TsneMethod::kExact;
  EXPECT_THAT(RunTsne(data, 20, 3, options).status().message(),
              HasSubstr("needs more than"));
  options.perplexity = 5;
  EXPECT_THAT(RunTsne(data, 21, 3, options).status().message(),
              HasSubstr("expected n*dim"));
  data[7] = std::nanf("");
  EXPECT_THAT(RunTsne(data, 20, 3, options).status().message(),
              HasSubstr("not finite at point 2 dimension 1"));
  data[7] = 0;
  options.theta = -1;
  EXPECT_THAT(RunTsne(data, 20, 3, options).status().message(),
              HasSubstr("theta"));
  options.theta = 0.5;
  options.final_momentum = 1.0;
  EXPECT_THAT(RunTsne(data, 20, 3, options).status().message(),
              HasSubstr("momentum"));
  EXPECT_FALSE(RunTsne({}, 0, 3, TsneOptions()).ok());
}

TEST(TsneTest, DuplicatePointsDoNotBreakBarnesHut) {
  std::vector<float> data(200 * 2, 1.0f);  // all identical
  for (int i = 100; i < 200; ++i) data[2 * i] = 5.0f;
  TsneOptions options;
  options.method = TsneMethod::kBarnesHut;
  options.perplexity = 5;
  options.max_iterations = 100;
  auto y = RunTsne(data, 200, 2, options);
  ASSERT_TRUE(y.ok()) << y.status();
  for (const auto& p : *y)
    EXPECT_TRUE(std::isfinite(p[0]) && std::isfinite(p[1]));
}

}  // namespace
}  // namespace tsne
}  // namespace kd
