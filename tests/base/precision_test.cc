// --precision names, autocast scopes (on, off, nested, fp32 islands) and
// channels-last conversion.
#include "kd/base/precision.h"

#include <torch/torch.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kd {
namespace {

using ::testing::HasSubstr;

torch::ScalarType MatmulType() {
  return torch::matmul(torch::ones({2, 2}), torch::ones({2, 2})).scalar_type();
}

TEST(PrecisionTest, NamesRoundTripAndUnknownOnesListTheValid) {
  for (const std::string& name : PrecisionNames()) {
    absl::StatusOr<Precision> p = ParsePrecision(name);
    ASSERT_TRUE(p.ok()) << p.status();
    EXPECT_EQ(PrecisionName(*p), name);
  }
  const absl::Status bad = ParsePrecision("fp8").status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.message()),
              HasSubstr("unknown precision 'fp8'; valid: fp32, bf16, fp16"));
}

TEST(AutocastScopeTest, Bf16RoundsMatmulsInsideOnlyAndFp32DoesNothing) {
  EXPECT_EQ(MatmulType(), torch::kFloat);
  {
    AutocastScope autocast(Precision::kBf16, torch::kCPU);
    EXPECT_EQ(MatmulType(), torch::kBFloat16);
    // Elementwise ops keep their input type.
    EXPECT_EQ((torch::ones({2}) + 1).scalar_type(), torch::kFloat);
  }
  EXPECT_EQ(MatmulType(), torch::kFloat);
  {
    AutocastScope autocast(Precision::kFp32, torch::kCPU);
    EXPECT_EQ(MatmulType(), torch::kFloat);
  }
}

TEST(AutocastScopeTest, NestedScopesAndFp32IslandsRestoreTheOuterState) {
  AutocastScope outer(Precision::kBf16, torch::kCPU);
  {
    AutocastScope inner(Precision::kBf16, torch::kCPU);
    EXPECT_EQ(MatmulType(), torch::kBFloat16);
  }
  EXPECT_EQ(MatmulType(), torch::kBFloat16);  // the inner one left it on
  {
    NoAutocastScope island;
    EXPECT_EQ(MatmulType(), torch::kFloat);
  }
  EXPECT_EQ(MatmulType(), torch::kBFloat16);
}

// A weight changed between two scopes (an optimiser step) is seen by the
// next forward: the scope's cache of cast weights is dropped at its end.
TEST(AutocastScopeTest, CastWeightsAreNotCachedAcrossScopes) {
  torch::Tensor w = torch::ones({2, 2}, torch::requires_grad());
  const torch::Tensor x = torch::ones({1, 2});
  {
    AutocastScope autocast(Precision::kBf16, torch::kCPU);
    EXPECT_EQ(torch::matmul(x, w).sum().item<float>(), 4.0f);
  }
  {
    torch::NoGradGuard no_grad;
    w.mul_(2);
  }
  AutocastScope autocast(Precision::kBf16, torch::kCPU);
  EXPECT_EQ(torch::matmul(x, w).sum().item<float>(), 8.0f);
}

TEST(ToFloat32Test, CastsLowerPrecisionFloatsOnlyAndStaysDifferentiable) {
  const torch::Tensor f = torch::ones({2});
  EXPECT_TRUE(ToFloat32(f).is_same(f));
  const torch::Tensor d = torch::ones({2}, torch::kDouble);  // eval_loss
  EXPECT_TRUE(ToFloat32(d).is_same(d));
  const torch::Tensor i = torch::ones({2}, torch::kLong);
  EXPECT_TRUE(ToFloat32(i).is_same(i));
  EXPECT_FALSE(ToFloat32(torch::Tensor()).defined());
  torch::Tensor b = torch::full({2}, 1.5, torch::kBFloat16).requires_grad_();
  torch::Tensor cast = ToFloat32(b);
  EXPECT_EQ(cast.scalar_type(), torch::kFloat);
  (cast * 3).sum().backward();
  EXPECT_EQ(b.grad().to(torch::kFloat)[0].item<float>(), 3.0f);
}

TEST(ChannelsLastTest, ConvolutionWeightsChangeLayoutNotValuesOrIdentity) {
  torch::nn::Sequential net(torch::nn::Conv2d(3, 4, 3),
                            torch::nn::BatchNorm2d(4), torch::nn::Flatten(),
                            torch::nn::Linear(4 * 4 * 4, 2));
  const torch::Tensor conv_weight = net->parameters()[0];
  const torch::Tensor before = conv_weight.clone();
  ToChannelsLast(*net);
  const torch::Tensor after = net->parameters()[0];
  EXPECT_TRUE(after.is_same(conv_weight));  // an optimiser still holds it
  EXPECT_TRUE(after.is_contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_FALSE(after.is_contiguous());
  EXPECT_TRUE(torch::equal(after, before));
  EXPECT_TRUE(after.requires_grad());
  // Linear weights (2-d) are untouched; a forward works on NCHW input.
  EXPECT_TRUE(net->parameters().back().is_contiguous());
  EXPECT_EQ(net->forward(torch::randn({2, 3, 6, 6})).sizes(),
            (std::vector<int64_t>{2, 2}));
  EXPECT_TRUE(ChannelsLast(torch::randn({1, 2, 3, 3}))
                  .is_contiguous(at::MemoryFormat::ChannelsLast));
  const torch::Tensor flat = torch::randn({4});
  EXPECT_TRUE(ChannelsLast(flat).is_same(flat));
}

}  // namespace
}  // namespace kd
