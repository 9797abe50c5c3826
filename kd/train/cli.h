// Command-line parsing for the tools: gflags flags, but every error is one
// clear line on stderr and exit code 2 (gflags itself exits 1 on an unknown
// flag or a malformed value), repeatable flags keep every value, and --help
// lists the tool's own flags plus the registered plugins. Torch-free.
#ifndef KD_TRAIN_CLI_H_
#define KD_TRAIN_CLI_H_

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace kd {

// Exit code for bad input (flags, plugin names, values, missing files).
inline constexpr int kExitBadInput = 2;

struct CliSpec {
  std::string program;  // "train"
  std::string usage;    // one paragraph shown by --help
  // Flags that may be given more than once; every value is kept, in order.
  std::set<std::string> repeatable;
  // Source files whose flags --help lists (substring of the defining file).
  std::vector<std::string> help_files;
  // Appended to --help (e.g. the registered plugins and their options).
  std::function<std::string()> extra_help;
};

struct ParsedCli {
  // Values of repeatable flags (the gflags variable holds the last one).
  std::map<std::string, std::vector<std::string>> repeated;
};

// Parses argv. On --help prints help and exits 0; on any error prints
// "<program>: <message>" on stderr and exits kExitBadInput. Positional
// arguments are errors.
ParsedCli ParseCommandLineOrExit(const CliSpec& spec, int argc, char** argv);

// The libtorch intra-op thread count for a --threads value: the value when
// positive, else every core.
int ThreadCountFromFlag(int threads_flag);

// Prints "<program>: <status message>" on stderr and returns kExitBadInput.
int ReportBadInput(absl::string_view program, const absl::Status& status);

}  // namespace kd

#endif  // KD_TRAIN_CLI_H_
