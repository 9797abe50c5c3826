// Dynamic loss scaling (fp16): scaled backward, exact unscaling, skipped
// steps on overflow with the scale halved, growth after the interval, and
// its checkpoint state.
#include "kd/train/loss_scaler.h"

#include <torch/torch.h>

#include <limits>

#include "gtest/gtest.h"

namespace kd {
namespace {

TEST(LossScalerTest, ScalesTheLossAndUnscalesTheGradientsExactly) {
  LossScaler scaler;
  EXPECT_EQ(scaler.scale(), 65536.0);
  torch::Tensor w = torch::tensor({1.5, -2.0}, torch::requires_grad());
  const torch::Tensor loss = (w * torch::tensor({3.0, 0.25})).sum();
  const torch::Tensor scaled = scaler.Scale(loss);
  EXPECT_DOUBLE_EQ(scaled.item<double>(), 65536.0 * loss.item<double>());
  scaled.backward();
  EXPECT_DOUBLE_EQ(w.grad()[0].item<double>(), 3.0 * 65536.0);
  EXPECT_TRUE(scaler.Unscale({w}));
  // Powers of two: unscaling is exact.
  EXPECT_TRUE(torch::equal(w.grad(), torch::tensor({3.0, 0.25})));
  scaler.Update();
  EXPECT_EQ(scaler.scale(), 65536.0);
  EXPECT_EQ(scaler.good_steps(), 1);
}

TEST(LossScalerTest, OverflowSkipsTheStepAndHalvesTheScale) {
  LossScaler scaler;
  torch::Tensor a = torch::zeros({2}, torch::requires_grad());
  torch::Tensor b = torch::zeros({3}, torch::requires_grad());
  torch::Tensor unused = torch::zeros({1}, torch::requires_grad());
  a.mutable_grad() = torch::ones({2});
  b.mutable_grad() =
      torch::tensor({1.0, std::numeric_limits<double>::infinity(), 1.0});
  EXPECT_FALSE(scaler.Unscale({a, b, unused}));
  scaler.Update();
  EXPECT_EQ(scaler.scale(), 32768.0);
  EXPECT_EQ(scaler.skipped_steps(), 1);
  b.mutable_grad() = torch::tensor({1.0, std::nan(""), 1.0});
  EXPECT_FALSE(scaler.Unscale({a, b}));
  scaler.Update();
  EXPECT_EQ(scaler.scale(), 16384.0);
  EXPECT_EQ(scaler.skipped_steps(), 2);
  EXPECT_EQ(scaler.good_steps(), 0);
}

TEST(LossScalerTest, GrowsAfterTheIntervalOfGoodSteps) {
  LossScalerOptions options;
  options.initial_scale = 4.0;
  options.growth_interval = 3;
  LossScaler scaler(options);
  torch::Tensor a = torch::zeros({2}, torch::requires_grad());
  for (int step = 1; step <= 7; ++step) {
    a.mutable_grad() = torch::ones({2});
    ASSERT_TRUE(scaler.Unscale({a}));
    scaler.Update();
    EXPECT_EQ(scaler.scale(), step < 3 ? 4.0 : step < 6 ? 8.0 : 16.0) << step;
  }
}

TEST(LossScalerTest, StateRoundTripsAndIsRequired) {
  LossScaler scaler;
  torch::Tensor a = torch::zeros({1}, torch::requires_grad());
  a.mutable_grad() = torch::full({1}, std::numeric_limits<double>::infinity());
  scaler.Unscale({a});
  scaler.Update();
  a.mutable_grad() = torch::ones({1});
  scaler.Unscale({a});
  scaler.Update();
  std::map<std::string, torch::Tensor> state;
  scaler.AddState("scaler.", &state);
  LossScaler restored;
  ASSERT_TRUE(restored.LoadState(state, "scaler.", "ckpt").ok());
  EXPECT_EQ(restored.scale(), 32768.0);
  EXPECT_EQ(restored.good_steps(), 1);
  EXPECT_EQ(restored.skipped_steps(), 1);
  state.erase("scaler.scale");
  const absl::Status missing = restored.LoadState(state, "scaler.", "ckpt");
  EXPECT_EQ(missing.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(missing.message())
                .find("ckpt: no loss-scaler entry "
                      "scaler.scale"),
            std::string::npos);
}

}  // namespace
}  // namespace kd
