// Top-k, confusion and per-class accuracy against hand-computed values.
#include "kd/eval/metrics.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kd {
namespace eval {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// 4 samples, 3 classes. By hand:
//  row 0: best 1 (target 1)  -> top-1 hit
//  row 1: order 0,1,2 (target 2) -> hit only at k = 3
//  row 2: order 2,1,0 (target 1) -> hit from k = 2
//  row 3: best 0 (target 0)  -> top-1 hit
at::Tensor Logits() {
  return at::tensor({0.1f, 0.7f, 0.2f, 0.5f, 0.3f, 0.2f, 0.2f, 0.3f, 0.5f, 0.9f,
                     0.06f, 0.04f})
      .view({4, 3});
}
at::Tensor Targets() { return at::tensor({1, 2, 1, 0}, at::kLong); }

TEST(TopKTest, HandComputed) {
  auto counts = CountTopKCorrect(Logits(), Targets(), {1, 2, 3, 5});
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_THAT(*counts, ElementsAre(2, 3, 4, 4));  // k = 5 clamps to 3 classes
  EXPECT_DOUBLE_EQ(*TopKAccuracy(Logits(), Targets(), 1), 0.5);
  EXPECT_DOUBLE_EQ(*TopKAccuracy(Logits(), Targets(), 2), 0.75);
}

TEST(ConfusionTest, HandComputed) {
  // Predictions = argmax: 1, 0, 2, 0.
  auto m = ConfusionMatrix(at::tensor({1, 0, 2, 0}, at::kLong), Targets(), 3);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->equal(
      at::tensor({1, 0, 0, 0, 1, 1, 1, 0, 0}, at::kLong).view({3, 3})));
  const std::vector<double> per_class = PerClassAccuracy(*m);
  ASSERT_EQ(per_class.size(), 3u);
  EXPECT_DOUBLE_EQ(per_class[0], 1.0);
  EXPECT_DOUBLE_EQ(per_class[1], 0.5);
  EXPECT_DOUBLE_EQ(per_class[2], 0.0);
  auto four = ConfusionMatrix(at::tensor({0}, at::kLong),
                              at::tensor({0}, at::kLong), 4);
  EXPECT_TRUE(std::isnan(PerClassAccuracy(*four)[3]));  // no samples
}

TEST(MeterTest, AccumulatesOverBatches) {
  ClassificationMeter meter(3, {1, 2});
  ASSERT_TRUE(
      meter.Add(Logits().narrow(0, 0, 3), Targets().narrow(0, 0, 3)).ok());
  ASSERT_TRUE(
      meter
          .Add(Logits().narrow(0, 3, 1), Targets().narrow(0, 3, 1).to(at::kInt))
          .ok());
  EXPECT_EQ(meter.count(), 4);
  EXPECT_DOUBLE_EQ(meter.TopKAccuracy(1), 0.5);
  EXPECT_DOUBLE_EQ(meter.TopKAccuracy(2), 0.75);
  EXPECT_THAT(meter.PerClassAccuracy(), ElementsAre(1.0, 0.5, 0.0));
  EXPECT_EQ(meter.confusion().sum().item<int64_t>(), 4);
  meter.Reset();
  EXPECT_EQ(meter.count(), 0);
  EXPECT_EQ(meter.confusion().sum().item<int64_t>(), 0);
}

TEST(MetricsTest, BadInputIsAClearError) {
  EXPECT_THAT(
      CountTopKCorrect(Logits(), at::tensor({1, 2, 3, 0}, at::kLong), {1})
          .status()
          .message(),
      HasSubstr("targets must be in [0, 3), found 3"));
  EXPECT_THAT(CountTopKCorrect(Logits(), at::tensor({1, 2}, at::kLong), {1})
                  .status()
                  .message(),
              HasSubstr("1-D tensor of 4 class ids, got [2]"));
  EXPECT_THAT(CountTopKCorrect(Logits(), Targets().to(at::kFloat), {1})
                  .status()
                  .message(),
              HasSubstr("integers"));
  EXPECT_THAT(CountTopKCorrect(Logits(), Targets(), {0}).status().message(),
              HasSubstr("k >= 1"));
  EXPECT_THAT(
      CountTopKCorrect(at::zeros({4}), Targets(), {1}).status().message(),
      HasSubstr("[N, C]"));
  ClassificationMeter meter(5);
  EXPECT_THAT(meter.Add(Logits(), Targets()).message(),
              HasSubstr("logits have 3 classes, the meter 5"));
}

}  // namespace
}  // namespace eval
}  // namespace kd
