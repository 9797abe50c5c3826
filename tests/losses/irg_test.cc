#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/losses/reference_cases.h"

namespace kd {
namespace {

using ::testing::HasSubstr;

TEST(IrgTest, MatchesReferenceValuesAndGradients) {
  // Embedding-only, and with the transformation term between two stages
  // (pooling of the earlier map, channel pairs of the later one).
  EXPECT_GE(testing::CheckReferenceCases("irg"), 2);
}

TEST(IrgTest, DegenerateInputsStayFinite) {
  for (const auto& [name, s] : std::vector<std::pair<std::string, at::Tensor>>{
           {"B=1", at::randn({1, 4}, at::kDouble)},
           {"identical rows", at::ones({3, 4}, at::kDouble)},
           {"zero rows", at::zeros({3, 4}, at::kDouble)}}) {
    SCOPED_TRACE(name);
    auto loss = testing::MakeLoss("irg");
    LossInputs in;
    in.student_embed = s;
    in.teacher_embed = at::randn(s.sizes(), at::kDouble);
    testing::ExpectFiniteValueAndStudentGradient(*loss, in);
  }
}

TEST(IrgTest, Errors) {
  EXPECT_THAT(
      Loss::Registry::Global().Create("irg:tran_from=1", {}).status().message(),
      HasSubstr("tran_from and tran_to must both be -1"));
  auto loss = testing::MakeLoss("irg:tran_from=0,tran_to=1");
  LossInputs in;
  in.student_embed = at::randn({2, 4}, at::kDouble);
  in.teacher_embed = at::randn({2, 4}, at::kDouble);
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("irg needs the student backbone's feature maps"));
  BackboneOutput student, teacher;
  student.stage_features = {at::randn({2, 3, 4, 4}, at::kDouble),
                            at::randn({2, 5, 2, 2}, at::kDouble)};
  teacher.stage_features = student.stage_features;
  in.student = &student;
  in.teacher = &teacher;
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("cannot be matched for the transformation term"));
}

}  // namespace
}  // namespace kd
