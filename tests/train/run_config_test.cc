#include "kd/train/run_config.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

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

// Another valid value of the same JSON type.
nlohmann::ordered_json OtherValue(const std::string& name,
                                  const nlohmann::ordered_json& v) {
  if (name == "mode") return v == "sequential" ? "teacher" : "sequential";
  if (v.is_boolean()) return !v.get<bool>();
  if (v.is_number_unsigned()) return v.get<uint64_t>() + 1;
  if (v.is_number_integer()) return v.get<int64_t>() + 1;
  if (v.is_number_float()) return v.get<double>() + 0.5;
  if (v.is_string()) return v.get<std::string>() + "_other";
  nlohmann::ordered_json a = v;
  a.push_back(v.empty() || v.back().is_string() ? nlohmann::ordered_json("kd")
                                                : nlohmann::ordered_json(999));
  return a;
}

// Every setting of run_settings.inc is in the JSON, round-trips through it,
// and takes part in the resume fingerprint exactly when it is kMustMatch.
TEST(RunSettingsTest, EverySettingRoundTripsAndKeepsItsResumeRule) {
  const RunConfig defaults;
  const nlohmann::ordered_json base = RunConfigToJson(defaults);
  ASSERT_EQ(base.size(), RunSettings().size());
  int must_match = 0;
  for (const RunSettingInfo& setting : RunSettings()) {
    SCOPED_TRACE(setting.name);
    ASSERT_TRUE(base.contains(setting.name));
    EXPECT_GT(std::string(setting.doc).size(), 5u);
    nlohmann::ordered_json changed = base;
    changed[setting.name] = OtherValue(setting.name, base[setting.name]);
    absl::StatusOr<RunConfig> config = RunConfigFromJson(changed);
    ASSERT_TRUE(config.ok()) << config.status();
    EXPECT_EQ(RunConfigToJson(*config), changed);
    const bool fingerprinted =
        ResumeFingerprint(*config) != ResumeFingerprint(defaults);
    EXPECT_EQ(fingerprinted, setting.resume == ResumeRule::kMustMatch);
    if (fingerprinted) {
      EXPECT_THAT(FingerprintDifferences(ResumeFingerprint(defaults),
                                         ResumeFingerprint(*config)),
                  ElementsAre(HasSubstr(std::string("--") + setting.name)));
      ++must_match;
    }
  }
  EXPECT_GT(must_match, 20);
  EXPECT_TRUE(RunConfigFromJson(nlohmann::json::object()).ok());
}

TEST(RunSettingsTest, TheStudentIsNoPartOfATeacherRunsFingerprint) {
  RunConfig a, b;
  a.mode = b.mode = TrainMode::kTeacher;
  b.student = "resnet20";
  EXPECT_EQ(ResumeFingerprint(a), ResumeFingerprint(b));
  a.mode = b.mode = TrainMode::kSequential;
  EXPECT_NE(ResumeFingerprint(a), ResumeFingerprint(b));
}

TEST(RunSettingsTest, JsonOfTheWrongTypeNamesTheSetting) {
  nlohmann::json j = {{"epochs", "ten"}};
  EXPECT_THAT(std::string(RunConfigFromJson(j).status().message()),
              HasSubstr("'epochs' is \"ten\", not a int64_t"));
  j = {{"mode", "both"}};
  EXPECT_THAT(std::string(RunConfigFromJson(j).status().message()),
              HasSubstr("'mode'"));
  j = {{"lr_milestones", {1, "x"}}};
  EXPECT_FALSE(RunConfigFromJson(j).ok());
  EXPECT_FALSE(RunConfigFromJson(nlohmann::json::array()).ok());
}

TEST(RunSettingsTest, ScheduleFollowsTheSettings) {
  RunConfig c;
  c.lr = 0.2;
  c.lr_schedule = "cosine";
  c.epochs = 12;
  c.lr_min = 0.01;
  c.warmup_epochs = 1.5;
  const LrScheduleConfig s = ScheduleConfig(c);
  EXPECT_EQ(s.kind, "cosine");
  EXPECT_EQ(s.base_lr, 0.2);
  EXPECT_EQ(s.epochs, 12);
  EXPECT_EQ(s.min_lr, 0.01);
  EXPECT_EQ(s.warmup_epochs, 1.5);
  EXPECT_THAT(s.milestones, ElementsAre(150, 180, 210));
}

}  // namespace
}  // namespace kd
