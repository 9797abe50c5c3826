// The configuration of one training run (what tools/train's flags set).
// Each setting is declared once, in run_settings.inc; this header turns that
// list into RunConfig's members and defaults, and declares what else follows
// from it: JSON (run_config.json), the resume fingerprint and the range
// checks. Torch-free.
//
//   RunConfig config;                         // the defaults of the list
//   config.teacher = "resnet32x4";            // members are the settings
//   KD_RETURN_IF_ERROR(ValidateRunConfig(config));
//   nlohmann::ordered_json j = RunConfigToJson(config);  // every setting
#ifndef KD_TRAIN_RUN_CONFIG_H_
#define KD_TRAIN_RUN_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kd/base/precision_name.h"
#include "kd/train/lr_schedule.h"
#include "nlohmann/json.hpp"

namespace kd {

// teacher:      train one network (backbone + embedding head) on its labels.
// sequential:   distil into the student from a frozen teacher whose embedding
//               head is loaded (or trained first on CE, then frozen).
// simultaneous: distil while the teacher's embedding head and classifier
//               train alongside on CE with their own SGD (reference default).
enum class TrainMode { kTeacher, kSequential, kSimultaneous };

absl::StatusOr<TrainMode> ParseTrainMode(absl::string_view text);
const char* TrainModeName(TrainMode mode);

// Value types of settings besides the scalars.
using IntList = std::vector<int64_t>;         // flag text "150,180,210"
using StringList = std::vector<std::string>;  // a repeatable flag

// Whether a resumed run must share a setting with the run it continues.
enum class ResumeRule { kMustMatch, kMayChange };

struct RunConfig {
#define KD_SETTING(type, name, default_value, resume, valid, expected, doc) \
  type name = default_value;
#include "kd/train/run_settings.inc"
#undef KD_SETTING
};

// One setting as data (for flags, help and tests).
struct RunSettingInfo {
  const char* name;
  ResumeRule resume;
  const char* doc;
};
// Every setting, in declaration order.
const std::vector<RunSettingInfo>& RunSettings();

// The learning-rate schedule the settings describe.
LrScheduleConfig ScheduleConfig(const RunConfig& config);

// Every setting under its name. RunConfigFromJson reads such an object back
// (keys it lacks keep their defaults; a value of the wrong type is an error
// naming the key).
nlohmann::ordered_json RunConfigToJson(const RunConfig& config);
absl::StatusOr<RunConfig> RunConfigFromJson(const nlohmann::json& json);

// The settings marked kMustMatch: what a checkpoint records and --resume
// compares. (In --mode=teacher the student is not used and left empty.)
nlohmann::ordered_json ResumeFingerprint(const RunConfig& config);

// The settings whose values differ between two fingerprints, each as
// "--name (checkpoint X, now Y)"; empty when they agree.
std::vector<std::string> FingerprintDifferences(
    const nlohmann::ordered_json& checkpoint,
    const nlohmann::ordered_json& now);

// Splits --loss values into single specs. Specs are separated by ';', or by
// ',' where the next token starts a new plugin (has no '=' or has ':'):
//   "ce,ega:node=0.8,edge=0.24;kd:T=4" -> {"ce", "ega:node=0.8,edge=0.24",
//   "kd:T=4"}.
std::vector<std::string> SplitLossSpecs(const std::vector<std::string>& values);

// Parses "150,180,210" into integers; errors name --flag.
absl::StatusOr<std::vector<int64_t>> ParseIntList(absl::string_view flag,
                                                  absl::string_view text);

// The range check of every setting, then the checks across settings: the
// first problem as one INVALID_ARGUMENT naming the flag, the expected range
// and the value found.
absl::Status ValidateRunConfig(const RunConfig& config);

}  // namespace kd

#endif  // KD_TRAIN_RUN_CONFIG_H_
