#include "kd/train/cli.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gflags/gflags.h"
#include "kd/registry.h"

namespace kd {
namespace {

[[noreturn]] void Fail(const CliSpec& spec, const std::string& message) {
  std::cerr << spec.program << ": " << message << std::endl;
  std::exit(kExitBadInput);
}

std::string FlagHelp(const CliSpec& spec) {
  std::vector<gflags::CommandLineFlagInfo> flags;
  gflags::GetAllFlags(&flags);
  std::string out;
  for (const auto& flag : flags) {
    bool listed = false;
    for (const std::string& file : spec.help_files) {
      if (absl::StrContains(flag.filename, file)) listed = true;
    }
    if (!listed) continue;
    absl::StrAppend(&out, "  --", flag.name, " (", flag.type, ", default '",
                    flag.default_value, "')\n      ", flag.description, "\n");
  }
  return out;
}

std::vector<std::string> AllFlagNames() {
  std::vector<gflags::CommandLineFlagInfo> flags;
  gflags::GetAllFlags(&flags);
  std::vector<std::string> names;
  for (const auto& f : flags) names.push_back(f.name);
  return names;
}

}  // namespace

ParsedCli ParseCommandLineOrExit(const CliSpec& spec, int argc, char** argv) {
  ParsedCli parsed;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--") {
      if (i + 1 < argc)
        Fail(spec, absl::StrCat("unexpected argument '", argv[i + 1], "'"));
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') {
      Fail(spec, absl::StrCat("unexpected argument '", arg,
                              "' (flags look like --name=value; see --help)"));
    }
    std::string body = arg.substr(arg[1] == '-' ? 2 : 1);
    std::string name = body, value;
    bool has_value = false;
    if (const size_t eq = body.find('='); eq != std::string::npos) {
      name = body.substr(0, eq);
      value = body.substr(eq + 1);
      has_value = true;
    }
    if (name == "help" || name == "helpfull" || name == "h" ||
        name == "helpshort") {
      std::cout << spec.program << ": " << spec.usage << "\n\nFlags:\n"
                << FlagHelp(spec);
      if (spec.extra_help) std::cout << "\n" << spec.extra_help();
      std::exit(0);
    }
    gflags::CommandLineFlagInfo info;
    bool known = gflags::GetCommandLineFlagInfo(name.c_str(), &info);
    if (!known && !has_value && absl::StartsWith(name, "no")) {
      // --noflag for a boolean flag.
      gflags::CommandLineFlagInfo negated;
      if (gflags::GetCommandLineFlagInfo(name.substr(2).c_str(), &negated) &&
          negated.type == "bool") {
        name = name.substr(2);
        value = "false";
        has_value = true;
        known = true;
        info = negated;
      }
    }
    if (!known) {
      const std::string nearest = internal::NearestName(name, AllFlagNames());
      Fail(spec,
           absl::StrCat("unknown flag --", name,
                        nearest.empty()
                            ? ""
                            : absl::StrCat(" (did you mean --", nearest, "?)"),
                        "; see --help"));
    }
    if (!has_value) {
      if (info.type == "bool") {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        Fail(spec, absl::StrCat("flag --", name, " needs a value"));
      }
    }
    if (gflags::SetCommandLineOption(name.c_str(), value.c_str()).empty()) {
      Fail(spec, absl::StrCat("bad value '", value, "' for --", name, " (",
                              info.type, ")"));
    }
    if (spec.repeatable.count(name)) parsed.repeated[name].push_back(value);
  }
  return parsed;
}

int ThreadCountFromFlag(int threads_flag) {
  if (threads_flag > 0) return threads_flag;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

int ReportBadInput(absl::string_view program, const absl::Status& status) {
  std::cerr << program << ": " << status.message() << std::endl;
  return kExitBadInput;
}

}  // namespace kd
