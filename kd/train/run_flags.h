// The train tool's flags: one gflags flag per setting of run_settings.inc,
// with the setting's name, default and doc, registered at start-up (so no
// flag is written down a second time). Torch-free.
//
//   kd::RegisterRunFlags();
//   kd::CliSpec spec;
//   spec.repeatable = kd::RepeatableRunFlags();
//   spec.help_files = {kd::kRunFlagsSource};
//   const kd::ParsedCli cli = kd::ParseCommandLineOrExit(spec, argc, argv);
//   absl::StatusOr<kd::RunConfig> config = kd::RunConfigFromFlags(cli);
#ifndef KD_TRAIN_RUN_FLAGS_H_
#define KD_TRAIN_RUN_FLAGS_H_

#include <set>
#include <string>

#include "absl/status/statusor.h"
#include "kd/train/cli.h"
#include "kd/train/run_config.h"

namespace kd {

// The file gflags records as the flags' origin (CliSpec::help_files).
inline constexpr char kRunFlagsSource[] = "kd/train/run_settings.inc";

// Registers the flags (once per process; later calls do nothing).
void RegisterRunFlags();

// The flags that may be given more than once (the StringList settings).
std::set<std::string> RepeatableRunFlags();

// The settings as the parsed command line set them. Values that gflags
// cannot check itself (--mode, --lr_milestones) are errors naming the flag.
absl::StatusOr<RunConfig> RunConfigFromFlags(const ParsedCli& cli);

}  // namespace kd

#endif  // KD_TRAIN_RUN_FLAGS_H_
