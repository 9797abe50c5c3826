#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/graph/graph_test_util.h"

namespace kd {
namespace {

using testing::MakeGraph;
using testing::Rows;

TEST(GaussianTest, Values) {
  const at::Tensor x = Rows({0, 0, 3, 4}, 2);
  const at::Tensor k = MakeGraph("gaussian:sigma=5")->Edges(x).value();
  EXPECT_NEAR(k[0][1].item<double>(), std::exp(-25.0 / 50.0), 1e-12);
  EXPECT_EQ(k[1][1].item<double>(), 1);
}

TEST(GaussianTest, SigmaMustBePositive) {
  EXPECT_THAT(GraphBuilder::Registry::Global()
                  .Create("gaussian:sigma=0")
                  .status()
                  .message(),
              ::testing::HasSubstr("sigma must be > 0"));
}

}  // namespace
}  // namespace kd
