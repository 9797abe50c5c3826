#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/losses/reference_cases.h"

namespace kd {
namespace {

using ::testing::HasSubstr;

TEST(KdTest, MatchesReferenceValuesAndGradients) {
  // Notes' T = 4 value 0.36672489, a random T = 2 case, and standardize=true
  // (Sun et al. 2024) on random logits and on a constant logit row.
  EXPECT_GE(testing::CheckReferenceCases("kd"), 4);
}

TEST(KdTest, IdenticalLogitsGiveZeroAndHugeLogitsStayFinite) {
  auto loss = testing::MakeLoss("kd");
  LossInputs in;
  in.student_logits = at::randn({3, 5}, at::kDouble).requires_grad_(true);
  in.teacher_logits = in.student_logits.detach().clone();
  EXPECT_NEAR(loss->Compute(in)->total.item<double>(), 0, 1e-12);
  in.student_logits = (at::randn({3, 5}) * 1e30).requires_grad_(true);
  in.teacher_logits = at::randn({3, 5}) * 1e30;
  auto loss32 = testing::MakeLoss("kd", {}, at::kFloat);
  auto value = loss32->Compute(in);
  ASSERT_TRUE(value.ok());
  EXPECT_TRUE(testing::AllFinite(value->total));
  value->total.backward();
  EXPECT_TRUE(testing::AllFinite(in.student_logits.grad()));
}

TEST(KdTest, Errors) {
  EXPECT_THAT(Loss::Registry::Global().Create("kd:T=0", {}).status().message(),
              HasSubstr("T must be > 0"));
  auto loss = testing::MakeLoss("kd");
  LossInputs in;
  in.student_logits = at::randn({3, 5}, at::kDouble);
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("kd needs teacher_logits"));
  in.teacher_logits = at::randn({3, 4}, at::kDouble);
  EXPECT_THAT(loss->Compute(in).status().message(), HasSubstr("same width"));
}

}  // namespace
}  // namespace kd
