// The train tool's flags come from the settings: every setting is a flag
// with its default and doc, values reach RunConfig, repeatable flags keep
// every value, and values gflags cannot check are errors naming the flag.
#include "kd/train/run_flags.h"

#include <string>
#include <vector>

#include "gflags/gflags.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

ParsedCli Parse(std::vector<std::string> args) {
  RegisterRunFlags();
  std::vector<char*> argv = {const_cast<char*>("train")};
  for (std::string& a : args) argv.push_back(a.data());
  CliSpec spec;
  spec.program = "train";
  spec.repeatable = RepeatableRunFlags();
  spec.help_files = {kRunFlagsSource};
  return ParseCommandLineOrExit(spec, static_cast<int>(argv.size()),
                                argv.data());
}

TEST(RunFlagsTest, EverySettingIsAFlagWithItsDefaultAndDoc) {
  RegisterRunFlags();
  RegisterRunFlags();  // a second call does nothing
  const nlohmann::ordered_json defaults = RunConfigToJson(RunConfig());
  for (const RunSettingInfo& setting : RunSettings()) {
    SCOPED_TRACE(setting.name);
    gflags::CommandLineFlagInfo info;
    ASSERT_TRUE(gflags::GetCommandLineFlagInfo(setting.name, &info));
    EXPECT_EQ(info.description, setting.doc);
    EXPECT_EQ(info.filename, kRunFlagsSource);
  }
  gflags::CommandLineFlagInfo epochs;
  ASSERT_TRUE(gflags::GetCommandLineFlagInfo("epochs", &epochs));
  EXPECT_EQ(epochs.default_value, "240");
  EXPECT_EQ(epochs.type, "int64");
  EXPECT_THAT(RepeatableRunFlags(), ElementsAre("loss"));
}

TEST(RunFlagsTest, ValuesReachTheConfig) {
  gflags::FlagSaver restore;
  const ParsedCli cli =
      Parse({"--mode=sequential", "--epochs=7", "--lr=0.2", "--noaugment",
             "--seed=18446744073709551615", "--lr_milestones=2,5", "--loss=ce",
             "--loss=ega:node=0.8,edge=0.24;kd:T=4", "--teacher=resnet20",
             "--out_dir=runs/x"});
  absl::StatusOr<RunConfig> config = RunConfigFromFlags(cli);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->mode, TrainMode::kSequential);
  EXPECT_EQ(config->epochs, 7);
  EXPECT_EQ(config->lr, 0.2);
  EXPECT_FALSE(config->augment);
  EXPECT_EQ(config->seed, 18446744073709551615ull);
  EXPECT_THAT(config->lr_milestones, ElementsAre(2, 5));
  EXPECT_THAT(config->loss,
              ElementsAre("ce", "ega:node=0.8,edge=0.24", "kd:T=4"));
  EXPECT_EQ(config->teacher, "resnet20");
  EXPECT_EQ(config->batch_size, 64);  // untouched: the default
}

TEST(RunFlagsTest, DefaultsEqualRunConfigsDefaults) {
  gflags::FlagSaver restore;
  absl::StatusOr<RunConfig> config = RunConfigFromFlags(Parse({}));
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(RunConfigToJson(*config), RunConfigToJson(RunConfig()));
}

TEST(RunFlagsTest, ValuesGflagsCannotCheckAreErrorsNamingTheFlag) {
  gflags::FlagSaver restore;
  absl::StatusOr<RunConfig> config = RunConfigFromFlags(Parse({"--mode=both"}));
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("--mode"));
  config = RunConfigFromFlags(Parse({"--mode=teacher", "--lr_milestones=3,x"}));
  EXPECT_THAT(std::string(config.status().message()),
              HasSubstr("--lr_milestones"));
}

}  // namespace
}  // namespace kd
