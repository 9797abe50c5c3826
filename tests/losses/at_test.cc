// at against RepDistiller's Attention (gen_reference.py) and its errors.
#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/losses/reference_cases.h"

namespace kd {
namespace {

using ::testing::HasSubstr;

TEST(AtTest, MatchesReferenceValuesAndGradients) {
  // Stages of different sizes (pooled to one), p = 4, a zero student map.
  EXPECT_GE(testing::CheckReferenceCases("at"), 3);
}

TEST(AtTest, IdenticalMapsGiveZeroAndTheStemIsNotMatched) {
  auto loss = testing::MakeLoss("at");
  BackboneOutput student, teacher;
  student.stage_features = {at::randn({2, 3, 4, 4}, at::kDouble),
                            at::randn({2, 3, 4, 4}, at::kDouble)};
  teacher.stage_features = {at::randn({2, 5, 4, 4}, at::kDouble),
                            student.stage_features[1].clone()};
  LossInputs in;
  in.student = &student;
  in.teacher = &teacher;
  auto value = loss->Compute(in);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_NEAR(value->total.item<double>(), 0, 1e-15);
  ASSERT_EQ(value->terms.size(), 1u);
  EXPECT_EQ(value->terms[0].first, "stage1");
}

TEST(AtTest, Errors) {
  EXPECT_THAT(Loss::Registry::Global().Create("at:p=0", {}).status().message(),
              HasSubstr("at: p must be > 0"));
  auto loss = testing::MakeLoss("at");
  BackboneOutput student, teacher;
  student.stage_features = {at::randn({2, 3, 4, 4}, at::kDouble)};
  LossInputs in;
  in.student = &student;
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("at needs the teacher backbone's stage feature maps"));
  teacher.stage_features = {at::randn({2, 3, 4, 4}, at::kDouble)};
  in.teacher = &teacher;
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("at matches stages 1.. (after the stem, stage 0) but "
                        "the student has 1 and the teacher 1"));
  student.stage_features.push_back(at::randn({2, 3, 4, 4}, at::kDouble));
  teacher.stage_features.push_back(at::randn({3, 3, 4, 4}, at::kDouble));
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("teacher stage 1 must have 2 rows"));
}

}  // namespace
}  // namespace kd
