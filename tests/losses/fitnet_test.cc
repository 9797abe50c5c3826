#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/losses/reference_cases.h"

namespace kd {
namespace {

using ::testing::HasSubstr;

TEST(FitnetTest, EmbeddingHintMatchesReference) {
  EXPECT_GE(testing::CheckReferenceCases("fitnet"), 2);  // notes' 2.71083333
}

LossContext StageContext(std::vector<int64_t> s_sizes,
                         std::vector<int64_t> t_sizes) {
  LossContext context;
  context.student_stage_channels = {4, 8, 16};
  context.teacher_stage_channels = {6, 12, 24};
  context.student_stage_sizes = std::move(s_sizes);
  context.teacher_stage_sizes = std::move(t_sizes);
  return context;
}

TEST(FitnetTest, RegressorFollowsConvReg) {
  struct Case {
    int64_t s, t;
    std::vector<int64_t> weight_shape;
  };
  // Equal sizes: 1x1 conv; s = 2t: 3x3 stride 2; 2s = t: 4x4 transposed
  // conv (weight [in, out, 4, 4]); s > t: (1+s-t) square kernel.
  for (const Case& c : {Case{8, 8, {12, 8, 1, 1}}, Case{8, 4, {12, 8, 3, 3}},
                        Case{4, 8, {8, 12, 4, 4}}, Case{8, 6, {12, 8, 3, 3}}}) {
    SCOPED_TRACE(c.s);
    auto loss = testing::MakeLoss("fitnet:stage=1",
                                  StageContext({16, c.s, 2}, {16, c.t, 2}));
    auto params = loss->named_parameters();
    ASSERT_TRUE(params.contains("conv.weight"));
    EXPECT_EQ(params["conv.weight"].sizes(), at::IntArrayRef(c.weight_shape));
    EXPECT_TRUE(params.contains("bn.weight"));
    EXPECT_TRUE(loss->named_buffers().contains("bn.running_mean"));
    BackboneOutput student, teacher;
    student.stage_features = {
        at::Tensor(),
        at::randn({3, 8, c.s, c.s}, at::kDouble).requires_grad_(true)};
    teacher.stage_features = {at::Tensor(),
                              at::randn({3, 12, c.t, c.t}, at::kDouble)};
    LossInputs in;
    in.student = &student;
    in.teacher = &teacher;
    auto value = loss->Compute(in);
    ASSERT_TRUE(value.ok()) << value.status();
    value->total.backward();
    EXPECT_TRUE(testing::AllFinite(params["conv.weight"].grad()));
    EXPECT_TRUE(testing::AllFinite(student.stage_features[1].grad()));
  }
}

TEST(FitnetTest, HintValueIsMseOfTheRegressedMap) {
  // With a 1x1 identity-like regressor in eval mode (BN with running stats
  // 0/1, affine 1/0) and relu=false the hint equals the plain MSE.
  LossContext context = StageContext({}, {});
  context.teacher_stage_channels = {4, 8, 16};
  auto loss = testing::MakeLoss("fitnet:stage=0,relu=false", context);
  auto params = loss->named_parameters();
  {
    at::NoGradGuard no_grad;
    params["conv.weight"].copy_(at::eye(4, at::kDouble).view({4, 4, 1, 1}));
    params["conv.bias"].zero_();
  }
  loss->eval();
  BackboneOutput student, teacher;
  student.stage_features = {at::randn({2, 4, 3, 3}, at::kDouble)};
  teacher.stage_features = {at::randn({2, 4, 3, 3}, at::kDouble)};
  LossInputs in;
  in.student = &student;
  in.teacher = &teacher;
  const double expected = (student.stage_features[0] / std::sqrt(1 + 1e-5) -
                           teacher.stage_features[0])
                              .pow(2)
                              .mean()
                              .item<double>();
  EXPECT_NEAR(loss->Compute(in)->total.item<double>(), expected, 1e-12);
}

TEST(FitnetTest, Errors) {
  EXPECT_THAT(Loss::Registry::Global()
                  .Create("fitnet:stage=3", StageContext({}, {}))
                  .status()
                  .message(),
              HasSubstr("stage=3 but the student has 3 stages"));
  EXPECT_THAT(
      Loss::Registry::Global()
          .Create("fitnet:stage=1", StageContext({16, 4, 2}, {16, 9, 2}))
          .status()
          .message(),
      HasSubstr("no regressor maps a student stage of side 4"));
  auto loss = testing::MakeLoss("fitnet:stage=1", StageContext({}, {}));
  LossInputs in;
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("fitnet needs the student backbone's feature maps"));
  BackboneOutput student, teacher;
  student.stage_features = {at::Tensor(), at::randn({2, 8, 8, 8}, at::kDouble)};
  teacher.stage_features = {at::Tensor(),
                            at::randn({2, 12, 4, 4}, at::kDouble)};
  in.student = &student;
  in.teacher = &teacher;
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("does not match the teacher's [2, 12, 4, 4]"));
  auto embed = testing::MakeLoss("fitnet");
  in.student_embed = at::randn({2, 3}, at::kDouble);
  in.teacher_embed = at::randn({2, 4}, at::kDouble);
  EXPECT_THAT(embed->Compute(in).status().message(), HasSubstr("same width"));
}

}  // namespace
}  // namespace kd
