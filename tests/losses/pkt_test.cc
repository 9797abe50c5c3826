#include <ATen/ATen.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/losses/reference_cases.h"

namespace kd {
namespace {

TEST(PktTest, MatchesReferenceValuesAndGradients) {
  // Notes' 0.0008773191 and a random case with widths 5 and 7.
  EXPECT_GE(testing::CheckReferenceCases("pkt"), 2);
}

TEST(PktTest, DegenerateInputsStayFinite) {
  for (const auto& [name, s, t] :
       std::vector<std::tuple<std::string, at::Tensor, at::Tensor>>{
           {"B=1", at::randn({1, 4}, at::kDouble),
            at::randn({1, 4}, at::kDouble)},
           {"zero rows", at::zeros({3, 4}, at::kDouble),
            at::zeros({3, 4}, at::kDouble)},
           {"identical", at::ones({3, 4}, at::kDouble),
            at::ones({3, 4}, at::kDouble)},
           {"huge", at::randn({3, 4}, at::kDouble) * 1e200,
            at::randn({3, 4}, at::kDouble) * 1e200}}) {
    SCOPED_TRACE(name);
    auto loss = testing::MakeLoss("pkt");
    LossInputs in;
    in.student_embed = s;
    in.teacher_embed = t;
    testing::ExpectFiniteValueAndStudentGradient(*loss, in);
  }
}

}  // namespace
}  // namespace kd
