// Linear probe on separable data, and PCA on data with known components.
#include <cmath>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kd/eval/linear_probe.h"
#include "kd/eval/pca.h"

namespace kd {
namespace eval {
namespace {

using ::testing::HasSubstr;

// `classes` Gaussian clusters in `dim` dimensions (std 1, centres 6 apart
// along their own axis, plus a large constant offset and scale on one
// column that standardisation must undo).
void Clusters(int per_class, int classes, int dim, uint64_t seed, at::Tensor* x,
              at::Tensor* y) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> data;
  std::vector<int64_t> labels;
  for (int i = 0; i < per_class * classes; ++i) {
    const int c = i % classes;
    for (int d = 0; d < dim; ++d) {
      float v = normal(rng) + (d == c ? 6.f : 0.f);
      if (d == dim - 1) v = 1000.f + 50.f * v;
      data.push_back(v);
    }
    labels.push_back(c);
  }
  *x = at::tensor(data).view({per_class * classes, dim});
  *y = at::tensor(labels, at::kLong);
}

TEST(LinearProbeTest, SeparableDataIsLearnedBySgdAndLbfgs) {
  at::Tensor x_train, y_train, x_test, y_test;
  Clusters(100, 4, 12, 1, &x_train, &y_train);
  Clusters(50, 4, 12, 2, &x_test, &y_test);
  for (ProbeOptimizer optimizer :
       {ProbeOptimizer::kSgd, ProbeOptimizer::kLbfgs}) {
    LinearProbeOptions options;
    options.optimizer = optimizer;
    options.epochs = optimizer == ProbeOptimizer::kSgd ? 30 : 10;
    options.weight_decay = 1e-4;
    auto r = RunLinearProbe(x_train, y_train, x_test, y_test, options);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_GE(r->train_accuracy, 0.995);
    EXPECT_GE(r->test_accuracy, 0.99);
    EXPECT_LT(r->final_train_loss, 0.1);
  }
}

TEST(LinearProbeTest, SameSeedSameResult) {
  at::Tensor x, y;
  Clusters(40, 3, 6, 3, &x, &y);
  LinearProbeOptions options;
  options.epochs = 5;
  options.batch_size = 16;
  options.seed = 9;
  auto a = RunLinearProbe(x, y, x, y, options);
  auto b = RunLinearProbe(x, y, x, y, options);
  options.seed = 10;
  auto c = RunLinearProbe(x, y, x, y, options);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(a->final_train_loss, b->final_train_loss);
  EXPECT_NE(a->final_train_loss, c->final_train_loss);  // order matters
}

TEST(LinearProbeTest, StrongWeightDecayKeepsTheLossNearLogC) {
  // With a huge L2 penalty the optimum has W ~ 0: loss ~ log(3) (balanced).
  at::Tensor x, y;
  Clusters(40, 3, 6, 4, &x, &y);
  LinearProbeOptions options;
  options.optimizer = ProbeOptimizer::kLbfgs;
  options.epochs = 10;
  options.weight_decay = 1e4;
  auto r = RunLinearProbe(x, y, x, y, options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_NEAR(r->final_train_loss, std::log(3.0), 0.01);
}

TEST(LinearProbeTest, BadInputIsAClearError) {
  at::Tensor x, y;
  Clusters(10, 2, 4, 5, &x, &y);
  LinearProbeOptions options;
  EXPECT_THAT(
      RunLinearProbe(x, y, at::ones({3, 5}), at::zeros({3}, at::kLong), options)
          .status()
          .message(),
      HasSubstr("test features must be a non-empty [N, 4]"));
  EXPECT_THAT(
      RunLinearProbe(x, y.narrow(0, 0, 5), x, y, options).status().message(),
      HasSubstr("one per row (20)"));
  at::Tensor bad = x.clone();
  bad[0][0] = NAN;
  EXPECT_THAT(RunLinearProbe(bad, y, x, y, options).status().message(),
              HasSubstr("non-finite"));
  options.epochs = 0;
  EXPECT_FALSE(RunLinearProbe(x, y, x, y, options).ok());
}

TEST(PcaTest, RecoversKnownComponents) {
  // x = a u1 + b u2 + c u3 + offset with orthonormal u's and orthogonal,
  // zero-mean a, b, c (Walsh patterns) of decreasing variance: the PCA
  // coordinates are exactly a, b, c up to the sign convention.
  const double s = 1 / std::sqrt(2.0);
  const double u1[3] = {s, s, 0}, u2[3] = {0, 0, 1}, u3[3] = {s, -s, 0};
  const double a[8] = {3, -3, 3, -3, 3, -3, 3, -3};
  const double b[8] = {1, 1, -1, -1, 1, 1, -1, -1};
  const double c[8] = {0.1, 0.1, 0.1, 0.1, -0.1, -0.1, -0.1, -0.1};
  std::vector<float> data;
  for (int i = 0; i < 8; ++i) {
    for (int d = 0; d < 3; ++d) {
      data.push_back(static_cast<float>(a[i] * u1[d] + b[i] * u2[d] +
                                        c[i] * u3[d] + 5.0 * (d + 1)));
    }
  }
  auto projected = PcaProject(at::tensor(data).view({8, 3}), 2);
  ASSERT_TRUE(projected.ok()) << projected.status();
  ASSERT_EQ(projected->size(0), 8);
  ASSERT_EQ(projected->size(1), 2);
  // Sign convention: u1's largest entry is positive (u1 as given, the first
  // of the tied entries wins), u2 = +e3.
  for (int i = 0; i < 8; ++i) {
    EXPECT_NEAR((*projected)[i][0].item<float>(), a[i], 1e-4) << i;
    EXPECT_NEAR((*projected)[i][1].item<float>(), b[i], 1e-4) << i;
  }
  auto all = PcaProject(at::tensor(data).view({8, 3}), 10);  // clamped to D
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(1), 3);
  for (int i = 0; i < 8; ++i) {
    EXPECT_NEAR(std::abs((*all)[i][2].item<float>()), 0.1, 1e-4);
  }
  EXPECT_FALSE(PcaProject(at::ones({1, 3}), 2).ok());
  EXPECT_FALSE(PcaProject(at::ones({4, 3}), 0).ok());
}

}  // namespace
}  // namespace eval
}  // namespace kd
