// dist against DIST's official formula (gen_reference.py) and its errors.
#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/losses/reference_cases.h"

namespace kd {
namespace {

using ::testing::HasSubstr;

TEST(DistTest, MatchesReferenceValuesAndGradients) {
  // Defaults, options, identical logits, a constant logit row, standardised
  // logits, a batch of one (intra: one-element columns correlate 0).
  EXPECT_GE(testing::CheckReferenceCases("dist"), 6);
}

// Not exactly 0: the 1e-8 of the correlation's denominator.
TEST(DistTest, IdenticalLogitsGiveAlmostZero) {
  auto loss = testing::MakeLoss("dist");
  LossInputs in;
  in.student_logits = at::randn({8, 10}, at::kDouble);
  in.teacher_logits = in.student_logits.clone();
  auto value = loss->Compute(in);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_LT(value->total.item<double>(), 1e-5);
  EXPECT_GE(value->total.item<double>(), 0);
}

TEST(DistTest, Errors) {
  EXPECT_THAT(
      Loss::Registry::Global().Create("dist:T=-1", {}).status().message(),
      HasSubstr("dist: T must be > 0"));
  EXPECT_THAT(Loss::Registry::Global()
                  .Create("dist:standardize=maybe", {})
                  .status()
                  .message(),
              HasSubstr("'dist' option 'standardize'"));
  auto loss = testing::MakeLoss("dist");
  LossInputs in;
  in.student_logits = at::randn({3, 5}, at::kDouble);
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("dist needs teacher_logits"));
}

}  // namespace
}  // namespace kd
