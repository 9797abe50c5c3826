#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "losses/loss.h"
#include "tests/losses/reference_cases.h"

namespace kd {
namespace {

using testing::AllFinite;
using ::testing::HasSubstr;
using testing::MakeLoss;

TEST(EgaTest, MatchesReferenceValuesAndGradients) {
  // Notes' B = 2 values (2.98160398, 2.38528319), random B = 6 with the
  // pearson and cosine graphs, gradients by PyTorch autograd.
  EXPECT_GE(testing::CheckReferenceCases("ega"), 4);
}

TEST(EgaTest, TeacherSideGetsNoGradient) {
  auto loss = MakeLoss("ega");
  LossInputs in;
  in.student_embed = at::randn({5, 4}, at::kDouble).requires_grad_(true);
  in.teacher_embed = at::randn({5, 4}, at::kDouble).requires_grad_(true);
  auto value = loss->Compute(in);
  ASSERT_TRUE(value.ok()) << value.status();
  value->total.backward();
  EXPECT_TRUE(AllFinite(in.student_embed.grad()));
  EXPECT_FALSE(in.teacher_embed.grad().defined());
}

TEST(EgaTest, StudentEqualToTeacherHasZeroEdgeAndFiniteGradient) {
  auto loss = MakeLoss("ega");
  LossInputs in;
  const torch::Tensor x = at::randn({4, 6}, at::kDouble);
  in.student_embed = x.clone().requires_grad_(true);
  in.teacher_embed = x;
  auto value = loss->Compute(in);
  ASSERT_TRUE(value.ok());
  EXPECT_NEAR(value->terms[1].second.item<double>(), 0, 1e-7);  // edge
  // Node = ||E_t - I||_F > 0: the identity target also pushes off-diagonal
  // teacher-student correlations to 0.
  EXPECT_GT(value->terms[0].second.item<double>(), 0.1);
  value->total.backward();
  EXPECT_TRUE(AllFinite(in.student_embed.grad()));
}

TEST(EgaTest, DegenerateInputsGiveFiniteValuesAndGradients) {
  auto loss = MakeLoss("ega");
  struct Case {
    const char* name;
    torch::Tensor student, teacher;
  };
  const std::vector<Case> cases = {
      {"B=1", at::randn({1, 5}, at::kDouble), at::randn({1, 5}, at::kDouble)},
      {"B=2", at::randn({2, 5}, at::kDouble), at::randn({2, 5}, at::kDouble)},
      {"zero rows", at::zeros({3, 5}, at::kDouble),
       at::randn({3, 5}, at::kDouble)},
      {"constant rows", at::ones({3, 5}, at::kDouble) * 7,
       at::ones({3, 5}, at::kDouble)},
      {"identical rows", at::randn({1, 5}, at::kDouble).repeat({4, 1}),
       at::randn({4, 5}, at::kDouble)},
      {"huge values", at::randn({4, 5}, at::kDouble) * 1e150,
       at::randn({4, 5}, at::kDouble) * 1e150},
      {"float32 huge", at::randn({4, 5}) * 1e18, at::randn({4, 5}) * 1e18},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    auto l = MakeLoss("ega", {}, c.student.scalar_type());
    LossInputs in;
    in.student_embed = c.student.clone().requires_grad_(true);
    in.teacher_embed = c.teacher;
    auto value = l->Compute(in);
    ASSERT_TRUE(value.ok()) << value.status();
    EXPECT_TRUE(AllFinite(value->total));
    value->total.backward();
    EXPECT_TRUE(AllFinite(in.student_embed.grad()));
  }
}

TEST(EgaTest, ZeroVarianceRowsFollowTheDocumentedConvention) {
  // Student rows constant: every correlation involving them is 0, so
  // N = 0 and E_s = 0: node = ||I||_F = sqrt(B), edge = ||E_t||_F.
  auto loss = MakeLoss("ega");
  LossInputs in;
  in.student_embed = at::ones({3, 4}, at::kDouble);
  in.teacher_embed =
      at::tensor(std::vector<double>{1, 2, 3, 4, 4, 3, 2, 1, 1, 3, 2, 4})
          .reshape({3, 4});
  auto value = loss->Compute(in);
  ASSERT_TRUE(value.ok());
  EXPECT_NEAR(value->terms[0].second.item<double>(), std::sqrt(3.0), 1e-12);
  // E_t: diag 1, C01 = -1, C02 = 0.8, C12 = -0.8.
  EXPECT_NEAR(value->terms[1].second.item<double>(),
              std::sqrt(3 + 2 * (1 + 0.64 + 0.64)), 1e-12);
}

TEST(EgaTest, MissingAndMismatchedInputsAreClearErrors) {
  auto loss = MakeLoss("ega");
  LossInputs in;
  in.student_embed = at::randn({4, 3}, at::kDouble);
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("ega needs teacher_embed"));
  in.teacher_embed = at::randn({5, 3}, at::kDouble);
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("teacher_embed must have 4 rows"));
  in.teacher_embed = at::randn({4, 8}, at::kDouble);
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("must have the same width"));
  in.teacher_embed = at::randn({4, 3});
  EXPECT_THAT(loss->Compute(in).status().message(), HasSubstr("one dtype"));
}

TEST(EgaTest, GraphOptionIsValidatedAndListsBuilders) {
  auto loss =
      Loss::Registry::Global().Create("ega:graph=pearsn", LossContext{});
  ASSERT_FALSE(loss.ok());
  EXPECT_THAT(loss.status().message(), HasSubstr("did you mean 'pearson'"));
  EXPECT_THAT(loss.status().message(),
              HasSubstr("cosine, gaussian, pearson, sq_euclidean"));
  EXPECT_TRUE(Loss::Registry::Global()
                  .Create("ega:graph=gaussian", LossContext{})
                  .ok());
}

TEST(EgaTest, OwnEmbeddingLayersAreTrainableParameters) {
  LossContext context;
  context.student_feature_dim = 6;
  context.teacher_feature_dim = 9;
  EXPECT_THAT(Loss::Registry::Global()
                  .Create("ega:embed_dim=4", LossContext{})
                  .status()
                  .message(),
              HasSubstr("pooled feature widths"));
  auto loss = MakeLoss("ega:embed_dim=4", context);
  const auto params = loss->named_parameters();
  EXPECT_EQ(params.size(), 4u);
  EXPECT_EQ(params["student_embed.weight"].sizes(), (at::IntArrayRef{4, 6}));
  EXPECT_EQ(params["teacher_embed.weight"].sizes(), (at::IntArrayRef{4, 9}));
  BackboneOutput student, teacher;
  student.pooled = at::randn({5, 6}, at::kDouble);
  teacher.pooled = at::randn({5, 9}, at::kDouble);
  LossInputs in;
  in.student = &student;
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("ega needs teacher pooled features"));
  in.teacher = &teacher;
  auto value = loss->Compute(in);
  ASSERT_TRUE(value.ok()) << value.status();
  value->total.backward();
  EXPECT_TRUE(AllFinite(params["student_embed.weight"].grad()));
  EXPECT_GT(params["student_embed.weight"].grad().abs().sum().item<double>(),
            0);
}

// node_target=labels / masked read the labels; with one class per example
// they equal the reference (no pairs of one class to treat otherwise).
TEST(EgaTest, NodeTargetsNeedLabelsAndReduceToTheReference) {
  EXPECT_THAT(Loss::Registry::Global()
                  .Create("ega:node_target=classes", LossContext{})
                  .status()
                  .message(),
              HasSubstr("node_target must be identity, labels, masked or "
                        "teacher"));
  LossInputs in;
  in.student_embed = at::randn({4, 5}, at::kDouble);
  in.teacher_embed = at::randn({4, 5}, at::kDouble);
  const double reference = MakeLoss("ega")->Compute(in)->total.item<double>();
  for (const char* spec :
       {"ega:node_target=labels", "ega:node_target=masked"}) {
    SCOPED_TRACE(spec);
    auto loss = MakeLoss(spec);
    EXPECT_THAT(loss->Compute(in).status().message(),
                HasSubstr("ega needs labels"));
    in.labels = at::arange(4);
    auto value = loss->Compute(in);
    ASSERT_TRUE(value.ok()) << value.status();
    EXPECT_NEAR(value->total.item<double>(), reference, 1e-12);
    in.labels = at::Tensor();
  }
}

// node_target=teacher pulls N to E_t: a student equal to the teacher has
// node 0, where the reference's identity target leaves ||E_t - I||_F.
TEST(EgaTest, TeacherNodeTargetIsZeroForAStudentEqualToTheTeacher) {
  LossInputs in;
  in.teacher_embed = at::randn({6, 5}, at::kDouble);
  in.student_embed = in.teacher_embed.clone();
  auto teacher_target = MakeLoss("ega:node_target=teacher")->Compute(in);
  auto identity_target = MakeLoss("ega")->Compute(in);
  ASSERT_TRUE(teacher_target.ok() && identity_target.ok());
  EXPECT_NEAR(teacher_target->terms.at(0).second.item<double>(), 0, 1e-12);
  EXPECT_NEAR(teacher_target->total.item<double>(), 0, 1e-12);
  // Pearson correlations of the teacher's rows, by hand.
  const at::Tensor centred =
      in.teacher_embed - in.teacher_embed.mean(1, /*keepdim=*/true);
  const at::Tensor unit = centred / centred.norm(2, 1, /*keepdim=*/true);
  const double floor =
      (unit.matmul(unit.t()) - at::eye(6, at::kDouble)).norm().item<double>();
  EXPECT_NEAR(identity_target->terms.at(0).second.item<double>(), floor, 1e-9);
  EXPECT_GT(floor, 0.1);
  EXPECT_FALSE(MakeLoss("ega:node_target=teacher")
                   ->reads()
                   .contains(LossInput::kLabels));
}

}  // namespace
}  // namespace kd
