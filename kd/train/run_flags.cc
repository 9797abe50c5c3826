#include "kd/train/run_flags.h"

#include <cstdint>
#include <mutex>
#include <set>
#include <type_traits>
#include <vector>

#include "absl/strings/str_join.h"
#include "gflags/gflags.h"

namespace kd {
namespace {

// How a setting of type T is stored as a gflags flag: scalars as themselves,
// everything else as text.
template <typename T>
struct FlagOf {
  using type = std::string;
};
template <>
struct FlagOf<bool> {
  using type = bool;
};
template <>
struct FlagOf<int64_t> {
  using type = gflags::int64;
};
template <>
struct FlagOf<uint64_t> {
  using type = gflags::uint64;
};
template <>
struct FlagOf<double> {
  using type = double;
};

template <typename T>
T ToFlag(const T& value) {
  return value;
}
std::string ToFlag(TrainMode mode) { return TrainModeName(mode); }
std::string ToFlag(const IntList& values) { return absl::StrJoin(values, ","); }
std::string ToFlag(const StringList& values) {
  return absl::StrJoin(values, ";");
}

template <typename T>
absl::Status FromFlag(const char*, const ParsedCli&, const T& flag, T* value) {
  *value = flag;
  return absl::OkStatus();
}
absl::Status FromFlag(const char*, const ParsedCli&, const std::string& flag,
                      TrainMode* value) {
  absl::StatusOr<TrainMode> mode = ParseTrainMode(flag);
  if (!mode.ok()) return mode.status();
  *value = *mode;
  return absl::OkStatus();
}
absl::Status FromFlag(const char* name, const ParsedCli&,
                      const std::string& flag, IntList* value) {
  absl::StatusOr<IntList> list = ParseIntList(name, flag);
  if (!list.ok()) return list.status();
  *value = *std::move(list);
  return absl::OkStatus();
}
// Every occurrence of the flag (or its default), split into single specs.
absl::Status FromFlag(const char* name, const ParsedCli& cli,
                      const std::string& flag, StringList* value) {
  const auto given = cli.repeated.find(name);
  *value = SplitLossSpecs(given == cli.repeated.end() ? StringList{flag}
                                                      : given->second);
  return absl::OkStatus();
}

// The flags' storage: gflags keeps pointers to it for the whole process.
struct FlagValues {
#define KD_SETTING(T, name, default_value, resume, valid, expected, doc) \
  FlagOf<T>::type name = ToFlag(RunConfig().name);
#include "kd/train/run_settings.inc"
#undef KD_SETTING
};

FlagValues* Current() {
  static FlagValues* const values = new FlagValues();
  return values;
}

}  // namespace

void RegisterRunFlags() {
  static std::once_flag once;
  std::call_once(once, [] {
    FlagValues* current = Current();
    FlagValues* defaults = new FlagValues();
#define KD_SETTING(T, name, default_value, resume, valid, expected, doc)  \
  new gflags::FlagRegisterer(#name, doc, kRunFlagsSource, &current->name, \
                             &defaults->name);
#include "kd/train/run_settings.inc"
#undef KD_SETTING
  });
}

std::set<std::string> RepeatableRunFlags() {
  std::set<std::string> names;
#define KD_SETTING(T, name, default_value, resume, valid, expected, doc) \
  if (std::is_same_v<T, StringList>) names.insert(#name);
#include "kd/train/run_settings.inc"
#undef KD_SETTING
  return names;
}

absl::StatusOr<RunConfig> RunConfigFromFlags(const ParsedCli& cli) {
  RegisterRunFlags();
  const FlagValues& flags = *Current();
  RunConfig config;
#define KD_SETTING(T, name, default_value, resume, valid, expected, doc) \
  if (absl::Status s = FromFlag(#name, cli, flags.name, &config.name);   \
      !s.ok()) {                                                         \
    return s;                                                            \
  }
#include "kd/train/run_settings.inc"
#undef KD_SETTING
  return config;
}

}  // namespace kd
