#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/losses/reference_cases.h"

namespace kd {
namespace {

TEST(RkdTest, MatchesReferenceValuesAndGradients) {
  // Notes' distance 0.12433982, angle 0.06590967, total 6.40397904, and
  // random cases (different widths, other weights).
  EXPECT_GE(testing::CheckReferenceCases("rkd"), 3);
}

// The angle term by plain autograd on the whole [B, B, B] tensor.
at::Tensor DirectAngle(const at::Tensor& s, const at::Tensor& t) {
  const auto angles = [](const at::Tensor& x) {
    const at::Tensor d = x.unsqueeze(0) - x.unsqueeze(1);
    const at::Tensor e = d / d.norm(2, {2}, true).clamp_min(1e-12);
    return e.bmm(e.transpose(1, 2));
  };
  return at::smooth_l1_loss(angles(s), angles(t));
}

TEST(RkdTest, ChunkedAngleMatchesDirectComputation) {
  // B = 160, D = 1000 splits the anchors into 7 chunks.
  at::manual_seed(3);
  const at::Tensor s = at::randn({160, 1000}).requires_grad_(true);
  const at::Tensor t = at::randn({160, 1000});
  auto loss = testing::MakeLoss("rkd:dist=0,angle=1", {}, at::kFloat);
  LossInputs in;
  in.student_embed = s;
  in.teacher_embed = t;
  auto value = loss->Compute(in);
  ASSERT_TRUE(value.ok());
  value->total.backward();
  const at::Tensor chunked_grad = s.grad().clone();
  s.mutable_grad().reset();
  const at::Tensor direct = DirectAngle(s, t);
  direct.backward();
  EXPECT_NEAR(value->total.item<double>(), direct.item<double>(), 1e-6);
  EXPECT_LT((chunked_grad - s.grad()).abs().max().item<double>(),
            1e-4 * s.grad().abs().max().item<double>());
}

TEST(RkdTest, DegenerateInputsStayFinite) {
  for (const auto& [name, s, t] :
       std::vector<std::tuple<std::string, at::Tensor, at::Tensor>>{
           {"B=1", at::randn({1, 4}, at::kDouble),
            at::randn({1, 4}, at::kDouble)},
           {"B=2", at::randn({2, 4}, at::kDouble),
            at::randn({2, 4}, at::kDouble)},
           {"identical rows", at::ones({3, 4}, at::kDouble),
            at::ones({3, 4}, at::kDouble)},
           {"zero rows", at::zeros({3, 4}, at::kDouble),
            at::randn({3, 4}, at::kDouble)},
           {"huge", at::randn({3, 4}, at::kDouble) * 1e100,
            at::randn({3, 4}, at::kDouble) * 1e100}}) {
    SCOPED_TRACE(name);
    auto loss = testing::MakeLoss("rkd");
    LossInputs in;
    in.student_embed = s;
    in.teacher_embed = t;
    testing::ExpectFiniteValueAndStudentGradient(*loss, in);
  }
}

TEST(RkdTest, TeacherGetsNoGradient) {
  auto loss = testing::MakeLoss("rkd");
  LossInputs in;
  in.student_embed = at::randn({4, 3}, at::kDouble).requires_grad_(true);
  in.teacher_embed = at::randn({4, 3}, at::kDouble).requires_grad_(true);
  loss->Compute(in)->total.backward();
  EXPECT_FALSE(in.teacher_embed.grad().defined());
}

}  // namespace
}  // namespace kd
