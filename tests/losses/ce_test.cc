#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/losses/reference_cases.h"

namespace kd {
namespace {

using ::testing::HasSubstr;

TEST(CeTest, MatchesReferenceValuesAndGradients) {
  EXPECT_GE(testing::CheckReferenceCases("ce"),
            2);  // with and without smoothing
}

TEST(CeTest, UniformLogitsGiveLogK) {
  auto loss = testing::MakeLoss("ce");
  LossInputs in;
  in.student_logits = at::zeros({1, 10}, at::kDouble);
  in.labels = at::tensor({3}, at::kLong);
  EXPECT_NEAR(loss->Compute(in)->total.item<double>(), std::log(10.0), 1e-12);
}

TEST(CeTest, Errors) {
  EXPECT_THAT(
      Loss::Registry::Global().Create("ce:smoothing=1", {}).status().message(),
      HasSubstr("smoothing must be in [0, 1)"));
  auto loss = testing::MakeLoss("ce");
  LossInputs in;
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("ce needs student_logits"));
  in.student_logits = at::randn({2, 4}, at::kDouble);
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("ce needs labels"));
  in.labels = at::tensor({0, 4}, at::kLong);
  EXPECT_THAT(
      loss->Compute(in).status().message(),
      HasSubstr("labels must lie in [0, 4) (found values from 0 to 4)"));
  in.labels = at::tensor({0, 1, 2}, at::kLong);
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("1-D int64 tensor of 2 entries"));
  in.labels = at::tensor({0., 1.}, at::kDouble);
  EXPECT_THAT(loss->Compute(in).status().message(), HasSubstr("int64"));
}

}  // namespace
}  // namespace kd
