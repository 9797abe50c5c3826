#include "kd/base/tensor_text.h"

#include <torch/torch.h>

#include "gtest/gtest.h"

namespace kd {
namespace {

TEST(ShapeTextTest, OneFormatForEveryRank) {
  EXPECT_EQ(ShapeText(torch::zeros({64, 256})), "[64, 256]");
  EXPECT_EQ(ShapeText(torch::zeros({2, 3, 4, 5})), "[2, 3, 4, 5]");
  EXPECT_EQ(ShapeText(torch::zeros({0})), "[0]");
  EXPECT_EQ(ShapeText(torch::tensor(1.0)), "[]");
  EXPECT_EQ(ShapeText(torch::Tensor()), "undefined");
}

}  // namespace
}  // namespace kd
