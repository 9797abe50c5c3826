#include "kd/train/run_config.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(SplitLossSpecsTest, RepeatedSemicolonAndCommaSeparated) {
  EXPECT_THAT(SplitLossSpecs({"ce", "ega:node=0.8,edge=0.24"}),
              ElementsAre("ce", "ega:node=0.8,edge=0.24"));
  EXPECT_THAT(SplitLossSpecs({"ce:weight=0.1;kd:weight=0.9,T=4"}),
              ElementsAre("ce:weight=0.1", "kd:weight=0.9,T=4"));
  EXPECT_THAT(SplitLossSpecs({"ce,ega:node=0.8,edge=0.24,kd:T=4"}),
              ElementsAre("ce", "ega:node=0.8,edge=0.24", "kd:T=4"));
  EXPECT_THAT(SplitLossSpecs({" ce ;; pkt "}), ElementsAre("ce", "pkt"));
}

TEST(ParseIntListTest, ParsesAndRejects) {
  auto v = ParseIntList("lr_milestones", "150, 180,210");
  ASSERT_TRUE(v.ok());
  EXPECT_THAT(*v, ElementsAre(150, 180, 210));
  EXPECT_TRUE(ParseIntList("lr_milestones", "")->empty());
  EXPECT_THAT(
      std::string(ParseIntList("lr_milestones", "150,x").status().message()),
      HasSubstr("--lr_milestones"));
}

TEST(ValidateRunConfigTest, NamesTheFlagAndValue) {
  RunConfig c;
  c.teacher = "resnet20";
  c.out_dir = "out";
  EXPECT_TRUE(ValidateRunConfig(c).ok()) << ValidateRunConfig(c);
  RunConfig bad = c;
  bad.epochs = 0;
  EXPECT_THAT(std::string(ValidateRunConfig(bad).message()),
              HasSubstr("--epochs: expected >= 1, got 0"));
  bad = c;
  bad.batch_size = -3;
  EXPECT_THAT(std::string(ValidateRunConfig(bad).message()),
              HasSubstr("--batch_size"));
  bad = c;
  bad.device = "tpu";
  EXPECT_THAT(std::string(ValidateRunConfig(bad).message()),
              HasSubstr("--device"));
  bad = c;
  bad.out_dir = "";
  EXPECT_THAT(std::string(ValidateRunConfig(bad).message()),
              HasSubstr("--out_dir"));
  bad = c;
  bad.teacher = "";
  EXPECT_THAT(std::string(ValidateRunConfig(bad).message()),
              HasSubstr("--teacher"));
  EXPECT_THAT(std::string(ParseTrainMode("both").status().message()),
              HasSubstr("--mode"));
}

}  // namespace
}  // namespace kd
