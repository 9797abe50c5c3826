#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/losses/reference_cases.h"

namespace kd {
namespace {

using ::testing::HasSubstr;

TEST(CclTest, MatchesReferenceValuesAndGradients) {
  // Defaults, kl_T = 4, and standardize=true on the KL term's logits.
  EXPECT_GE(testing::CheckReferenceCases("ccl"), 3);
}

TEST(CclTest, NeedsLogitsAndLabels) {
  auto loss = testing::MakeLoss("ccl");
  LossInputs in;
  in.student_embed = at::randn({2, 4}, at::kDouble);
  in.teacher_embed = at::randn({2, 4}, at::kDouble);
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("ccl needs student_logits"));
  in.student_logits = at::randn({2, 3}, at::kDouble);
  in.teacher_logits = at::randn({2, 3}, at::kDouble);
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("ccl needs labels"));
  in.labels = at::tensor({0, 1}, at::kLong);
  EXPECT_TRUE(loss->Compute(in).ok());
}

}  // namespace
}  // namespace kd
