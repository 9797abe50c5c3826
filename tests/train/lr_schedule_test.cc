#include "kd/train/lr_schedule.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kd {
namespace {

using ::testing::HasSubstr;

TEST(LrScheduleTest, MultistepIsTheReferenceRecipe) {
  // RepDistiller: lr * 0.1^(number of milestones m with epoch(1-based) > m).
  auto s = LrSchedule::Create(LrScheduleConfig{});
  ASSERT_TRUE(s.ok());
  EXPECT_DOUBLE_EQ(s->At(0, 0, 10), 0.05);
  EXPECT_DOUBLE_EQ(s->At(149, 9, 10), 0.05);     // epoch 150 (1-based)
  EXPECT_NEAR(s->At(150, 0, 10), 0.005, 1e-15);  // epoch 151
  EXPECT_NEAR(s->At(180, 0, 10), 0.0005, 1e-15);
  EXPECT_NEAR(s->At(239, 0, 10), 0.00005, 1e-15);
}

TEST(LrScheduleTest, CosineDecaysPerStepToMin) {
  LrScheduleConfig c;
  c.kind = "cosine";
  c.base_lr = 0.1;
  c.min_lr = 0.001;
  c.epochs = 10;
  auto s = LrSchedule::Create(c);
  ASSERT_TRUE(s.ok());
  EXPECT_DOUBLE_EQ(s->At(0, 0, 4), 0.1);
  // Half-way: (base + min) / 2.
  EXPECT_NEAR(s->At(5, 0, 4), 0.0505, 1e-12);
  // Per step: t = 2 + 1/4.
  EXPECT_NEAR(s->At(2, 1, 4),
              0.001 + 0.099 * 0.5 * (1 + std::cos(M_PI * 2.25 / 10)), 1e-12);
}

TEST(LrScheduleTest, WarmupRampsLinearlyPerStep) {
  LrScheduleConfig c;
  c.kind = "constant";
  c.base_lr = 0.2;
  c.epochs = 5;
  c.warmup_epochs = 1;
  auto s = LrSchedule::Create(c);
  ASSERT_TRUE(s.ok());
  EXPECT_DOUBLE_EQ(s->At(0, 0, 4), 0.05);
  EXPECT_DOUBLE_EQ(s->At(0, 2, 4), 0.15);
  EXPECT_DOUBLE_EQ(s->At(0, 3, 4), 0.2);
  EXPECT_DOUBLE_EQ(s->At(1, 0, 4), 0.2);
}

TEST(LrScheduleTest, BadConfigurationsNameTheFlag) {
  LrScheduleConfig c;
  c.kind = "linear";
  EXPECT_THAT(std::string(LrSchedule::Create(c).status().message()),
              HasSubstr("--lr_schedule"));
  c = LrScheduleConfig{};
  c.base_lr = -1;
  EXPECT_THAT(std::string(LrSchedule::Create(c).status().message()),
              HasSubstr("--lr:"));
  c = LrScheduleConfig{};
  c.milestones = {180, 150};
  EXPECT_THAT(std::string(LrSchedule::Create(c).status().message()),
              HasSubstr("--lr_milestones"));
  c = LrScheduleConfig{};
  c.warmup_epochs = 240;
  EXPECT_THAT(std::string(LrSchedule::Create(c).status().message()),
              HasSubstr("--warmup_epochs"));
}

}  // namespace
}  // namespace kd
