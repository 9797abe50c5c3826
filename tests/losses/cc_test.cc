// cc against RepDistiller's Embed + Correlation (gen_reference.py): values,
// gradients of the input and of both heads; its degenerate batch and errors.
#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/losses/reference_cases.h"

namespace kd {
namespace {

using ::testing::HasSubstr;

LossContext Widths(int64_t student, int64_t teacher) {
  LossContext context;
  context.student_feature_dim = student;
  context.teacher_feature_dim = teacher;
  return context;
}

TEST(CcTest, MatchesReferenceValuesAndGradients) {
  // Random pooled features and a zero student row set; the cases set the
  // heads' weights and check their gradients.
  EXPECT_GE(testing::CheckReferenceCases("cc"), 2);
}

TEST(CcTest, BatchOfOneIsZeroAndBothHeadsTrain) {
  auto loss = testing::MakeLoss("cc", Widths(5, 7));
  std::vector<std::string> names;
  for (const auto& p : loss->named_parameters()) names.push_back(p.key());
  EXPECT_THAT(names, ::testing::UnorderedElementsAre(
                         "embed_student.weight", "embed_student.bias",
                         "embed_teacher.weight", "embed_teacher.bias"));
  BackboneOutput student, teacher;
  student.pooled = at::randn({1, 5}, at::kDouble).requires_grad_(true);
  teacher.pooled = at::randn({1, 7}, at::kDouble);
  LossInputs in;
  in.student = &student;
  in.teacher = &teacher;
  auto value = loss->Compute(in);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(value->total.item<double>(), 0);
  value->total.backward();
  EXPECT_TRUE(testing::AllFinite(student.pooled.grad()));

  student.pooled = at::randn({4, 5}, at::kDouble);
  teacher.pooled = at::randn({4, 7}, at::kDouble);
  value = loss->Compute(in);
  ASSERT_TRUE(value.ok()) << value.status();
  value->total.backward();
  const auto params = loss->named_parameters();
  EXPECT_GT(params["embed_teacher.weight"].grad().abs().sum().item<double>(),
            0);
}

TEST(CcTest, Errors) {
  auto& registry = Loss::Registry::Global();
  EXPECT_THAT(registry.Create("cc", {}).status().message(),
              HasSubstr("cc: needs the student's and teacher's pooled feature "
                        "widths"));
  EXPECT_THAT(registry.Create("cc:feat_dim=0", Widths(5, 7)).status().message(),
              HasSubstr("cc: feat_dim must be >= 1"));
  auto loss = testing::MakeLoss("cc", Widths(5, 7));
  BackboneOutput student, teacher;
  student.pooled = at::randn({4, 6}, at::kDouble);
  teacher.pooled = at::randn({4, 7}, at::kDouble);
  LossInputs in;
  in.student = &student;
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("cc needs teacher pooled features"));
  in.teacher = &teacher;
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("do not match the heads' widths (5 and 7)"));
}

}  // namespace
}  // namespace kd
