// The configuration of one training run (what tools/train's flags set), and
// the small parsers behind those flags. Torch-free.
#ifndef KD_TRAIN_RUN_CONFIG_H_
#define KD_TRAIN_RUN_CONFIG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kd/train/lr_schedule.h"

namespace kd {

// teacher:      train one network (backbone + embedding head) on its labels.
// sequential:   distil into the student from a frozen teacher whose embedding
//               head is loaded (or trained first on CE, then frozen).
// simultaneous: distil while the teacher's embedding head and classifier
//               train alongside on CE with their own SGD (reference default).
enum class TrainMode { kTeacher, kSequential, kSimultaneous };

absl::StatusOr<TrainMode> ParseTrainMode(absl::string_view text);
const char* TrainModeName(TrainMode mode);

struct RunConfig {
  TrainMode mode = TrainMode::kSimultaneous;

  // Data.
  std::string dataset = "fashion_mnist";
  std::string data_dir;  // empty: the reader's default location
  std::string eval_split = "test";
  int64_t train_subset = 0;  // > 0: a class-balanced subset of this size
  int64_t eval_subset = 0;
  int input_size = 0;   // 0: the image side, zero-padded up to 32 if smaller
  bool augment = true;  // random crop (4 px padding) + horizontal flip
  std::string normalize = "cifar";
  bool independent_teacher_view = true;  // teacher sees its own augmentation
  int loader_workers = 2;

  // Networks. In teacher mode `student` is unused: `teacher` is trained.
  std::string student = "resnet8";
  std::string teacher;                  // a backbone name or a Teacher spec
  std::string teacher_checkpoint;       // weights of the teacher backbone
  std::string teacher_head_checkpoint;  // sequential: the frozen head
  int64_t embed_dim = 256;
  int64_t teacher_embed_dim = 256;

  // Objective: loss specs, e.g. {"ce", "ega:node=0.8,edge=0.24"}.
  std::vector<std::string> losses = {"ce"};

  // Optimisation (the reference recipe by default).
  int64_t epochs = 240;
  int64_t batch_size = 64;
  double momentum = 0.9;
  double weight_decay = 5e-4;
  LrScheduleConfig schedule;
  double teacher_head_lr = 0.01;    // simultaneous / sequential head training
  int64_t teacher_head_epochs = 0;  // sequential without a head checkpoint

  // Run.
  uint64_t seed = 0;
  int threads = 0;  // 0: all cores
  std::string device = "cpu";
  std::string out_dir;
  bool resume = false;
  bool progress_bar = true;         // only drawn when stderr is a terminal
  int64_t max_steps_per_epoch = 0;  // > 0: cut epochs short (smoke runs)
  // > 0: this process stops (as if killed) after this many epochs, leaving
  // its checkpoint for --resume (tests of resumption).
  int64_t stop_after_epochs = 0;
  // simultaneous: start the teacher head fresh even when the teacher
  // checkpoint holds a trained one.
  bool fresh_teacher_head = false;
};

// Splits --loss values into single specs. Specs are separated by ';', or by
// ',' where the next token starts a new plugin (has no '=' or has ':'):
//   "ce,ega:node=0.8,edge=0.24;kd:T=4" -> {"ce", "ega:node=0.8,edge=0.24",
//   "kd:T=4"}.
std::vector<std::string> SplitLossSpecs(const std::vector<std::string>& values);

// Parses "150,180,210" into increasing integers.
absl::StatusOr<std::vector<int64_t>> ParseIntList(absl::string_view flag,
                                                  absl::string_view text);

// Range checks that need no plugin or file: one INVALID_ARGUMENT naming the
// flag, the expected range and the value found.
absl::Status ValidateRunConfig(const RunConfig& config);

}  // namespace kd

#endif  // KD_TRAIN_RUN_CONFIG_H_
