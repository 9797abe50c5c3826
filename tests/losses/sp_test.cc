// sp against RepDistiller's Similarity (gen_reference.py) and its errors.
#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/losses/reference_cases.h"

namespace kd {
namespace {

using ::testing::HasSubstr;

TEST(SpTest, MatchesReferenceValuesAndGradients) {
  // Random maps, identical maps, a zero student map, the last of 2 stages.
  EXPECT_GE(testing::CheckReferenceCases("sp"), 4);
}

TEST(SpTest, BatchOfOneIsZeroWithFiniteGradient) {
  auto loss = testing::MakeLoss("sp");
  BackboneOutput student, teacher;
  student.stage_features = {
      at::randn({1, 3, 2, 2}, at::kDouble).requires_grad_(true)};
  teacher.stage_features = {at::randn({1, 4, 2, 2}, at::kDouble)};
  LossInputs in;
  in.student = &student;
  in.teacher = &teacher;
  auto value = loss->Compute(in);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_NEAR(value->total.item<double>(), 0, 1e-15);
  value->total.backward();
  EXPECT_TRUE(testing::AllFinite(student.stage_features[0].grad()));
}

TEST(SpTest, Errors) {
  EXPECT_THAT(Loss::Registry::Global().Create("sp:p=1", {}).status().message(),
              HasSubstr("'sp' has no option 'p'"));
  auto loss = testing::MakeLoss("sp");
  BackboneOutput student;
  student.stage_features = {at::randn({2, 3, 2, 2}, at::kDouble)};
  LossInputs in;
  in.student = &student;
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("sp needs the teacher backbone's stage feature maps"));
}

}  // namespace
}  // namespace kd
