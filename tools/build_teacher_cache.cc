// build_teacher_cache: runs a frozen teacher once over every training image
// (M augmented views each, or the plain image for M = 1) and writes its
// features to a teacher feature cache, which tools/train then reads with
// --teacher=cache:<file> instead of running the teacher at every step.
//
//   build_teacher_cache --teacher=torchscript:clip_visual.pt
//       --dataset=cifar100 --normalize=clip --views=8 --out=clip_c100.cache
//   train --teacher=cache:clip_c100.cache --dataset=cifar100
//       --normalize=clip --student=resnet8x4 --loss=ce --loss=ega ...
//
// The teacher, data set, subset and view flags mean what they mean to
// tools/train (the same set-up code in kd/train), and the cache records them,
// so train accepts it exactly for the same data set, subset, input size,
// augmentation and normalisation. Exit codes: 0 written, 2 bad input
// (nothing computed), 1 the build failed.
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "backbones/backbone.h"
#include "gflags/gflags.h"
#include "glog/logging.h"
#include "kd/base/files.h"
#include "kd/base/torch_errors.h"
#include "kd/data/data_setup.h"
#include "kd/data/dataset.h"
#include "kd/data/loader.h"
#include "kd/status_macros.h"
#include "kd/teacher/teacher_cache.h"
#include "kd/teacher/teacher_setup.h"
#include "kd/train/cli.h"
#include "tools/compute_flags.h"

// Teacher.
DEFINE_string(teacher, "",
              "teacher: a registered backbone with --teacher_checkpoint, or "
              "torchscript:<file> (as tools/train accepts)");
DEFINE_string(teacher_checkpoint, "",
              "backbone teacher weights: a checkpoint of train --mode=teacher "
              "or a PyTorch state dict");

// Data and the teacher's view (as tools/train).
DEFINE_string(dataset, "fashion_mnist",
              "registered data set (see --help for the list); its train split "
              "is cached");
DEFINE_string(data_dir, "",
              "data set directory; empty: the reader's default location");
DEFINE_int64(train_subset, 0,
             "> 0: a class-balanced subset of this many training images (use "
             "the same value with train)");
DEFINE_int32(input_size, 0,
             "the run's network input side, as train's --input_size");
DEFINE_bool(augment, true,
            "with --views > 1: random crop (4 px padding at 32) + horizontal "
            "flip, as train's --augment; --views=1 caches the un-augmented "
            "image (train with --augment=false)");
DEFINE_string(
    normalize, "cifar",
    "normalisation: cifar, imagenet, clip, none or m0,m1,m2/s0,s1,s2");
DEFINE_int32(views, 1,
             "M: augmented views per image; 1 = the un-augmented image");

// Run.
DEFINE_int64(batch_size, 64, "images per teacher forward");
DEFINE_uint64(seed, 0, "seed of the views' augmentation");
DEFINE_int32(threads, 0, "libtorch intra-op threads; 0: all cores");
DEFINE_int32(loader_workers, 2, "data loader threads");
DEFINE_bool(half, false, "store features as float16 (half the file)");
DEFINE_string(out, "", "the cache file to write (atomically)");

namespace {

constexpr char kProgram[] = "build_teacher_cache";

std::string PluginHelp() {
  return absl::StrCat("Data sets:\n", kd::Dataset::Registry::Global().Help(),
                      "\nBackbones:\n",
                      kd::Backbone::Registry::Global().Help());
}

bool FlagIsDefault(const char* name) {
  return gflags::GetCommandLineFlagInfoOrDie(name).is_default;
}

// Flag checks that need no file: the teacher's spec, or the first problem.
absl::StatusOr<kd::TeacherSpec> ValidateFlags() {
  if (FLAGS_teacher.empty()) {
    return absl::InvalidArgumentError(
        "--teacher: required (a backbone with --teacher_checkpoint, or "
        "torchscript:<file>)");
  }
  absl::StatusOr<kd::TeacherSpec> teacher = kd::ParseTeacherSpec(FLAGS_teacher);
  if (!teacher.ok()) return kd::WithPrefix("--teacher: ", teacher.status());
  if (teacher->kind == kd::TeacherKind::kCache) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--teacher=", FLAGS_teacher,
        ": a cache is built from a network (a backbone or torchscript:<file>), "
        "not from another cache"));
  }
  if (FLAGS_out.empty()) {
    return absl::InvalidArgumentError("--out: required (the cache file)");
  }
  if (kd::IsDirectory(FLAGS_out)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--out: ", FLAGS_out, " is a directory, expected a file"));
  }
  const size_t slash = FLAGS_out.find_last_of('/');
  const std::string dir =
      slash == std::string::npos ? "." : FLAGS_out.substr(0, slash + 1);
  if (!kd::IsDirectory(dir)) {
    return absl::NotFoundError(absl::StrCat("--out: no such directory: ", dir));
  }
  if (FLAGS_views < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--views: expected >= 1, got ", FLAGS_views));
  }
  if (FLAGS_views == 1 && FLAGS_augment && !FlagIsDefault("augment")) {
    return absl::InvalidArgumentError(
        "--views=1 caches the un-augmented image: drop --augment (and train "
        "with --augment=false), or give --views > 1 for augmented views");
  }
  if (FLAGS_views > 1 && !FLAGS_augment) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--views=", FLAGS_views, " with --augment=false would store ",
        FLAGS_views, " identical views: use --views=1"));
  }
  if (FLAGS_batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--batch_size: expected >= 1, got ", FLAGS_batch_size));
  }
  if (FLAGS_train_subset < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--train_subset: expected >= 0, got ", FLAGS_train_subset));
  }
  if (FLAGS_input_size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--input_size: expected >= 0, got ", FLAGS_input_size));
  }
  if (FLAGS_threads < 0 || FLAGS_loader_workers < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--threads, --loader_workers: expected >= 0, got ",
                     FLAGS_threads, ", ", FLAGS_loader_workers));
  }
  if (!FLAGS_teacher_checkpoint.empty() &&
      !kd::IsRegularFile(FLAGS_teacher_checkpoint)) {
    return absl::NotFoundError(absl::StrCat(
        "--teacher_checkpoint: no such file: ", FLAGS_teacher_checkpoint));
  }
  return teacher;
}

int Main(int argc, char** argv) {
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  kd::CliSpec spec;
  spec.program = kProgram;
  spec.usage =
      "computes a frozen teacher's features for M views of every training "
      "image once and writes a teacher feature cache for train "
      "--teacher=cache:<file>. Bad input exits with code 2 before any work.";
  spec.help_files = {"tools/build_teacher_cache.cc"};
  spec.extra_help = PluginHelp;
  kd::ParseCommandLineOrExit(spec, argc, argv);
  absl::StatusOr<kd::TeacherSpec> teacher_spec = ValidateFlags();
  if (!teacher_spec.ok()) {
    return kd::ReportBadInput(kProgram, teacher_spec.status());
  }
  const bool augment = FLAGS_views > 1;

  // The training split, exactly as train opens it.
  kd::DataSelection selection{
      FLAGS_dataset, FLAGS_data_dir, "train", FLAGS_train_subset, {}};
  auto dataset = kd::OpenDataset(selection);
  if (!dataset.ok()) return kd::ReportBadInput(kProgram, dataset.status());
  auto side = kd::ImageSide(**dataset);
  if (!side.ok()) return kd::ReportBadInput(kProgram, side.status());
  auto expected = kd::TrainSplitCacheExpectation(
      FLAGS_dataset, **dataset, FLAGS_input_size, augment, FLAGS_normalize);
  if (!expected.ok()) return kd::ReportBadInput(kProgram, expected.status());
  const int input_size = kd::ResolvedInputSize(*side, FLAGS_input_size);

  // The teacher, exactly as train sets it up.
  teacher_spec->checkpoint = FLAGS_teacher_checkpoint;
  teacher_spec->num_classes = (*dataset)->num_classes();
  teacher_spec->input_size =
      teacher_spec->kind == kd::TeacherKind::kBackbone ? input_size : 0;
  auto setup = kd::LoadTeacher(*teacher_spec);
  if (!setup.ok()) {
    return kd::ReportBadInput(kProgram,
                              kd::WithPrefix("--teacher: ", setup.status()));
  }
  kd::Teacher& teacher = *setup->teacher;
  const absl::StatusOr<torch::Device> device = kd::ApplyComputeFlags(teacher);
  if (!device.ok()) return kd::ReportBadInput(kProgram, device.status());

  kd::LoaderOptions options;
  options.batch_size = FLAGS_batch_size;
  options.shuffle = false;
  options.drop_last = false;
  options.num_workers = FLAGS_loader_workers;
  options.seed = FLAGS_seed;
  options.pin_memory = device->is_cuda();
  auto view = kd::TeacherView(*side, FLAGS_input_size, augment, FLAGS_normalize,
                              teacher.input_size());
  if (!view.ok()) return kd::ReportBadInput(kProgram, view.status());
  options.student_view = *view;
  auto loader = kd::DataLoader::Create(*dataset, options);
  if (!loader.ok()) return kd::ReportBadInput(kProgram, loader.status());

  at::set_num_threads(kd::ThreadCountFromFlag(FLAGS_threads));
  kd::TeacherCacheBuildOptions build;
  build.dataset = expected->dataset;
  build.augmentation = expected->augmentation;
  build.half_precision = FLAGS_half;
  const int64_t n = (*dataset)->size();
  LOG(INFO) << "caching the features (D " << teacher.feature_dim() << ") of "
            << teacher.Describe() << " on " << build.dataset << " (" << n
            << " images, " << FLAGS_views << " view"
            << (FLAGS_views > 1 ? "s" : "") << ", " << build.augmentation
            << ") to " << FLAGS_out;
  const auto t0 = std::chrono::steady_clock::now();
  auto info =
      kd::BuildTeacherCache(teacher, **loader, FLAGS_views, build, FLAGS_out);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  if (!info.ok()) {
    std::fprintf(stderr, "%s: failed: %s\n", kProgram,
                 std::string(info.status().message()).c_str());
    return 1;
  }
  std::printf(
      "%s: %lld images x %lld views x D %lld (%s) in %.1f s (%.0f teacher "
      "images/s)\n",
      FLAGS_out.c_str(), static_cast<long long>(info->dataset_size),
      static_cast<long long>(info->views),
      static_cast<long long>(info->feature_dim),
      info->half_precision ? "float16" : "float32", seconds,
      seconds > 0 ? info->dataset_size * info->views / seconds : 0.0);
  std::printf(
      "use: train --teacher=cache:%s --dataset=%s --train_subset=%lld "
      "--input_size=%d --augment=%s --normalize=%s\n",
      FLAGS_out.c_str(), FLAGS_dataset.c_str(),
      static_cast<long long>(FLAGS_train_subset), FLAGS_input_size,
      augment ? "true" : "false", FLAGS_normalize.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return kd::RunReportingExceptions("build_teacher_cache",
                                    [&] { return Main(argc, argv); });
}
