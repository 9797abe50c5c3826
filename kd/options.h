// Plugin options: what a plugin declares it accepts (OptionSchema), and the
// parsed, validated values a plugin is created from (Options).
//
// A plugin spec string names a plugin and sets some of its options:
//   "ega:node=0.8,edge=0.24"      "rkd:dist=25,angle=50"      "resnet8x4"
// Unknown options, malformed values and missing required options are errors
// that name the plugin, the option and the valid options.
#ifndef KD_OPTIONS_H_
#define KD_OPTIONS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace kd {

enum class OptionType { kInt, kDouble, kBool, kString };

// "int", "double", "bool", "string".
const char* OptionTypeName(OptionType type);

// One option a plugin accepts. An option with `required` set has no default.
struct OptionSpec {
  std::string name;
  OptionType type = OptionType::kDouble;
  std::string default_value;  // Parsed like a user value; ignored if required.
  std::string doc;            // One line, shown by --help.
  bool required = false;
};
using OptionSchema = std::vector<OptionSpec>;

// A spec string split into the plugin name and its key=value pairs, in order.
struct PluginSpec {
  std::string name;
  std::vector<std::pair<std::string, std::string>> args;

  // Removes `key` from args and returns its value, if present (used by callers
  // that own a generic option such as a loss's `weight`).
  std::optional<std::string> Take(absl::string_view key);
};

// Parses "name" or "name:key=value,key=value". Whitespace around tokens is
// ignored; a key given twice is an error.
absl::StatusOr<PluginSpec> ParsePluginSpec(absl::string_view spec);

// Validated option values of one plugin instance.
class Options {
 public:
  using Value = std::variant<int64_t, double, bool, std::string>;

  // Checks `args` against `schema` and fills in defaults. `plugin` is used in
  // error messages only.
  static absl::StatusOr<Options> Create(
      absl::string_view plugin, const OptionSchema& schema,
      const std::vector<std::pair<std::string, std::string>>& args);

  // Typed getters. Asking for an undeclared option or the wrong type is a
  // programmer error (CHECK failure), not a user error.
  int64_t GetInt(absl::string_view name) const;
  double GetDouble(absl::string_view name) const;
  bool GetBool(absl::string_view name) const;
  const std::string& GetString(absl::string_view name) const;

  // True if the user gave the option explicitly (not its default).
  bool IsSet(absl::string_view name) const;

  // "node=0.8,edge=0.24,graph=pearson": every option, for logs.
  std::string DebugString() const;

 private:
  const Value& Get(absl::string_view name) const;

  std::map<std::string, Value, std::less<>> values_;
  std::map<std::string, bool, std::less<>> explicitly_set_;
};

// Parses one value of the given type ("0.8", "12", "true"/"false"/"1"/"0").
absl::StatusOr<Options::Value> ParseOptionValue(OptionType type,
                                                absl::string_view text);

// Multi-line description of a schema for --help output.
std::string DescribeOptions(const OptionSchema& schema);

}  // namespace kd

#endif  // KD_OPTIONS_H_
