// dkd against the mdistiller formula (gen_reference.py), its warm-up ramp
// and its errors.
#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/losses/reference_cases.h"

namespace kd {
namespace {

using ::testing::HasSubstr;

LossInputs RandomInputs() {
  LossInputs in;
  in.student_logits = at::randn({4, 5}, at::kDouble);
  in.teacher_logits = at::randn({4, 5}, at::kDouble);
  in.labels = at::tensor({0, 4, 2, 2}, at::kLong);
  return in;
}

TEST(DkdTest, MatchesReferenceValuesAndGradients) {
  // Defaults, options, warm-up at epochs 5 and 30, identical logits, and
  // standardised logits (one with a constant row).
  EXPECT_GE(testing::CheckReferenceCases("dkd"), 7);
}

TEST(DkdTest, WarmupRampsTheTotalNotTheTerms) {
  auto loss = testing::MakeLoss("dkd:warmup=20");
  LossInputs in = RandomInputs();
  auto full = loss->Compute(in);
  ASSERT_TRUE(full.ok()) << full.status();
  in.epoch = 5;
  auto ramped = loss->Compute(in);
  ASSERT_TRUE(ramped.ok()) << ramped.status();
  EXPECT_NEAR(ramped->total.item<double>(), full->total.item<double>() / 4,
              1e-12);
  EXPECT_NEAR(ramped->terms[0].second.item<double>(),
              full->terms[0].second.item<double>(), 1e-12);
  in.epoch = 20;
  EXPECT_NEAR(loss->Compute(in)->total.item<double>(),
              full->total.item<double>(), 1e-12);
  // warmup=0: no ramp at any epoch.
  in.epoch = 1;
  EXPECT_NEAR(
      testing::MakeLoss("dkd:warmup=0")->Compute(in)->total.item<double>(),
      full->total.item<double>(), 1e-12);
}

TEST(DkdTest, HugeLogitsStayFinite) {
  auto loss = testing::MakeLoss("dkd", {}, at::kFloat);
  LossInputs in = RandomInputs();
  in.student_logits = (at::randn({4, 5}) * 1e4).requires_grad_(true);
  in.teacher_logits = at::randn({4, 5}) * 1e4;
  auto value = loss->Compute(in);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_TRUE(testing::AllFinite(value->total));
  value->total.backward();
  EXPECT_TRUE(testing::AllFinite(in.student_logits.grad()));
}

TEST(DkdTest, Errors) {
  auto& registry = Loss::Registry::Global();
  EXPECT_THAT(registry.Create("dkd:T=0", {}).status().message(),
              HasSubstr("dkd: T must be > 0 (found 0)"));
  EXPECT_THAT(registry.Create("dkd:warmup=-1", {}).status().message(),
              HasSubstr("dkd: warmup must be >= 0 (found -1)"));
  EXPECT_THAT(registry.Create("dkd:gamma=1", {}).status().message(),
              HasSubstr("'dkd' has no option 'gamma'"));
  auto loss = testing::MakeLoss("dkd");
  LossInputs in = RandomInputs();
  in.labels = at::Tensor();
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("dkd needs labels"));
  in.labels = at::tensor({0, 5, 2, 2}, at::kLong);
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("labels must lie in [0, 5)"));
  in.labels = at::zeros({4}, at::kLong);
  in.student_logits = at::randn({4, 1}, at::kDouble);
  in.teacher_logits = at::randn({4, 1}, at::kDouble);
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("dkd: needs at least 2 classes"));
}

}  // namespace
}  // namespace kd
