#include "kd/options.h"

#include <cmath>
#include <set>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "glog/logging.h"

namespace kd {
namespace {

std::string ValidOptionNames(const OptionSchema& schema) {
  if (schema.empty()) return "(this plugin takes no options)";
  std::vector<std::string> names;
  for (const OptionSpec& spec : schema) names.push_back(spec.name);
  return absl::StrJoin(names, ", ");
}

std::string ValueToString(const Options::Value& value) {
  struct Printer {
    std::string operator()(int64_t v) const { return absl::StrCat(v); }
    std::string operator()(double v) const { return absl::StrCat(v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::string& v) const { return v; }
  };
  return std::visit(Printer{}, value);
}

}  // namespace

const char* OptionTypeName(OptionType type) {
  switch (type) {
    case OptionType::kInt:
      return "int";
    case OptionType::kDouble:
      return "double";
    case OptionType::kBool:
      return "bool";
    case OptionType::kString:
      return "string";
  }
  return "?";
}

std::optional<std::string> PluginSpec::Take(absl::string_view key) {
  for (auto it = args.begin(); it != args.end(); ++it) {
    if (it->first == key) {
      std::string value = it->second;
      args.erase(it);
      return value;
    }
  }
  return std::nullopt;
}

absl::StatusOr<PluginSpec> ParsePluginSpec(absl::string_view spec) {
  PluginSpec result;
  const absl::string_view stripped = absl::StripAsciiWhitespace(spec);
  const size_t colon = stripped.find(':');
  result.name =
      std::string(absl::StripAsciiWhitespace(stripped.substr(0, colon)));
  if (result.name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("plugin spec '", spec, "' has no plugin name; expected ",
                     "'name' or 'name:key=value,key=value'"));
  }
  if (colon == absl::string_view::npos) return result;
  std::set<std::string> seen;
  for (absl::string_view pair : absl::StrSplit(stripped.substr(colon + 1), ',',
                                               absl::SkipWhitespace())) {
    const size_t eq = pair.find('=');
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "plugin spec '", spec, "': '", absl::StripAsciiWhitespace(pair),
          "' is not of the form key=value"));
    }
    std::string key(absl::StripAsciiWhitespace(pair.substr(0, eq)));
    std::string value(absl::StripAsciiWhitespace(pair.substr(eq + 1)));
    if (key.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("plugin spec '", spec, "': empty option name in '",
                       absl::StripAsciiWhitespace(pair), "'"));
    }
    if (!seen.insert(key).second) {
      return absl::InvalidArgumentError(absl::StrCat(
          "plugin spec '", spec, "': option '", key, "' is given twice"));
    }
    result.args.emplace_back(std::move(key), std::move(value));
  }
  return result;
}

absl::StatusOr<Options::Value> ParseOptionValue(OptionType type,
                                                absl::string_view text) {
  switch (type) {
    case OptionType::kInt: {
      int64_t v;
      if (absl::SimpleAtoi(text, &v)) return Options::Value(v);
      break;
    }
    case OptionType::kDouble: {
      double v;
      if (absl::SimpleAtod(text, &v) && std::isfinite(v)) {
        return Options::Value(v);
      }
      break;
    }
    case OptionType::kBool: {
      bool v;
      if (absl::SimpleAtob(text, &v)) return Options::Value(v);
      break;
    }
    case OptionType::kString:
      return Options::Value(std::string(text));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "'", text, "' is not a valid ", OptionTypeName(type), " value"));
}

absl::StatusOr<Options> Options::Create(
    absl::string_view plugin, const OptionSchema& schema,
    const std::vector<std::pair<std::string, std::string>>& args) {
  Options options;
  for (const auto& [key, text] : args) {
    const OptionSpec* spec = nullptr;
    for (const OptionSpec& candidate : schema) {
      if (candidate.name == key) spec = &candidate;
    }
    if (spec == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", plugin, "' has no option '", key,
                       "'; valid options: ", ValidOptionNames(schema)));
    }
    absl::StatusOr<Value> value = ParseOptionValue(spec->type, text);
    if (!value.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", plugin, "' option '", key, "': ", value.status().message()));
    }
    options.values_[key] = *std::move(value);
    options.explicitly_set_[key] = true;
  }
  for (const OptionSpec& spec : schema) {
    if (options.values_.count(spec.name)) continue;
    if (spec.required) {
      return absl::InvalidArgumentError(absl::StrCat(
          "'", plugin, "' needs option '", spec.name, "' (", spec.doc,
          "); valid options: ", ValidOptionNames(schema)));
    }
    absl::StatusOr<Value> value =
        ParseOptionValue(spec.type, spec.default_value);
    CHECK(value.ok()) << "bad default for option '" << spec.name
                      << "' of plugin '" << plugin << "': " << value.status();
    options.values_[spec.name] = *std::move(value);
    options.explicitly_set_[spec.name] = false;
  }
  return options;
}

const Options::Value& Options::Get(absl::string_view name) const {
  auto it = values_.find(name);
  CHECK(it != values_.end()) << "option '" << name << "' was not declared";
  return it->second;
}

int64_t Options::GetInt(absl::string_view name) const {
  const Value& v = Get(name);
  CHECK(std::holds_alternative<int64_t>(v))
      << "option '" << name << "' is not an int";
  return std::get<int64_t>(v);
}

double Options::GetDouble(absl::string_view name) const {
  const Value& v = Get(name);
  CHECK(std::holds_alternative<double>(v))
      << "option '" << name << "' is not a double";
  return std::get<double>(v);
}

bool Options::GetBool(absl::string_view name) const {
  const Value& v = Get(name);
  CHECK(std::holds_alternative<bool>(v))
      << "option '" << name << "' is not a bool";
  return std::get<bool>(v);
}

const std::string& Options::GetString(absl::string_view name) const {
  const Value& v = Get(name);
  CHECK(std::holds_alternative<std::string>(v))
      << "option '" << name << "' is not a string";
  return std::get<std::string>(v);
}

bool Options::IsSet(absl::string_view name) const {
  auto it = explicitly_set_.find(name);
  return it != explicitly_set_.end() && it->second;
}

std::string Options::DebugString() const {
  return absl::StrJoin(values_, ",", [](std::string* out, const auto& kv) {
    absl::StrAppend(out, kv.first, "=", ValueToString(kv.second));
  });
}

std::string DescribeOptions(const OptionSchema& schema) {
  if (schema.empty()) return "    (no options)\n";
  std::string out;
  for (const OptionSpec& spec : schema) {
    absl::StrAppend(&out, "    ", spec.name, " (", OptionTypeName(spec.type),
                    spec.required
                        ? ", required"
                        : absl::StrCat(", default ", spec.default_value),
                    "): ", spec.doc, "\n");
  }
  return out;
}

}  // namespace kd
