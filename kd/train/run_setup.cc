#include "kd/train/run_setup.h"

#include <torch/utils.h>

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "kd/base/device.h"
#include "kd/base/files.h"
#include "kd/data/data_setup.h"
#include "kd/status_macros.h"
#include "kd/teacher/teacher_setup.h"
#include "kd/train/cli.h"

namespace kd {
namespace {

absl::Status CheckFileFlag(const char* flag, const std::string& path) {
  if (path.empty() || PathExists(path)) return absl::OkStatus();
  return absl::NotFoundError(
      absl::StrCat("--", flag, ": no such file: ", path));
}

absl::Status SetUpData(TrainingRun& run) {
  const RunConfig& c = run.config;
  KD_ASSIGN_OR_RETURN(
      run.train_set,
      OpenDataset({c.dataset, c.data_dir, "train", c.train_subset, {}}));
  KD_ASSIGN_OR_RETURN(
      run.eval_set,
      OpenDataset({c.dataset, c.data_dir, c.eval_split, c.eval_subset, {}}));
  run.num_classes = run.train_set->num_classes();
  if (run.eval_set->num_classes() != run.num_classes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "data set ", c.dataset, ": train split has ", run.num_classes,
        " classes, '", c.eval_split, "' has ", run.eval_set->num_classes()));
  }
  KD_ASSIGN_OR_RETURN(const int side, ImageSide(*run.train_set));
  run.input_size = ResolvedInputSize(side, c.input_size);
  return absl::OkStatus();
}

// The network this run trains: the teacher in teacher mode, else the student.
absl::Status SetUpModel(TrainingRun& run) {
  const RunConfig& c = run.config;
  const bool teacher_mode = c.mode == TrainMode::kTeacher;
  NetworkSpec spec;
  spec.backbone = teacher_mode ? c.teacher : c.student;
  spec.num_classes = run.num_classes;
  spec.embed_dim = teacher_mode ? c.teacher_embed_dim : c.embed_dim;
  spec.input_size = run.input_size;
  spec.normalize = c.normalize;
  absl::StatusOr<Network> created = CreateNetwork(spec);
  if (!created.ok()) {
    return WithPrefix(teacher_mode ? "--teacher: " : "--student: ",
                      created.status());
  }
  run.model = *std::move(created);
  run.model.precision = *ParsePrecision(c.precision);  // validated
  if (c.channels_last) run.model.UseChannelsLast();
  return absl::OkStatus();
}

absl::Status SetUpTeacher(TrainingRun& run) {
  const RunConfig& c = run.config;
  absl::StatusOr<TeacherSpec> parsed = ParseTeacherSpec(c.teacher);
  if (!parsed.ok()) return WithPrefix("--teacher: ", parsed.status());
  TeacherSpec spec = *std::move(parsed);
  spec.checkpoint = c.teacher_checkpoint;
  spec.head_checkpoint = c.teacher_head_checkpoint;
  spec.num_classes = run.num_classes;
  spec.embed_dim = c.teacher_embed_dim;
  // A backbone teacher sees the run's input size; a TorchScript one its own.
  spec.input_size = spec.kind == TeacherKind::kBackbone ? run.input_size : 0;
  KD_ASSIGN_OR_RETURN(spec.cache, TrainSplitCacheExpectation(
                                      c.dataset, *run.train_set, c.input_size,
                                      c.augment, c.normalize));
  spec.seed = c.seed;
  KD_ASSIGN_OR_RETURN(run.teacher, TeacherSide::Create(c, spec, run.device));
  return absl::OkStatus();
}

// The losses, built for the run's widths, and checked against what it gives.
absl::Status SetUpLosses(TrainingRun& run) {
  LossContext context;
  context.student_embed_dim = run.model.head->embed_dim();
  context.student_feature_dim = run.model.backbone->feature_dim();
  context.student_stage_channels = run.model.backbone->stage_channels();
  context.student_stage_sizes = StageSizes(*run.model.backbone, run.input_size);
  context.num_classes = run.num_classes;
  context.dataset_size = run.train_set->size();
  KD_ASSIGN_OR_RETURN(context.dataset_labels, DatasetLabels(*run.train_set));
  LossInputSet available = {LossInput::kStudentEmbedding,
                            LossInput::kStudentLogits,
                            LossInput::kStudentPooled,
                            LossInput::kStudentStageMaps,
                            LossInput::kStudentPreactMaps,
                            LossInput::kLabels,
                            LossInput::kIndices};
  std::string lacking = "--mode=teacher trains one network, without a teacher";
  if (run.teacher) {
    const Teacher& teacher = run.teacher->teacher();
    context.teacher_embed_dim = run.teacher->head()->embed_dim();
    context.teacher_feature_dim = teacher.feature_dim();
    context.teacher_stage_channels = teacher.stage_channels();
    context.teacher_stage_sizes = teacher.stage_sizes();
    available.Add(LossInput::kTeacherEmbedding)
        .Add(LossInput::kTeacherLogits)
        .Add(LossInput::kTeacherPooled);
    if (!teacher.stage_channels().empty()) {
      available.Add(LossInput::kTeacherStageMaps)
          .Add(LossInput::kTeacherPreactMaps);
    }
    lacking = absl::StrCat("teacher ", teacher.Describe(),
                           " gives pooled features only (no stage maps)");
  }
  absl::StatusOr<std::shared_ptr<LossSet>> losses =
      LossSet::Create(run.config.loss, context);
  if (!losses.ok()) return WithPrefix("--loss: ", losses.status());
  run.losses = *std::move(losses);
  KD_RETURN_IF_ERROR(
      WithPrefix("--loss: ", run.losses->CheckInputs(available, lacking)));
  run.loss_reads = run.losses->reads();
  return absl::OkStatus();
}

void SetUpOptimizer(TrainingRun& run) {
  const RunConfig& c = run.config;
  run.trainable = std::make_shared<torch::nn::Module>("Trainable");
  run.trainable->register_module("backbone", run.model.backbone);
  run.trainable->register_module("head", run.model.head.ptr());
  run.trainable->register_module("losses", run.losses);
  std::vector<torch::Tensor> params;
  for (auto& p : run.trainable->parameters()) {
    if (p.requires_grad()) params.push_back(p);
  }
  torch::optim::SGDOptions options(c.lr);
  options.momentum(c.momentum).weight_decay(c.weight_decay);
  run.optimizer = std::make_unique<torch::optim::SGD>(params, options);
}

// Loaders: the order and augmentation depend only on (seed, epoch).
absl::Status SetUpLoaders(TrainingRun& run, const DistGroup* group) {
  const RunConfig& c = run.config;
  KD_ASSIGN_OR_RETURN(const int side, ImageSide(*run.train_set));
  LoaderOptions train;
  train.batch_size = c.batch_size;
  train.shuffle = true;
  train.drop_last = false;
  train.num_workers = static_cast<int>(c.loader_workers);
  train.seed = c.seed;
  train.pin_memory = run.device.is_cuda();
  if (group) {  // each rank its shard; evaluation sums the shards' counts
    train.rank = group->rank();
    train.world_size = group->world_size();
  }
  KD_ASSIGN_OR_RETURN(train.student_view,
                      MakeView(side, run.input_size, c.augment, c.normalize));
  LoaderOptions eval = train;
  eval.shuffle = false;
  eval.pad_shards = false;  // every example counted once
  KD_ASSIGN_OR_RETURN(eval.student_view,
                      MakeView(side, run.input_size, false, c.normalize));
  if (run.teacher && run.teacher->teacher().needs_images()) {
    const int64_t teacher_size = run.teacher->teacher().input_size();
    if (teacher_size > 0 && teacher_size != run.input_size) {
      KD_ASSIGN_OR_RETURN(train.teacher_view,
                          TeacherView(side, run.input_size, c.augment,
                                      c.normalize, teacher_size));
      KD_ASSIGN_OR_RETURN(
          eval.teacher_view,
          TeacherView(side, run.input_size, false, c.normalize, teacher_size));
    } else if (c.independent_teacher_view && c.augment) {
      train.teacher_view = train.student_view;
    }
  }
  KD_ASSIGN_OR_RETURN(run.train_loader,
                      DataLoader::Create(run.train_set, train));
  KD_ASSIGN_OR_RETURN(run.eval_loader, DataLoader::Create(run.eval_set, eval));
  const int64_t batches = run.train_loader->batches_per_epoch();
  run.steps_per_epoch = c.max_steps_per_epoch > 0
                            ? std::min(c.max_steps_per_epoch, batches)
                            : batches;
  return absl::OkStatus();
}

}  // namespace

void TrainingRun::SetLr(double lr) {
  for (auto& group : optimizer->param_groups()) {
    static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
  }
}

void TrainingRun::To(const torch::Device& target) {
  device = target;
  model.To(target);
  if (teacher) teacher->To(target);
  losses->to(target);
}

absl::StatusOr<std::unique_ptr<TrainingRun>> SetUpRun(
    const RunConfig& config, std::shared_ptr<DistGroup> group) {
  KD_RETURN_IF_ERROR(ValidateRunConfig(config));
  auto run = std::make_unique<TrainingRun>();
  run->config = config;
  run->role = config.mode == TrainMode::kTeacher ? "teacher" : "student";
  KD_ASSIGN_OR_RETURN(LrSchedule schedule,
                      LrSchedule::Create(ScheduleConfig(config)));
  run->schedule = std::make_unique<LrSchedule>(schedule);
  absl::StatusOr<torch::Device> device = ParseDevice(config.device);
  if (!device.ok()) return WithPrefix("--device: ", device.status());
  run->device = *device;
  if (group && config.device == "cuda") {  // one GPU per local rank
    absl::StatusOr<torch::Device> mine =
        ParseDevice(absl::StrCat("cuda:", group->options().local_rank));
    if (!mine.ok()) return WithPrefix("--device: ", mine.status());
    run->device = *mine;
  }
  KD_RETURN_IF_ERROR(WithPrefix(
      "--precision: ",
      CheckPrecisionOnDevice(*ParsePrecision(config.precision), run->device)));
  int threads = ThreadCountFromFlag(static_cast<int>(config.threads));
  if (group && config.threads == 0) {  // the cores shared by local ranks
    threads = std::max(1, threads / group->options().local_world_size);
  }
  torch::set_num_threads(threads);
  KD_RETURN_IF_ERROR(
      CheckFileFlag("teacher_checkpoint", config.teacher_checkpoint));
  KD_RETURN_IF_ERROR(
      CheckFileFlag("teacher_head_checkpoint", config.teacher_head_checkpoint));

  torch::manual_seed(config.seed);
  KD_RETURN_IF_ERROR(SetUpData(*run));
  KD_RETURN_IF_ERROR(SetUpModel(*run));
  if (config.mode != TrainMode::kTeacher) {
    KD_RETURN_IF_ERROR(SetUpTeacher(*run));
  }
  KD_RETURN_IF_ERROR(SetUpLosses(*run));
  run->To(run->device);
  SetUpOptimizer(*run);
  if (*ParsePrecision(config.precision) == Precision::kFp16) {
    run->loss_scaler = std::make_unique<LossScaler>();
  }
  KD_RETURN_IF_ERROR(SetUpLoaders(*run, group.get()));
  if (group) KD_RETURN_IF_ERROR(SetUpDataParallel(*run, std::move(group)));
  return run;
}

}  // namespace kd
