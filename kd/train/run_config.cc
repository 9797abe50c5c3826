#include "kd/train/run_config.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace kd {

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

namespace {
absl::Status OutOfRange(absl::string_view flag, absl::string_view expected,
                        const std::string& found) {
  return absl::InvalidArgumentError(
      absl::StrCat("--", flag, ": expected ", expected, ", got ", found));
}
}  // namespace

absl::Status ValidateRunConfig(const RunConfig& c) {
  if (c.dataset.empty()) return OutOfRange("dataset", "a data set name", "''");
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
  if (c.losses.empty()) return OutOfRange("loss", "at least one loss", "none");
  if (c.epochs < 1) return OutOfRange("epochs", ">= 1", absl::StrCat(c.epochs));
  if (c.batch_size < 1) {
    return OutOfRange("batch_size", ">= 1", absl::StrCat(c.batch_size));
  }
  if (c.train_subset < 0) {
    return OutOfRange("train_subset", ">= 0", absl::StrCat(c.train_subset));
  }
  if (c.eval_subset < 0) {
    return OutOfRange("eval_subset", ">= 0", absl::StrCat(c.eval_subset));
  }
  if (c.input_size < 0 || c.input_size > 1024) {
    return OutOfRange("input_size", "0 (automatic) or a side in 1..1024",
                      absl::StrCat(c.input_size));
  }
  if (c.embed_dim < 1) {
    return OutOfRange("embed_dim", ">= 1", absl::StrCat(c.embed_dim));
  }
  if (c.teacher_embed_dim < 1) {
    return OutOfRange("teacher_embed_dim", ">= 1",
                      absl::StrCat(c.teacher_embed_dim));
  }
  if (!(c.momentum >= 0 && c.momentum < 1)) {
    return OutOfRange("momentum", "a value in [0, 1)",
                      absl::StrCat(c.momentum));
  }
  if (!(c.weight_decay >= 0)) {
    return OutOfRange("weight_decay", ">= 0", absl::StrCat(c.weight_decay));
  }
  if (!(c.teacher_head_lr > 0)) {
    return OutOfRange("teacher_head_lr", "> 0",
                      absl::StrCat(c.teacher_head_lr));
  }
  if (c.teacher_head_epochs < 0) {
    return OutOfRange("teacher_head_epochs", ">= 0",
                      absl::StrCat(c.teacher_head_epochs));
  }
  if (c.threads < 0 || c.threads > 1024) {
    return OutOfRange("threads", "0 (all cores) or 1..1024",
                      absl::StrCat(c.threads));
  }
  if (c.loader_workers < 0 || c.loader_workers > 256) {
    return OutOfRange("loader_workers", "0..256",
                      absl::StrCat(c.loader_workers));
  }
  if (c.max_steps_per_epoch < 0) {
    return OutOfRange("max_steps_per_epoch", ">= 0",
                      absl::StrCat(c.max_steps_per_epoch));
  }
  if (c.stop_after_epochs < 0) {
    return OutOfRange("stop_after_epochs", ">= 0",
                      absl::StrCat(c.stop_after_epochs));
  }
  if (c.device != "cpu" && c.device != "cuda" &&
      c.device.rfind("cuda:", 0) != 0) {
    return OutOfRange("device", "cpu, cuda or cuda:N",
                      absl::StrCat("'", c.device, "'"));
  }
  if (c.out_dir.empty()) {
    return OutOfRange("out_dir", "a directory for checkpoints and metrics",
                      "''");
  }
  return LrSchedule::Create(c.schedule).status();
}

}  // namespace kd
