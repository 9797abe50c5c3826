#include <ATen/ATen.h>

#include "graph/pairwise.h"
#include "gtest/gtest.h"
#include "tests/graph/graph_test_util.h"

namespace kd {
namespace {

using testing::MakeGraph;
using testing::Rows;

TEST(SqEuclideanTest, ValuesAndExactZeroDiagonal) {
  const at::Tensor x = Rows({0, 0, 3, 4, 1e8, 1e8 + 1}, 2);
  const at::Tensor d = MakeGraph("sq_euclidean")->Edges(x).value();
  EXPECT_NEAR(d[0][1].item<double>(), 25, 1e-9);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(d[i][i].item<double>(), 0);
  const at::Tensor n = MakeGraph("sq_euclidean:max_normalise=true")
                           ->Edges(x.slice(0, 0, 2))
                           .value();
  EXPECT_NEAR(n[0][1].item<double>(), 1, 1e-12);
  const at::Tensor cross = MakeGraph("sq_euclidean")
                               ->CrossEdges(x.slice(0, 0, 1), x.slice(0, 1, 2))
                               .value();
  EXPECT_NEAR(cross[0][0].item<double>(), 25, 1e-9);
}

TEST(SqEuclideanTest, RkdDistancesHaveZeroDiagonalGradient) {
  // SelfDistances: sqrt(max(d^2, 1e-12)) off the diagonal, 0 on it; the
  // gradient of identical rows stays finite.
  const at::Tensor x = Rows({1, 2, 1, 2, 4, 6}, 2).requires_grad_(true);
  const at::Tensor d = SelfDistances(x);
  EXPECT_NEAR(d[0][1].item<double>(), 1e-6, 1e-12);
  EXPECT_NEAR(d[0][2].item<double>(), std::sqrt(9.0 + 16.0), 1e-12);
  EXPECT_EQ(d[2][2].item<double>(), 0);
  d.sum().backward();
  EXPECT_TRUE(at::isfinite(x.grad()).all().item<bool>());
}

}  // namespace
}  // namespace kd
