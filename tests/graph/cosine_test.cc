#include <ATen/ATen.h>

#include "gtest/gtest.h"
#include "tests/graph/graph_test_util.h"

namespace kd {
namespace {

using testing::MakeGraph;
using testing::Rows;

TEST(CosineTest, Values) {
  const at::Tensor c =
      MakeGraph("cosine")->Edges(Rows({1, 0, 1, 1, 0, 0, -2, 0}, 2)).value();
  EXPECT_NEAR(c[0][1].item<double>(), 1 / std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(c[0][3].item<double>(), -1, 1e-12);
  EXPECT_NEAR(c[1][1].item<double>(), 1, 1e-12);
  // Zero row: 0 with every row, itself included.
  for (int j = 0; j < 4; ++j) EXPECT_EQ(c[2][j].item<double>(), 0);
}

TEST(CosineTest, GradientMatchesFiniteDifferences) {
  at::manual_seed(4);
  const at::Tensor a = at::randn({3, 4}, at::kDouble);
  const at::Tensor b = at::randn({2, 4}, at::kDouble);
  const at::Tensor w = at::randn({3, 2}, at::kDouble);
  auto graph = MakeGraph("cosine");
  const at::Tensor leaf = a.clone().requires_grad_(true);
  (graph->CrossEdges(leaf, b).value() * w).sum().backward();
  const at::Tensor numeric = testing::NumericGradient(
      [&](const at::Tensor& x) { return graph->CrossEdges(x, b).value(); }, a,
      w);
  EXPECT_LT((leaf.grad() - numeric).abs().max().item<double>(), 1e-7);
}

}  // namespace
}  // namespace kd
