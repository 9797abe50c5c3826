// Images per second of one piece of distillation work, as the library runs
// it (bench/compare_pytorch.sh runs it beside bench/pytorch_steps.py):
//   student  a resnet8x4 training step on cross-entropy (kd::TrainStep)
//   ega      a sequential EGA distillation step, frozen resnet32x4 teacher
//            (random weights) -> resnet8x4, CE + EGA (kd::TrainStep)
//   teacher  the frozen resnet32x4 teacher's forward pass alone
//   eval     the resnet8x4 student's evaluation forward pass
// One Fashion-MNIST batch (32x32) is reused for every step, so the loader
// is not measured. Prints one JSON line.
//
//   step_bench --work=ega --precision=bf16 --channels_last --batch_size=64
#include <c10/core/InferenceMode.h>
#include <torch/torch.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "backbones/network.h"
#include "backbones/state_dict.h"
#include "gflags/gflags.h"
#include "kd/status_macros.h"
#include "kd/train/run_setup.h"
#include "kd/train/train_step.h"

DEFINE_string(work, "ega", "student, ega, teacher or eval");
DEFINE_string(precision, "fp32", "fp32 or bf16");
DEFINE_bool(channels_last, false, "channels-last convolutions");
DEFINE_int64(batch_size, 64, "images per step");
DEFINE_int32(warmup, 3, "steps before timing");
DEFINE_int32(steps, 10, "timed steps");
DEFINE_int32(threads, 0, "libtorch threads; 0: all cores");
DEFINE_string(tmp_dir, "/tmp", "where the random teacher checkpoint goes");

namespace {

using Clock = std::chrono::steady_clock;

// A --mode=teacher checkpoint of a randomly initialised resnet32x4 (with
// its embedding head), which sequential mode loads as a frozen teacher.
absl::StatusOr<std::string> WriteRandomTeacher() {
  kd::NetworkSpec spec;
  spec.backbone = "resnet32x4";
  spec.num_classes = 10;
  KD_ASSIGN_OR_RETURN(kd::Network teacher, kd::CreateNetwork(spec));
  kd::TensorMap state;
  kd::AddNetworkState(teacher, "model.", &state);
  const std::string path =
      absl::StrCat(FLAGS_tmp_dir, "/step_bench_teacher_", getpid(), ".pt");
  KD_RETURN_IF_ERROR(kd::SaveTensorMap(path, state));
  return path;
}

absl::StatusOr<double> Run() {
  kd::RunConfig config;
  config.out_dir = FLAGS_tmp_dir;
  config.batch_size = FLAGS_batch_size;
  config.train_subset = FLAGS_batch_size * 2;
  config.eval_subset = 10;
  config.loader_workers = 0;
  config.threads = FLAGS_threads;
  config.precision = FLAGS_precision;
  config.channels_last = FLAGS_channels_last;
  std::string teacher_file;
  if (FLAGS_work == "student" || FLAGS_work == "eval") {
    config.mode = kd::TrainMode::kTeacher;  // trains one network on CE
    config.teacher = "resnet8x4";
  } else if (FLAGS_work == "ega" || FLAGS_work == "teacher") {
    KD_ASSIGN_OR_RETURN(teacher_file, WriteRandomTeacher());
    config.mode = kd::TrainMode::kSequential;
    config.student = "resnet8x4";
    config.teacher = "resnet32x4";
    config.teacher_checkpoint = teacher_file;
    config.loss = {"ce", "ega:node=0.8,edge=0.24"};
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("--work: expected student, ega, teacher or eval, got '",
                     FLAGS_work, "'"));
  }
  absl::StatusOr<std::unique_ptr<kd::TrainingRun>> made = kd::SetUpRun(config);
  if (!teacher_file.empty()) std::filesystem::remove(teacher_file);
  KD_RETURN_IF_ERROR(made.status());
  kd::TrainingRun& run = **made;
  run.train_loader->StartEpoch(0);
  KD_ASSIGN_OR_RETURN(std::optional<kd::Batch> next, run.train_loader->Next());
  const kd::Batch batch = *next;
  const torch::Tensor labels = batch.labels;

  const auto step = [&]() -> absl::Status {
    if (FLAGS_work == "student" || FLAGS_work == "ega") {
      run.model.Train(true);
      return kd::TrainStep(run, batch, 1).status();
    }
    if (FLAGS_work == "teacher") {
      return run.teacher->Forward(batch, labels, false).status();
    }
    run.model.Train(false);
    c10::InferenceMode inference;
    run.model.Forward(batch.images).head.logits.sum().item<float>();
    return absl::OkStatus();
  };
  for (int i = 0; i < FLAGS_warmup; ++i) KD_RETURN_IF_ERROR(step());
  const Clock::time_point start = Clock::now();
  for (int i = 0; i < FLAGS_steps; ++i) KD_RETURN_IF_ERROR(step());
  const double seconds =
      std::chrono::duration<double>(Clock::now() - start).count();
  return FLAGS_steps * FLAGS_batch_size / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  gflags::SetUsageMessage("images/s of one distillation work item");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  absl::StatusOr<double> images_per_s = Run();
  if (!images_per_s.ok()) {
    std::cerr << "step_bench: " << images_per_s.status().message() << "\n";
    return 2;
  }
  std::printf(
      "{\"side\": \"c++\", \"work\": \"%s\", \"precision\": \"%s\", "
      "\"channels_last\": %s, \"batch_size\": %lld, \"threads\": %d, "
      "\"images_per_s\": %.2f}\n",
      FLAGS_work.c_str(), FLAGS_precision.c_str(),
      FLAGS_channels_last ? "true" : "false",
      static_cast<long long>(FLAGS_batch_size), torch::get_num_threads(),
      *images_per_s);
  return 0;
}
