// The checked meta device runs what the project's networks and losses use,
// with the shapes of the CPU, and refuses every CPU tensor mixed in.
#include "tests/testing/checked_meta_device.h"

#include <torch/torch.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kd {
namespace {

using ::testing::HasSubstr;

const torch::TensorOptions kMeta = torch::TensorOptions().device(torch::kMeta);

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  }
  return "";
}

TEST(CheckedMetaDeviceTest, ConvBatchNormTrainStepRunsWithCpuShapes) {
  torch::nn::Sequential net(
      torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 8, 3).padding(1)),
      torch::nn::BatchNorm2d(8), torch::nn::ReLU(),
      torch::nn::AdaptiveAvgPool2d(1), torch::nn::Flatten(),
      torch::nn::Linear(8, 5));
  torch::optim::SGD sgd(net->parameters(),
                        torch::optim::SGDOptions(0.1).momentum(0.9));
  testing::CheckedMetaDevice meta;
  net->to(torch::kMeta);
  for (const torch::Tensor& p : net->parameters()) EXPECT_TRUE(p.is_meta());
  for (const torch::Tensor& b : net->buffers()) EXPECT_TRUE(b.is_meta());
  const long before = testing::MetaFallbackCalls();
  const torch::Tensor x = torch::randn({4, 3, 16, 16}, kMeta);
  const torch::Tensor y = torch::zeros({4}, kMeta.dtype(torch::kLong));
  const torch::Tensor logits = net->forward(x);
  EXPECT_TRUE(logits.is_meta());
  EXPECT_EQ(logits.sizes(), torch::IntArrayRef({4, 5}));
  torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
  loss.backward();
  sgd.step();
  for (const torch::Tensor& p : net->parameters()) {
    ASSERT_TRUE(p.grad().defined());
    EXPECT_TRUE(p.grad().is_meta());
    EXPECT_EQ(p.grad().sizes(), p.sizes());
  }
  EXPECT_GT(testing::MetaFallbackCalls(), before);
  EXPECT_TRUE(std::isfinite(loss.item<double>()));
}

TEST(CheckedMetaDeviceTest, CpuTensorsMixedInAreRefused) {
  testing::CheckedMetaDevice meta;
  const torch::Tensor a = torch::randn({4, 6}, kMeta);
  const torch::Tensor cpu_index = torch::zeros({2}, torch::kLong);
  // An operator with a meta kernel of its own (libtorch's check) ...
  EXPECT_THAT(ErrorOf([&] {
                a.mm(torch::randn({6, 2}));
              }),
              HasSubstr("Expected all tensors to be on the same device"));
  EXPECT_THAT(ErrorOf([&] {
                (void)(a + torch::ones({4, 6}));
              }),
              HasSubstr("meta and cpu"));
  // ... and one run through the fallback.
  EXPECT_THAT(ErrorOf([&] { a.index_select(0, cpu_index); }),
              HasSubstr("meta and cpu! (aten::index_select"));
  // A module whose state stays on the CPU is caught in its forward pass.
  const torch::Tensor table = torch::arange(4);
  EXPECT_THAT(
      ErrorOf([&] {
        torch::randint(4, {3}, kMeta.dtype(torch::kLong)) + table.sum() +
            table.index_select(0, torch::zeros({1}, kMeta.dtype(torch::kLong)));
      }),
      HasSubstr("meta and cpu"));
  EXPECT_EQ(ErrorOf([&] {
              a.index_select(0, torch::zeros({2}, kMeta.dtype(torch::kLong)));
            }),
            "");
  // A CPU scalar (0-dim) is allowed, as on CUDA, and so are copies.
  EXPECT_EQ(ErrorOf([&] { (void)(a * torch::tensor(2.0)); }), "");
  EXPECT_EQ(ErrorOf([&] { (void)torch::ones({2}).to(torch::kMeta); }), "");
  EXPECT_EQ(ErrorOf([&] { torch::zeros({2}, kMeta).copy_(torch::ones({2})); }),
            "");
}

TEST(CheckedMetaDeviceTest, OutsideAScopeMetaIsLibtorchsOwn) {
  EXPECT_EQ(ErrorOf([&] {
              torch::randn({4, 6}, kMeta).mm(torch::randn({6, 2}));
            }),
            "");
}

TEST(CheckedMetaDeviceTest, InPlaceResultsAreTheMetaArgument) {
  testing::CheckedMetaDevice meta;
  torch::Tensor target = torch::zeros({8, 6}, kMeta);
  const torch::Tensor out =
      target.index_copy_(0, torch::zeros({2}, kMeta.dtype(torch::kLong)),
                         torch::ones({2, 6}, kMeta));
  EXPECT_TRUE(out.is_same(target));
  const torch::Tensor picked = torch::multinomial(torch::ones({10}, kMeta), 3);
  EXPECT_TRUE(picked.is_meta());
  EXPECT_EQ(picked.numel(), 3);
}

}  // namespace
}  // namespace kd
