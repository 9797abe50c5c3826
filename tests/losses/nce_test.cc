#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/losses/reference_cases.h"

namespace kd {
namespace {

using ::testing::HasSubstr;

TEST(NceTest, MatchesReferenceValuesAndGradients) {
  // Includes a batch whose labels are all equal (no negatives: documented
  // negative term 0).
  EXPECT_GE(testing::CheckReferenceCases("nce"), 3);
}

TEST(NceTest, DegenerateInputsStayFinite) {
  for (const auto& [name, s, y] :
       std::vector<std::tuple<std::string, at::Tensor, at::Tensor>>{
           {"B=1", at::randn({1, 4}, at::kDouble), at::tensor({2}, at::kLong)},
           {"B=2 same label", at::randn({2, 4}, at::kDouble),
            at::tensor({1, 1}, at::kLong)},
           {"zero rows", at::zeros({3, 4}, at::kDouble),
            at::tensor({0, 1, 0}, at::kLong)},
           {"huge", at::randn({3, 4}, at::kDouble) * 1e150,
            at::tensor({0, 1, 2}, at::kLong)}}) {
    SCOPED_TRACE(name);
    auto loss = testing::MakeLoss("nce");
    LossInputs in;
    in.student_embed = s;
    in.teacher_embed = at::randn(s.sizes(), at::kDouble);
    in.labels = y;
    testing::ExpectFiniteValueAndStudentGradient(*loss, in);
  }
}

TEST(NceTest, NeedsLabels) {
  auto loss = testing::MakeLoss("nce");
  LossInputs in;
  in.student_embed = at::randn({2, 4}, at::kDouble);
  in.teacher_embed = at::randn({2, 4}, at::kDouble);
  EXPECT_THAT(loss->Compute(in).status().message(),
              HasSubstr("nce needs labels"));
}

}  // namespace
}  // namespace kd
