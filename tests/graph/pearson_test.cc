#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "graph/blocks.h"
#include "gtest/gtest.h"
#include "tests/graph/graph_test_util.h"

namespace kd {
namespace {

using ::testing::HasSubstr;
using testing::MakeGraph;
using testing::Rows;

double Edge(const at::Tensor& x, int i, int j) {
  return MakeGraph("pearson")->Edges(x).value()[i][j].item<double>();
}

TEST(PearsonTest, ValuesOfTheNotes) {
  EXPECT_NEAR(Edge(Rows({1, 2, 3, 1, 3, 2}, 3), 0, 1), 0.5, 1e-12);
  EXPECT_NEAR(Edge(Rows({1, 2, 3, 3, 2, 1}, 3), 0, 1), -1, 1e-12);
  EXPECT_NEAR(Edge(Rows({1, 2, 3, 2, 4, 6}, 3), 0, 1), 1, 1e-12);
  const at::Tensor x = Rows({1, 0, 0, 2, 0, 1, 3, 1, 2, 2, 1, 0}, 4);
  EXPECT_NEAR(Edge(x, 0, 1), -0.484200, 1e-6);
  EXPECT_NEAR(Edge(x, 0, 2), -0.636364, 1e-6);
  EXPECT_NEAR(Edge(x, 1, 2), -0.345857, 1e-6);
  EXPECT_NEAR(Edge(x, 2, 1), -0.345857, 1e-6);
  EXPECT_NEAR(Edge(x, 1, 1), 1, 1e-12);
}

TEST(PearsonTest, ZeroVarianceRowHasCorrelationZeroWithEveryRowItselfIncluded) {
  const at::Tensor x = Rows({1, 2, 3, 5, 5, 5, 0, 0, 0, 3, 1, 2}, 3);
  const at::Tensor c = MakeGraph("pearson")->Edges(x).value();
  EXPECT_TRUE(at::isfinite(c).all().item<bool>());
  for (int j = 0; j < 4; ++j) {
    EXPECT_EQ(c[1][j].item<double>(), 0) << j;
    EXPECT_EQ(c[2][j].item<double>(), 0) << j;
  }
  EXPECT_NEAR(c[0][0].item<double>(), 1, 1e-12);
  // Gradients through a zero-variance row stay finite.
  const at::Tensor leaf = x.clone().requires_grad_(true);
  MakeGraph("pearson")->Edges(leaf).value().sum().backward();
  EXPECT_TRUE(at::isfinite(leaf.grad()).all().item<bool>());
}

TEST(PearsonTest, GradientMatchesFiniteDifferences) {
  at::manual_seed(1);
  const at::Tensor a = at::randn({3, 5}, at::kDouble);
  const at::Tensor b = at::randn({4, 5}, at::kDouble);
  const at::Tensor w = at::randn({3, 4}, at::kDouble);
  auto graph = MakeGraph("pearson");
  const at::Tensor leaf = a.clone().requires_grad_(true);
  (graph->CrossEdges(leaf, b).value() * w).sum().backward();
  const at::Tensor numeric = testing::NumericGradient(
      [&](const at::Tensor& x) { return graph->CrossEdges(x, b).value(); }, a,
      w);
  EXPECT_LT((leaf.grad() - numeric).abs().max().item<double>(), 1e-7);
}

TEST(PearsonTest, BlocksOfTheStackedGraphMatchSeparateCalls) {
  at::manual_seed(2);
  const at::Tensor t = at::randn({3, 6}, at::kDouble);
  const at::Tensor s = at::randn({3, 6}, at::kDouble);
  auto graph = MakeGraph("pearson");
  auto blocks = BuildBlocks(*graph, t, s);
  ASSERT_TRUE(blocks.ok());
  EXPECT_TRUE(at::allclose(blocks->aa, graph->Edges(t).value()));
  EXPECT_TRUE(at::allclose(blocks->bb, graph->Edges(s).value()));
  EXPECT_TRUE(at::allclose(blocks->ab, graph->CrossEdges(t, s).value()));
  EXPECT_THAT(
      BuildBlocks(*graph, t, at::randn({3, 5}, at::kDouble)).status().message(),
      HasSubstr("must have the same number of columns"));
}

TEST(PearsonTest, BadShapesAreErrors) {
  auto graph = MakeGraph("pearson");
  EXPECT_THAT(graph->Edges(at::randn({3}, at::kDouble)).status().message(),
              HasSubstr("pearson graph: a must be a non-empty [B, D] matrix "
                        "(found [3])"));
  EXPECT_THAT(graph->Edges(at::ones({2, 2}, at::kLong)).status().message(),
              HasSubstr("must be float or double"));
  EXPECT_THAT(graph->Edges(at::Tensor()).status().message(),
              HasSubstr("pearson graph needs a"));
}

}  // namespace
}  // namespace kd
