// vid against RepDistiller's VIDLoss (gen_reference.py): values and the
// gradients of the student maps, the regressors and the variances; its
// parameters (what the trainer optimises and checkpoints) and errors.
#include <ATen/ATen.h>

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/losses/reference_cases.h"

namespace kd {
namespace {

using ::testing::HasSubstr;

LossContext Stages() {
  LossContext context;
  context.student_stage_channels = {2, 3, 4};
  context.teacher_stage_channels = {2, 5, 6, 8};  // one stage more: unused
  return context;
}

TEST(VidTest, MatchesReferenceValuesAndGradients) {
  // Stages of different sizes (pooled to one), eps, a zero student map.
  EXPECT_GE(testing::CheckReferenceCases("vid"), 3);
}

TEST(VidTest, ParametersPerStageWithTheReferenceInitialVariance) {
  auto loss = testing::MakeLoss("vid", Stages());
  std::vector<std::string> names;
  for (const auto& p : loss->named_parameters()) names.push_back(p.key());
  EXPECT_THAT(names,
              ::testing::UnorderedElementsAre(
                  "stage1.regressor.0.weight", "stage1.regressor.2.weight",
                  "stage1.regressor.4.weight", "stage1.log_scale",
                  "stage2.regressor.0.weight", "stage2.regressor.2.weight",
                  "stage2.regressor.4.weight", "stage2.log_scale"));
  const auto params = loss->named_parameters();
  EXPECT_EQ(params["stage1.regressor.0.weight"].sizes(),
            (std::vector<int64_t>{5, 3, 1, 1}));
  EXPECT_EQ(params["stage2.regressor.4.weight"].sizes(),
            (std::vector<int64_t>{6, 6, 1, 1}));
  // softplus(log_scale) + eps = init_var (5), initialised in float.
  const torch::Tensor var = at::softplus(params["stage2.log_scale"]) + 1e-5;
  EXPECT_EQ(var.sizes(), (std::vector<int64_t>{6}));
  EXPECT_NEAR(var.min().item<double>(), 5, 1e-6);
  EXPECT_NEAR(var.max().item<double>(), 5, 1e-6);
  EXPECT_NEAR(params["stage1.log_scale"][0].item<double>(),
              std::log(std::exp(5 - 1e-5) - 1), 1e-6);
}

TEST(VidTest, Errors) {
  auto& registry = Loss::Registry::Global();
  EXPECT_THAT(registry.Create("vid:eps=0", Stages()).status().message(),
              HasSubstr("vid: needs eps > 0 and init_var > eps"));
  EXPECT_THAT(registry.Create("vid:init_var=0", Stages()).status().message(),
              HasSubstr("init_var > eps"));
  LossContext no_teacher_maps = Stages();
  no_teacher_maps.teacher_stage_channels.clear();
  EXPECT_THAT(
      registry.Create("vid", no_teacher_maps).status().message(),
      HasSubstr("vid: needs the stage feature maps of student and teacher"));
  auto loss = testing::MakeLoss("vid", Stages());
  BackboneOutput student, teacher;
  student.stage_features = {at::randn({2, 2, 4, 4}, at::kDouble),
                            at::randn({2, 3, 4, 4}, at::kDouble),
                            at::randn({2, 7, 4, 4}, at::kDouble)};
  teacher.stage_features = {at::randn({2, 2, 4, 4}, at::kDouble),
                            at::randn({2, 5, 4, 4}, at::kDouble),
                            at::randn({2, 6, 4, 4}, at::kDouble)};
  LossInputs in;
  in.student = &student;
  in.teacher = &teacher;
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("vid: stage 2 maps"));
  student.stage_features.pop_back();
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("vid: was built for 2 stage pairs but got 1"));
}

}  // namespace
}  // namespace kd
