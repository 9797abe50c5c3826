#include "kd/train/trainer.h"

#include <ATen/ATen.h>
#include <ATen/CPUGeneratorImpl.h>
#include <sys/stat.h>
#include <torch/cuda.h>
#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "backbones/teacher_cache.h"
#include "glog/logging.h"
#include "kd/data/loader.h"
#include "kd/plot/plot.h"
#include "kd/status_macros.h"
#include "kd/train/checkpoint.h"
#include "kd/train/cli.h"
#include "kd/train/data_setup.h"
#include "kd/train/metrics_log.h"
#include "kd/train/network.h"
#include "kd/train/progress.h"
#include "kd/train/teacher_setup.h"
#include "losses/loss_set.h"
#include "nlohmann/json.hpp"

namespace kd {
namespace {

bool FileExists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

absl::Status MakeDirs(const std::string& path) {
  std::string partial;
  for (size_t i = 0; i <= path.size(); ++i) {
    if (i == path.size() || path[i] == '/') {
      if (!partial.empty() && !FileExists(partial) &&
          mkdir(partial.c_str(), 0755) != 0 && !FileExists(partial)) {
        return absl::InvalidArgumentError(
            absl::StrCat("--out_dir: cannot create directory ", partial));
      }
    }
    if (i < path.size()) partial.push_back(path[i]);
  }
  return absl::OkStatus();
}

// The settings a resumed run must share with the run it continues.
nlohmann::ordered_json ConfigJson(const RunConfig& c) {
  nlohmann::ordered_json j;
  j["mode"] = TrainModeName(c.mode);
  j["dataset"] = c.dataset;
  j["train_subset"] = c.train_subset;
  j["eval_split"] = c.eval_split;
  j["eval_subset"] = c.eval_subset;
  j["input_size"] = c.input_size;
  j["augment"] = c.augment;
  j["normalize"] = c.normalize;
  j["independent_teacher_view"] = c.independent_teacher_view;
  j["student"] = c.mode == TrainMode::kTeacher ? "" : c.student;
  j["teacher"] = c.teacher;
  j["teacher_checkpoint"] = c.teacher_checkpoint;
  j["teacher_head_checkpoint"] = c.teacher_head_checkpoint;
  j["embed_dim"] = c.embed_dim;
  j["teacher_embed_dim"] = c.teacher_embed_dim;
  j["losses"] = c.losses;
  j["epochs"] = c.epochs;
  j["batch_size"] = c.batch_size;
  j["momentum"] = c.momentum;
  j["weight_decay"] = c.weight_decay;
  j["lr"] = c.schedule.base_lr;
  j["lr_schedule"] = c.schedule.kind;
  j["lr_milestones"] = c.schedule.milestones;
  j["lr_decay"] = c.schedule.gamma;
  j["lr_min"] = c.schedule.min_lr;
  j["warmup_epochs"] = c.schedule.warmup_epochs;
  j["teacher_head_lr"] = c.teacher_head_lr;
  j["teacher_head_epochs"] = c.teacher_head_epochs;
  j["fresh_teacher_head"] = c.fresh_teacher_head;
  j["seed"] = c.seed;
  j["max_steps_per_epoch"] = c.max_steps_per_epoch;
  return j;
}

torch::Tensor ScalarI64(int64_t v) { return torch::tensor({v}, torch::kInt64); }
torch::Tensor ScalarF64(double v) { return torch::tensor({v}, torch::kDouble); }

int64_t CountCorrect(const torch::Tensor& logits, const torch::Tensor& labels) {
  return logits.argmax(1).eq(labels).sum().item<int64_t>();
}

struct EvalStats {
  double top1 = 0, top5 = 0, loss = 0;
  int64_t count = 0;
};

}  // namespace

struct Trainer::Impl {
  RunConfig config;
  torch::Device device{torch::kCPU};
  std::string role;  // "student" or "teacher"

  std::shared_ptr<const Dataset> train_set, eval_set;
  std::unique_ptr<DataLoader> train_loader, eval_loader;
  int64_t num_classes = 0;
  int input_size = 32;

  Network model;
  std::unique_ptr<Teacher> teacher;
  // `teacher` when it is a feature cache: it holds the training split only
  // (no evaluation of the teacher head on the eval split), its view draws
  // are positioned per epoch, and the loader makes no teacher images.
  CachedTeacher* cached_teacher = nullptr;
  EmbeddingHead teacher_head{nullptr};
  bool train_teacher_head = false;  // simultaneous
  std::string teacher_head_source;
  std::shared_ptr<LossSet> losses;
  // Every module the main optimiser updates, under one name each, so its
  // state is saved by parameter name.
  std::shared_ptr<torch::nn::Module> trainable;
  std::unique_ptr<torch::optim::SGD> optimizer;
  std::unique_ptr<torch::optim::SGD> head_optimizer;
  std::unique_ptr<LrSchedule> schedule;
  std::unique_ptr<MetricsLog> metrics;

  int64_t start_epoch = 0;  // epochs already done (resume)
  double best_top1 = -1;
  int64_t best_epoch = 0;
  double teacher_top1 = -1;

  std::string Path(const std::string& name) const {
    return config.out_dir + "/" + name;
  }

  absl::Status SetUp();
  absl::Status SetUpData();
  absl::Status SetUpModels();
  absl::Status Resume();
  absl::Status TrainTeacherHead();
  absl::StatusOr<EvalStats> EvaluateModel();
  absl::StatusOr<EvalStats> EvaluateTeacherHead();
  TensorMap State(int64_t epochs_done) const;
  absl::Status WritePytorchFiles(const std::string& suffix) const;
  absl::Status WriteCurves() const;
  void SetLr(double lr);
};

absl::Status Trainer::Impl::SetUpData() {
  DataSelection train_sel{
      config.dataset, config.data_dir, "train", config.train_subset, {}};
  KD_ASSIGN_OR_RETURN(train_set, OpenDataset(train_sel));
  DataSelection eval_sel{config.dataset,
                         config.data_dir,
                         config.eval_split,
                         config.eval_subset,
                         {}};
  KD_ASSIGN_OR_RETURN(eval_set, OpenDataset(eval_sel));
  num_classes = train_set->num_classes();
  if (eval_set->num_classes() != num_classes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "data set ", config.dataset, ": train split has ", num_classes,
        " classes, '", config.eval_split, "' has ", eval_set->num_classes()));
  }
  KD_ASSIGN_OR_RETURN(const int side, ImageSide(*train_set));
  input_size = ResolvedInputSize(side, config.input_size);
  return absl::OkStatus();
}

absl::Status Trainer::Impl::SetUpModels() {
  // The network this run trains.
  NetworkSpec spec;
  spec.backbone =
      config.mode == TrainMode::kTeacher ? config.teacher : config.student;
  spec.num_classes = num_classes;
  spec.embed_dim = config.mode == TrainMode::kTeacher ? config.teacher_embed_dim
                                                      : config.embed_dim;
  spec.input_size = input_size;
  spec.normalize = config.normalize;
  {
    auto created = CreateNetwork(spec);
    if (!created.ok()) {
      return absl::Status(
          created.status().code(),
          absl::StrCat(config.mode == TrainMode::kTeacher ? "--teacher: "
                                                          : "--student: ",
                       created.status().message()));
    }
    model = std::move(created).value();
  }
  model.To(device);

  if (config.mode != TrainMode::kTeacher) {
    TeacherRequest request;
    request.teacher = config.teacher;
    request.checkpoint = config.teacher_checkpoint;
    request.head_checkpoint = config.teacher_head_checkpoint;
    request.num_classes = num_classes;
    request.embed_dim = config.teacher_embed_dim;
    request.input_size = input_size;
    request.seed = config.seed;
    {
      KD_ASSIGN_OR_RETURN(TeacherCacheExpectation expected,
                          TrainSplitCacheExpectation(
                              config.dataset, *train_set, config.input_size,
                              config.augment, config.normalize));
      request.dataset = expected.dataset;
      request.dataset_size = expected.dataset_size;
      request.augmentation = expected.augmentation;
    }
    auto setup = SetUpTeacher(request);
    if (!setup.ok()) {
      return absl::Status(
          setup.status().code(),
          absl::StrCat("--teacher: ", setup.status().message()));
    }
    teacher = std::move(setup->teacher);
    cached_teacher = dynamic_cast<CachedTeacher*>(teacher.get());
    teacher_head = setup->head;
    teacher_head_source = setup->head_source;
    if (config.mode == TrainMode::kSimultaneous) {
      train_teacher_head = true;
      if (config.fresh_teacher_head || !setup->head_loaded) {
        teacher_head = EmbeddingHead(teacher->feature_dim(),
                                     config.teacher_embed_dim, num_classes);
        teacher_head_source = "";
      }
    } else if (!setup->head_loaded && config.teacher_head_epochs == 0) {
      return absl::InvalidArgumentError(
          "--mode=sequential needs a trained teacher head: a "
          "--teacher_checkpoint written by --mode=teacher, a "
          "--teacher_head_checkpoint, or --teacher_head_epochs > 0 to train "
          "it first");
    }
    if (teacher->backbone()) teacher->backbone()->to(device);
    teacher_head->to(device);
    for (auto& p : teacher_head->parameters()) {
      p.set_requires_grad(
          train_teacher_head ||
          (config.mode == TrainMode::kSequential && !setup->head_loaded));
    }
  }

  // Losses: every spec is created (and so validated) here.
  LossContext context;
  context.student_embed_dim = model.head->embed_dim();
  context.student_feature_dim = model.backbone->feature_dim();
  context.student_stage_channels = model.backbone->stage_channels();
  context.num_classes = num_classes;
  context.dataset_size = train_set->size();
  KD_ASSIGN_OR_RETURN(context.dataset_labels, DatasetLabels(*train_set));
  {
    torch::NoGradGuard no_grad;
    model.Train(false);
    auto probe = model.backbone->Forward(
        torch::zeros({2, 3, input_size, input_size}, torch::kFloat).to(device));
    for (const auto& f : probe.stage_features) {
      context.student_stage_sizes.push_back(f.size(2));
    }
    if (teacher) {
      context.teacher_embed_dim = teacher_head->embed_dim();
      context.teacher_feature_dim = teacher->feature_dim();
      if (teacher->backbone()) {
        context.teacher_stage_channels = teacher->backbone()->stage_channels();
        const int64_t side =
            teacher->input_size() > 0 ? teacher->input_size() : input_size;
        auto tprobe = teacher->backbone()->Forward(
            torch::zeros({2, 3, side, side}, torch::kFloat).to(device));
        for (const auto& f : tprobe.stage_features) {
          context.teacher_stage_sizes.push_back(f.size(2));
        }
      }
    }
  }
  auto created_losses = LossSet::Create(config.losses, context);
  if (!created_losses.ok()) {
    return absl::Status(
        created_losses.status().code(),
        absl::StrCat("--loss: ", created_losses.status().message()));
  }
  losses = *created_losses;
  losses->to(device);

  trainable = std::make_shared<torch::nn::Module>("Trainable");
  trainable->register_module("backbone", model.backbone);
  trainable->register_module("head", model.head.ptr());
  trainable->register_module("losses", losses);
  std::vector<torch::Tensor> params;
  for (auto& p : trainable->parameters()) {
    if (p.requires_grad()) params.push_back(p);
  }
  torch::optim::SGDOptions options(config.schedule.base_lr);
  options.momentum(config.momentum).weight_decay(config.weight_decay);
  optimizer = std::make_unique<torch::optim::SGD>(params, options);
  if (teacher_head &&
      (train_teacher_head || config.mode == TrainMode::kSequential)) {
    // The reference: the teacher head's own SGD, lr 0.01, no decay.
    torch::optim::SGDOptions head_options(config.teacher_head_lr);
    head_options.momentum(config.momentum).weight_decay(0);
    head_optimizer = std::make_unique<torch::optim::SGD>(
        teacher_head->parameters(), head_options);
  }
  return absl::OkStatus();
}

absl::Status Trainer::Impl::SetUp() {
  KD_RETURN_IF_ERROR(ValidateRunConfig(config));
  role = config.mode == TrainMode::kTeacher ? "teacher" : "student";
  KD_ASSIGN_OR_RETURN(LrSchedule s, LrSchedule::Create(config.schedule));
  schedule = std::make_unique<LrSchedule>(s);
  if (config.device != "cpu") {
    if (!torch::cuda::is_available()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--device=", config.device,
          ": this libtorch has no CUDA device available; use --device=cpu"));
    }
    device = torch::Device(config.device);
  }
  torch::set_num_threads(ThreadCountFromFlag(config.threads));
  if (!config.teacher_checkpoint.empty() &&
      !FileExists(config.teacher_checkpoint)) {
    return absl::NotFoundError(absl::StrCat(
        "--teacher_checkpoint: no such file: ", config.teacher_checkpoint));
  }
  if (!config.teacher_head_checkpoint.empty() &&
      !FileExists(config.teacher_head_checkpoint)) {
    return absl::NotFoundError(
        absl::StrCat("--teacher_head_checkpoint: no such file: ",
                     config.teacher_head_checkpoint));
  }
  if (config.resume && !FileExists(Path("checkpoint.pt"))) {
    return absl::NotFoundError(absl::StrCat(
        "--resume: no checkpoint to resume from: ", Path("checkpoint.pt")));
  }
  if (!config.resume && FileExists(Path("checkpoint.pt"))) {
    return absl::AlreadyExistsError(absl::StrCat(
        "--out_dir ", config.out_dir,
        " already holds a run (checkpoint.pt): pass --resume to continue it, "
        "or choose another --out_dir"));
  }

  torch::manual_seed(config.seed);
  KD_RETURN_IF_ERROR(SetUpData());
  KD_RETURN_IF_ERROR(SetUpModels());

  // Loaders: the order and augmentation depend only on (seed, epoch).
  KD_ASSIGN_OR_RETURN(const int side, ImageSide(*train_set));
  LoaderOptions train_options;
  train_options.batch_size = config.batch_size;
  train_options.shuffle = true;
  train_options.drop_last = false;
  train_options.num_workers = config.loader_workers;
  train_options.seed = config.seed;
  KD_ASSIGN_OR_RETURN(
      train_options.student_view,
      MakeView(side, input_size, config.augment, config.normalize));
  LoaderOptions eval_options = train_options;
  eval_options.shuffle = false;
  KD_ASSIGN_OR_RETURN(eval_options.student_view,
                      MakeView(side, input_size, false, config.normalize));
  if (teacher && !cached_teacher) {
    const int tsize = static_cast<int>(teacher->input_size());
    if (tsize > 0 && tsize != input_size) {
      KD_ASSIGN_OR_RETURN(train_options.teacher_view,
                          TeacherView(side, input_size, config.augment,
                                      config.normalize, tsize));
      KD_ASSIGN_OR_RETURN(
          eval_options.teacher_view,
          TeacherView(side, input_size, false, config.normalize, tsize));
    } else if (config.independent_teacher_view && config.augment) {
      train_options.teacher_view = train_options.student_view;
    }
  }
  KD_ASSIGN_OR_RETURN(train_loader,
                      DataLoader::Create(train_set, train_options));
  KD_ASSIGN_OR_RETURN(eval_loader, DataLoader::Create(eval_set, eval_options));

  KD_RETURN_IF_ERROR(MakeDirs(config.out_dir));
  metrics = std::make_unique<MetricsLog>(config.out_dir);
  if (config.resume) {
    KD_RETURN_IF_ERROR(Resume());
  } else {
    KD_RETURN_IF_ERROR(metrics->TruncateTo(0));
  }
  {
    std::ofstream out(Path("run_config.json"));
    out << ConfigJson(config).dump(2) << "\n";
  }
  return absl::OkStatus();
}

TensorMap Trainer::Impl::State(int64_t epochs_done) const {
  TensorMap state;
  AddNetworkState(model, "model.", &state);
  AddModuleState(*losses, "losses.", &state);
  AddSgdState(*optimizer, *trainable, "opt.", &state);
  if (teacher_head) {
    AddModuleState(*teacher_head, "teacher_head.", &state);
    if (head_optimizer) {
      AddSgdState(*head_optimizer, *teacher_head, "teacher_head_opt.", &state);
    }
  }
  state["meta.epoch"] = ScalarI64(epochs_done);
  state["meta.best_top1"] = ScalarF64(best_top1);
  state["meta.best_epoch"] = ScalarI64(best_epoch);
  state["meta.teacher_top1"] = ScalarF64(teacher_top1);
  state["meta.seed"] = ScalarI64(static_cast<int64_t>(config.seed));
  state["meta.config"] = StringTensor(ConfigJson(config).dump());
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    state["meta.rng_cpu"] = gen.get_state();
  }
  return state;
}

absl::Status Trainer::Impl::Resume() {
  const std::string path = Path("checkpoint.pt");
  KD_ASSIGN_OR_RETURN(TensorMap state, LoadTensorMap(path));
  if (!state.count("meta.config") || !state.count("meta.epoch")) {
    return absl::InvalidArgumentError(
        absl::StrCat("--resume: ", path, " is not a tools/train checkpoint"));
  }
  const auto saved = nlohmann::ordered_json::parse(
      TensorString(state.at("meta.config")), nullptr, false);
  const auto now = ConfigJson(config);
  std::vector<std::string> differing;
  for (auto it = now.begin(); it != now.end(); ++it) {
    if (!saved.is_object() || !saved.contains(it.key()) ||
        saved.at(it.key()) != it.value()) {
      differing.push_back(
          absl::StrCat("--", it.key(), " (checkpoint ",
                       saved.is_object() && saved.contains(it.key())
                           ? saved.at(it.key()).dump()
                           : "absent",
                       ", now ", it.value().dump(), ")"));
    }
  }
  if (!differing.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--resume: the run in ", config.out_dir,
        " was started with other settings: ", absl::StrJoin(differing, ", ")));
  }
  KD_RETURN_IF_ERROR(
      LoadModuleState(state, "model.backbone.", path, model.backbone.get()));
  KD_RETURN_IF_ERROR(
      LoadModuleState(state, "model.head.", path, model.head.get()));
  KD_RETURN_IF_ERROR(LoadModuleState(state, "losses.", path, losses.get()));
  KD_RETURN_IF_ERROR(
      LoadSgdState(state, "opt.", path, *trainable, optimizer.get()));
  if (teacher_head) {
    KD_RETURN_IF_ERROR(
        LoadModuleState(state, "teacher_head.", path, teacher_head.get()));
    if (head_optimizer) {
      KD_RETURN_IF_ERROR(LoadSgdState(state, "teacher_head_opt.", path,
                                      *teacher_head, head_optimizer.get()));
    }
  }
  start_epoch = state.at("meta.epoch").item<int64_t>();
  best_top1 = state.at("meta.best_top1").item<double>();
  best_epoch = state.at("meta.best_epoch").item<int64_t>();
  teacher_top1 = state.at("meta.teacher_top1").item<double>();
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(state.at("meta.rng_cpu"));
  }
  KD_RETURN_IF_ERROR(metrics->TruncateTo(start_epoch));
  LOG(INFO) << "resuming " << path << " after epoch " << start_epoch << " of "
            << config.epochs;
  return absl::OkStatus();
}

void Trainer::Impl::SetLr(double lr) {
  for (auto& group : optimizer->param_groups()) {
    static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
  }
}

absl::StatusOr<EvalStats> Trainer::Impl::EvaluateModel() {
  torch::NoGradGuard no_grad;
  model.Train(false);
  EvalStats stats;
  double loss_sum = 0;
  int64_t top1 = 0, top5 = 0;
  eval_loader->StartEpoch(0);
  while (true) {
    KD_ASSIGN_OR_RETURN(std::optional<Batch> batch, eval_loader->Next());
    if (!batch) break;
    const torch::Tensor labels = batch->labels.to(device);
    const torch::Tensor logits =
        model.Forward(batch->images.to(device)).head.logits;
    loss_sum +=
        at::cross_entropy_loss(logits, labels).item<double>() * labels.size(0);
    const int64_t k = std::min<int64_t>(5, logits.size(1));
    const torch::Tensor topk = std::get<1>(logits.topk(k, 1));
    const torch::Tensor hit = topk.eq(labels.unsqueeze(1));
    top1 += hit.select(1, 0).sum().item<int64_t>();
    top5 += hit.any(1).sum().item<int64_t>();
    stats.count += labels.size(0);
  }
  if (stats.count > 0) {
    stats.top1 = 100.0 * top1 / stats.count;
    stats.top5 = 100.0 * top5 / stats.count;
    stats.loss = loss_sum / stats.count;
  }
  return stats;
}

absl::StatusOr<EvalStats> Trainer::Impl::EvaluateTeacherHead() {
  EvalStats stats;
  if (cached_teacher) {
    // A feature cache holds the training split only: no teacher accuracy.
    stats.top1 = -1;
    return stats;
  }
  torch::NoGradGuard no_grad;
  teacher_head->eval();
  int64_t top1 = 0;
  eval_loader->StartEpoch(0);
  while (true) {
    KD_ASSIGN_OR_RETURN(std::optional<Batch> batch, eval_loader->Next());
    if (!batch) break;
    TeacherInputs inputs;
    inputs.images = (batch->teacher_images.defined() ? batch->teacher_images
                                                     : batch->images)
                        .to(device);
    inputs.indices = batch->indices.to(device);
    KD_ASSIGN_OR_RETURN(BackboneOutput out, teacher->Forward(inputs));
    const torch::Tensor logits = teacher_head->Forward(out.pooled).logits;
    top1 += CountCorrect(logits, batch->labels.to(device));
    stats.count += batch->labels.size(0);
  }
  if (stats.count > 0) stats.top1 = 100.0 * top1 / stats.count;
  return stats;
}

absl::Status Trainer::Impl::TrainTeacherHead() {
  LOG(INFO) << "sequential: training the teacher head for "
            << config.teacher_head_epochs << " epochs (lr "
            << config.teacher_head_lr << "), then freezing it";
  for (int64_t epoch = 0; epoch < config.teacher_head_epochs; ++epoch) {
    teacher_head->train();
    train_loader->StartEpoch(1000000 + epoch);  // its own orders
    double loss_sum = 0;
    int64_t count = 0;
    while (true) {
      KD_ASSIGN_OR_RETURN(std::optional<Batch> batch, train_loader->Next());
      if (!batch) break;
      TeacherInputs inputs;
      inputs.images = (batch->teacher_images.defined() ? batch->teacher_images
                                                       : batch->images)
                          .to(device);
      inputs.indices = batch->indices.to(device);
      KD_ASSIGN_OR_RETURN(BackboneOutput out, teacher->Forward(inputs));
      const torch::Tensor labels = batch->labels.to(device);
      const torch::Tensor loss = at::cross_entropy_loss(
          teacher_head->Forward(out.pooled.detach()).logits, labels);
      if (!std::isfinite(loss.item<double>())) {
        return absl::InvalidArgumentError(
            absl::StrCat("teacher head training, epoch ", epoch + 1,
                         ": loss term 'teacher_head/ce' is not finite"));
      }
      head_optimizer->zero_grad();
      loss.backward();
      head_optimizer->step();
      loss_sum += loss.item<double>() * labels.size(0);
      count += labels.size(0);
    }
    LOG(INFO) << "teacher head epoch " << epoch + 1 << "/"
              << config.teacher_head_epochs << ": ce "
              << loss_sum / std::max<int64_t>(count, 1);
  }
  for (auto& p : teacher_head->parameters()) p.set_requires_grad(false);
  return absl::OkStatus();
}

absl::Status Trainer::Impl::WritePytorchFiles(const std::string& suffix) const {
  TensorMap backbone, head;
  AddModuleState(*model.backbone, "", &backbone);
  AddModuleState(*model.head, "", &head);
  KD_RETURN_IF_ERROR(
      SaveTensorMap(Path(absl::StrCat(role, "_", suffix, ".pt")), backbone));
  return SaveTensorMap(Path(absl::StrCat(role, "_head_", suffix, ".pt")), head);
}

absl::Status Trainer::Impl::WriteCurves() const {
  KD_ASSIGN_OR_RETURN(std::vector<EpochRecord> records, metrics->ReadAll());
  if (records.empty()) return absl::OkStatus();
  plot::Series train{"train error (%)", {}, {}, 0, true};
  plot::Series test{"test error (%)", {}, {}, 0, false};
  plot::Series teacher_series{"teacher test error (%)", {}, {}, 1, false};
  for (const auto& r : records) {
    train.x.push_back(r.epoch);
    train.y.push_back(100.0 - r.Get("train_top1"));
    test.x.push_back(r.epoch);
    test.y.push_back(100.0 - r.Get("test_top1"));
    const double t = r.Get("teacher_top1", -1);
    if (t >= 0) {
      teacher_series.x.push_back(r.epoch);
      teacher_series.y.push_back(100.0 - t);
    }
  }
  std::vector<plot::Series> series = {train, test};
  if (!teacher_series.x.empty()) series.push_back(teacher_series);
  plot::LineChartOptions options;
  options.title = absl::StrCat(role, " ", model.spec.backbone, " on ",
                               config.dataset, ": learning curves");
  options.y_label = "error (%)";
  options.y_from_zero = true;
  options.markers = records.size() <= 30;
  return plot::WriteLineChartPng(Path("learning_curve.png"), series, options);
}

Trainer::Trainer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Trainer::~Trainer() = default;

absl::StatusOr<std::unique_ptr<Trainer>> Trainer::Create(
    const RunConfig& config) {
  auto impl = std::make_unique<Impl>();
  impl->config = config;
  KD_RETURN_IF_ERROR(impl->SetUp());
  return std::unique_ptr<Trainer>(new Trainer(std::move(impl)));
}

absl::StatusOr<RunResult> Trainer::Run() {
  Impl& s = *impl_;
  const RunConfig& c = s.config;
  const auto t0 = std::chrono::steady_clock::now();
  RunResult result;
  result.train_examples = s.train_set->size();
  result.eval_examples = s.eval_set->size();

  LOG(INFO) << "mode " << TrainModeName(c.mode) << ": training " << s.role
            << " " << s.model.spec.backbone << " (embed "
            << s.model.spec.embed_dim << ") on " << c.dataset << " ("
            << s.train_set->size() << " train / " << s.eval_set->size() << " "
            << c.eval_split << " images, " << s.num_classes << " classes, "
            << s.input_size << "x" << s.input_size << "), losses "
            << s.losses->Describe() << ", " << c.epochs << " epochs, batch "
            << c.batch_size << ", lr " << c.schedule.base_lr << " ("
            << c.schedule.kind << "), seed " << c.seed << ", "
            << torch::get_num_threads() << " threads";
  if (s.teacher) {
    if (c.mode == TrainMode::kSequential && s.start_epoch == 0 &&
        s.teacher_head_source.empty()) {
      KD_RETURN_IF_ERROR(s.TrainTeacherHead());
    }
    if (s.start_epoch == 0 && !s.teacher_head_source.empty()) {
      KD_ASSIGN_OR_RETURN(EvalStats t, s.EvaluateTeacherHead());
      s.teacher_top1 = t.top1;
    } else if (s.start_epoch == 0 && c.mode == TrainMode::kSequential) {
      KD_ASSIGN_OR_RETURN(EvalStats t, s.EvaluateTeacherHead());
      s.teacher_top1 = t.top1;
    }
    LOG(INFO) << "teacher " << s.teacher->Describe() << ", head "
              << (s.teacher_head_source.empty()
                      ? std::string(c.mode == TrainMode::kSimultaneous
                                        ? "fresh, trained alongside"
                                        : "trained first")
                      : "from " + s.teacher_head_source)
              << ": teacher top-1 "
              << (s.teacher_top1 >= 0
                      ? absl::StrFormat("%.2f%%", s.teacher_top1)
                  : s.cached_teacher ? std::string("n/a (feature cache)")
                                     : std::string("n/a (untrained head)"));
    const char* no_accuracy =
        s.cached_teacher ? "n/a (a feature cache holds the training split only)"
                         : "n/a (head not trained yet)";
    std::fprintf(stderr, "teacher accuracy at start: %s\n",
                 s.teacher_top1 >= 0
                     ? absl::StrFormat("%.2f%% top-1", s.teacher_top1).c_str()
                     : no_accuracy);
  }

  ProgressReporter progress(c.progress_bar &&
                            ProgressReporter::IsTerminal(stderr));
  const int64_t steps_per_epoch =
      c.max_steps_per_epoch > 0
          ? std::min(c.max_steps_per_epoch, s.train_loader->batches_per_epoch())
          : s.train_loader->batches_per_epoch();
  int64_t epochs_this_process = 0;
  EvalStats last_eval;
  for (int64_t epoch = s.start_epoch; epoch < c.epochs; ++epoch) {
    const auto e0 = std::chrono::steady_clock::now();
    s.model.Train(true);
    s.losses->train();
    if (s.train_teacher_head) s.teacher_head->train();
    s.train_loader->StartEpoch(epoch);
    if (s.cached_teacher) {
      // The cached views drawn in this epoch depend only on (seed, epoch,
      // step, index), so a resumed run draws what an unbroken one does.
      s.cached_teacher->set_step(epoch * s.train_loader->batches_per_epoch());
    }
    progress.StartEpoch(epoch + 1, c.epochs, steps_per_epoch);
    std::vector<std::pair<std::string, double>> term_sums;
    double total_sum = 0, teacher_ce_sum = 0;
    int64_t seen = 0, correct = 0, teacher_correct = 0;
    for (int64_t step = 0; step < steps_per_epoch; ++step) {
      KD_ASSIGN_OR_RETURN(std::optional<Batch> batch, s.train_loader->Next());
      if (!batch) break;
      const std::string where =
          absl::StrCat("epoch ", epoch + 1, "/", c.epochs, ", step ", step + 1,
                       "/", steps_per_epoch);
      s.SetLr(s.schedule->At(epoch, step, steps_per_epoch));
      const torch::Tensor images = batch->images.to(s.device);
      const torch::Tensor labels = batch->labels.to(s.device);
      const torch::Tensor indices = batch->indices.to(s.device);
      Network::Output out = s.model.Forward(images);
      LossInputs inputs;
      inputs.student_embed = out.head.embedding;
      inputs.student_logits = out.head.logits;
      inputs.labels = labels;
      inputs.indices = indices;
      inputs.student = &out.backbone;
      BackboneOutput tout;
      torch::Tensor teacher_ce;
      if (s.teacher) {
        TeacherInputs tin;
        tin.images = (batch->teacher_images.defined() ? batch->teacher_images
                                                      : batch->images)
                         .to(s.device);
        tin.indices = indices;
        KD_ASSIGN_OR_RETURN(tout, s.teacher->Forward(tin));
        EmbeddingHeadOutput th;
        if (s.train_teacher_head) {
          th = s.teacher_head->Forward(tout.pooled.detach());
          teacher_ce = at::cross_entropy_loss(th.logits, labels);
        } else {
          torch::NoGradGuard no_grad;
          s.teacher_head->eval();
          th = s.teacher_head->Forward(tout.pooled);
        }
        inputs.teacher_embed = th.embedding.detach();
        inputs.teacher_logits = th.logits.detach();
        inputs.teacher = &tout;
        teacher_correct += CountCorrect(th.logits.detach(), labels);
      }
      auto value = s.losses->Compute(inputs);
      if (!value.ok()) {
        progress.Finish();
        return absl::Status(
            value.status().code(),
            absl::StrCat(where, ": ", value.status().message()));
      }
      const double total = value->total.item<double>();
      if (!std::isfinite(total)) {
        progress.Finish();
        return absl::InvalidArgumentError(
            absl::StrCat(where, ": total loss is ", total));
      }
      s.optimizer->zero_grad();
      value->total.backward();
      s.optimizer->step();
      if (teacher_ce.defined()) {
        const double tce = teacher_ce.item<double>();
        if (!std::isfinite(tce)) {
          progress.Finish();
          return absl::InvalidArgumentError(
              absl::StrCat(where, ": loss term 'teacher_head/ce' is ", tce));
        }
        s.head_optimizer->zero_grad();
        teacher_ce.backward();
        s.head_optimizer->step();
        teacher_ce_sum += tce * labels.size(0);
      }
      const int64_t b = labels.size(0);
      seen += b;
      total_sum += total * b;
      correct += CountCorrect(out.head.logits.detach(), labels);
      if (term_sums.empty()) {
        for (const auto& [name, t] : value->terms)
          term_sums.emplace_back(name, 0);
      }
      for (size_t i = 0; i < value->terms.size() && i < term_sums.size(); ++i) {
        term_sums[i].second += value->terms[i].second.item<double>() * b;
      }
      std::vector<std::pair<std::string, double>> shown = {
          {"loss", total_sum / seen}};
      for (const auto& [name, sum] : term_sums)
        shown.emplace_back(name, sum / seen);
      progress.Step(step + 1, b, shown);
    }
    progress.Finish();
    const double train_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - e0)
            .count();
    KD_ASSIGN_OR_RETURN(last_eval, s.EvaluateModel());
    if (s.train_teacher_head) {
      KD_ASSIGN_OR_RETURN(EvalStats t, s.EvaluateTeacherHead());
      s.teacher_top1 = t.top1;
    }
    const bool is_best = last_eval.top1 > s.best_top1;
    if (is_best) {
      s.best_top1 = last_eval.top1;
      s.best_epoch = epoch + 1;
    }
    EpochRecord record;
    record.epoch = epoch + 1;
    record.values = {
        {"lr", s.schedule->At(epoch, 0, steps_per_epoch)},
        {"train_loss", seen ? total_sum / seen : 0},
    };
    for (const auto& [name, sum] : term_sums) {
      record.values.emplace_back("train_" + name, seen ? sum / seen : 0);
    }
    record.values.emplace_back("train_top1", seen ? 100.0 * correct / seen : 0);
    if (s.teacher) {
      if (s.train_teacher_head) {
        record.values.emplace_back("train_teacher_head_ce",
                                   seen ? teacher_ce_sum / seen : 0);
      }
      record.values.emplace_back("train_teacher_top1",
                                 seen ? 100.0 * teacher_correct / seen : 0);
      record.values.emplace_back("teacher_top1", s.teacher_top1);
    }
    record.values.emplace_back("test_loss", last_eval.loss);
    record.values.emplace_back("test_top1", last_eval.top1);
    record.values.emplace_back("test_top5", last_eval.top5);
    record.values.emplace_back("best_top1", s.best_top1);
    record.values.emplace_back("images_per_s",
                               train_seconds > 0 ? seen / train_seconds : 0);
    record.values.emplace_back("epoch_seconds", train_seconds);
    KD_RETURN_IF_ERROR(s.metrics->Append(record));
    LOG(INFO) << absl::StrFormat(
        "epoch %d/%d: train loss %.4f, train top-1 %.2f%%, %s top-1 %.2f%% "
        "top-5 %.2f%% (best %.2f%% at epoch %d)%s, %.0f img/s",
        epoch + 1, c.epochs, seen ? total_sum / seen : 0.0,
        seen ? 100.0 * correct / seen : 0.0, c.eval_split, last_eval.top1,
        last_eval.top5, s.best_top1, s.best_epoch,
        s.teacher && s.teacher_top1 >= 0
            ? absl::StrFormat(", teacher head %.2f%%", s.teacher_top1)
            : std::string(),
        train_seconds > 0 ? seen / train_seconds : 0.0);

    const TensorMap state = s.State(epoch + 1);
    KD_RETURN_IF_ERROR(SaveTensorMap(s.Path("checkpoint.pt"), state));
    if (is_best) {
      KD_RETURN_IF_ERROR(SaveTensorMap(s.Path("best.pt"), state));
      KD_RETURN_IF_ERROR(s.WritePytorchFiles("best"));
    }
    result.last_train_loss = seen ? total_sum / seen : 0;
    ++epochs_this_process;
    result.epochs_done = epoch + 1;
    if (c.stop_after_epochs > 0 && epochs_this_process >= c.stop_after_epochs &&
        epoch + 1 < c.epochs) {
      LOG(INFO) << "stopping after " << epochs_this_process
                << " epochs (--stop_after_epochs); continue with --resume";
      result.stopped_early = true;
      break;
    }
  }
  if (!result.stopped_early) {
    if (result.epochs_done == 0) {
      // Nothing left to train (resumed a finished run): evaluate once.
      result.epochs_done = s.start_epoch;
      KD_ASSIGN_OR_RETURN(last_eval, s.EvaluateModel());
    }
    KD_RETURN_IF_ERROR(s.WritePytorchFiles("final"));
    const absl::Status curves = s.WriteCurves();
    if (!curves.ok()) LOG(WARNING) << "learning curve: " << curves.message();
  }
  result.last_top1 = last_eval.top1;
  result.last_top5 = last_eval.top5;
  result.best_top1 = s.best_top1;
  result.best_epoch = s.best_epoch;
  result.teacher_top1 = s.teacher ? s.teacher_top1 : -1;
  result.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
          .count();
  nlohmann::ordered_json summary;
  summary["mode"] = TrainModeName(c.mode);
  summary["role"] = s.role;
  summary["network"] = s.model.spec.backbone;
  summary["teacher"] = c.mode == TrainMode::kTeacher ? "" : c.teacher;
  summary["dataset"] = c.dataset;
  summary["losses"] = s.losses->Describe();
  summary["train_examples"] = result.train_examples;
  summary["eval_examples"] = result.eval_examples;
  summary["epochs"] = c.epochs;
  summary["epochs_done"] = result.epochs_done;
  summary["finished"] = !result.stopped_early;
  summary["last_top1"] = result.last_top1;
  summary["last_top5"] = result.last_top5;
  summary["best_top1"] = result.best_top1;
  summary["best_epoch"] = result.best_epoch;
  summary["teacher_top1"] = result.teacher_top1;
  summary["seconds"] = result.seconds;
  std::ofstream(s.Path("summary.json")) << summary.dump(2) << "\n";
  return result;
}

}  // namespace kd
