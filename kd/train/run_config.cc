#include "kd/train/run_config.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace kd {
namespace {

constexpr ResumeRule kMustMatch = ResumeRule::kMustMatch;
constexpr ResumeRule kMayChange = ResumeRule::kMayChange;

// Setting values as JSON, both ways. FromJson is strict about types.
template <typename T>
nlohmann::ordered_json ToJson(const T& v) {
  return v;
}
nlohmann::ordered_json ToJson(TrainMode v) { return TrainModeName(v); }

bool FromJson(const nlohmann::json& j, bool* v) {
  if (!j.is_boolean()) return false;
  *v = j.get<bool>();
  return true;
}
bool FromJson(const nlohmann::json& j, int64_t* v) {
  if (!j.is_number_integer()) return false;
  *v = j.get<int64_t>();
  return true;
}
bool FromJson(const nlohmann::json& j, uint64_t* v) {
  if (!j.is_number_unsigned()) return false;
  *v = j.get<uint64_t>();
  return true;
}
bool FromJson(const nlohmann::json& j, double* v) {
  if (!j.is_number()) return false;
  *v = j.get<double>();
  return true;
}
bool FromJson(const nlohmann::json& j, std::string* v) {
  if (!j.is_string()) return false;
  *v = j.get<std::string>();
  return true;
}
bool FromJson(const nlohmann::json& j, TrainMode* v) {
  if (!j.is_string()) return false;
  absl::StatusOr<TrainMode> mode = ParseTrainMode(j.get<std::string>());
  if (!mode.ok()) return false;
  *v = *mode;
  return true;
}
template <typename T>
bool FromJson(const nlohmann::json& j, std::vector<T>* v) {
  if (!j.is_array()) return false;
  std::vector<T> out(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    if (!FromJson(j[i], &out[i])) return false;
  }
  *v = std::move(out);
  return true;
}

// A value as range-check messages show it.
template <typename T>
std::string ValueText(const T& v) {
  return absl::StrCat(v);
}
std::string ValueText(bool v) { return v ? "true" : "false"; }
std::string ValueText(const std::string& v) {
  return absl::StrCat("'", v, "'");
}
std::string ValueText(TrainMode v) { return TrainModeName(v); }
std::string ValueText(const IntList& v) { return absl::StrJoin(v, ","); }
std::string ValueText(const StringList& v) {
  return v.empty() ? "none" : absl::StrJoin(v, ";");
}

absl::Status OutOfRange(absl::string_view flag, absl::string_view expected,
                        const std::string& found) {
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, ": expected ", expected, ", got ", found));
}

}  // namespace

absl::StatusOr<TrainMode> ParseTrainMode(absl::string_view text) {
  if (text == "teacher") return TrainMode::kTeacher;
  if (text == "sequential") return TrainMode::kSequential;
  if (text == "simultaneous") return TrainMode::kSimultaneous;
  return absl::InvalidArgumentError(
      absl::StrCat("--mode: unknown mode '", text,
                   "'; expected teacher, sequential or simultaneous"));
}

const char* TrainModeName(TrainMode mode) {
  switch (mode) {
    case TrainMode::kTeacher:
      return "teacher";
    case TrainMode::kSequential:
      return "sequential";
    case TrainMode::kSimultaneous:
      return "simultaneous";
  }
  return "?";
}

const std::vector<RunSettingInfo>& RunSettings() {
  static const auto* const settings = new std::vector<RunSettingInfo>{
#define KD_SETTING(type, name, default_value, resume, valid, expected, doc) \
  {#name, resume, doc},
#include "kd/train/run_settings.inc"
#undef KD_SETTING
  };
  return *settings;
}

LrScheduleConfig ScheduleConfig(const RunConfig& c) {
  LrScheduleConfig schedule;
  schedule.kind = c.lr_schedule;
  schedule.base_lr = c.lr;
  schedule.milestones = c.lr_milestones;
  schedule.gamma = c.lr_decay;
  schedule.min_lr = c.lr_min;
  schedule.epochs = c.epochs;
  schedule.warmup_epochs = c.warmup_epochs;
  return schedule;
}

nlohmann::ordered_json RunConfigToJson(const RunConfig& c) {
  nlohmann::ordered_json j;
#define KD_SETTING(type, name, default_value, resume, valid, expected, doc) \
  j[#name] = ToJson(c.name);
#include "kd/train/run_settings.inc"
#undef KD_SETTING
  return j;
}

absl::StatusOr<RunConfig> RunConfigFromJson(const nlohmann::json& j) {
  if (!j.is_object()) {
    return absl::InvalidArgumentError("run configuration: not a JSON object");
  }
  RunConfig c;
#define KD_SETTING(type, name, default_value, resume, valid, expected, doc)    \
  if (j.contains(#name) && !FromJson(j.at(#name), &c.name)) {                  \
    return absl::InvalidArgumentError(                                         \
        absl::StrCat("run configuration: '" #name "' is ", j.at(#name).dump(), \
                     ", not a " #type));                                       \
  }
#include "kd/train/run_settings.inc"
#undef KD_SETTING
  return c;
}

nlohmann::ordered_json ResumeFingerprint(const RunConfig& c) {
  nlohmann::ordered_json j;
#define KD_SETTING(type, name, default_value, resume, valid, expected, doc) \
  if (resume == kMustMatch) j[#name] = ToJson(c.name);
#include "kd/train/run_settings.inc"
#undef KD_SETTING
  if (c.mode == TrainMode::kTeacher) j["student"] = "";
  return j;
}

std::vector<std::string> FingerprintDifferences(
    const nlohmann::ordered_json& checkpoint,
    const nlohmann::ordered_json& now) {
  std::vector<std::string> differing;
  for (auto it = now.begin(); it != now.end(); ++it) {
    const bool present =
        checkpoint.is_object() && checkpoint.contains(it.key());
    if (!present || checkpoint.at(it.key()) != it.value()) {
      differing.push_back(
          absl::StrCat("--", it.key(), " (checkpoint ",
                       present ? checkpoint.at(it.key()).dump() : "absent",
                       ", now ", it.value().dump(), ")"));
    }
  }
  return differing;
}

std::vector<std::string> SplitLossSpecs(
    const std::vector<std::string>& values) {
  std::vector<std::string> specs;
  for (const std::string& value : values) {
    for (absl::string_view part : absl::StrSplit(value, ';')) {
      part = absl::StripAsciiWhitespace(part);
      bool new_spec = true;
      for (absl::string_view token : absl::StrSplit(part, ',')) {
        token = absl::StripAsciiWhitespace(token);
        const size_t eq = token.find('=');
        const size_t colon = token.find(':');
        const bool continues = eq != absl::string_view::npos &&
                               (colon == absl::string_view::npos || colon > eq);
        if (continues && !new_spec && !specs.empty()) {
          absl::StrAppend(&specs.back(), ",", token);
        } else {
          specs.emplace_back(token);
        }
        new_spec = false;
      }
    }
  }
  // Drop empty specs from stray separators ("ce;;kd").
  std::vector<std::string> out;
  for (std::string& s : specs) {
    if (!s.empty()) out.push_back(std::move(s));
  }
  return out;
}

absl::StatusOr<std::vector<int64_t>> ParseIntList(absl::string_view flag,
                                                  absl::string_view text) {
  std::vector<int64_t> values;
  if (absl::StripAsciiWhitespace(text).empty()) return values;
  for (absl::string_view token : absl::StrSplit(text, ',')) {
    int64_t v;
    if (!absl::SimpleAtoi(absl::StripAsciiWhitespace(token), &v)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--", flag, ": expected comma-separated integers, got '", text, "'"));
    }
    values.push_back(v);
  }
  return values;
}

absl::Status ValidateRunConfig(const RunConfig& c) {
#define KD_SETTING(type, name, default_value, resume, valid, expected, doc) \
  if (const type& v = c.name; !(valid)) {                                   \
    return OutOfRange(#name, expected, ValueText(v));                       \
  }
#include "kd/train/run_settings.inc"
#undef KD_SETTING
  if (c.mode != TrainMode::kTeacher && c.student.empty()) {
    return OutOfRange("student", "a backbone name", "''");
  }
  if (c.teacher.empty()) {
    return OutOfRange("teacher",
                      c.mode == TrainMode::kTeacher
                          ? "the backbone to train in --mode=teacher"
                          : "a teacher for distillation",
                      "''");
  }
  return LrSchedule::Create(ScheduleConfig(c)).status();
}

}  // namespace kd
