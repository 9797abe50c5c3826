#include "kd/train/teacher_side.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "glog/logging.h"
#include "kd/base/device.h"
#include "kd/status_macros.h"
#include "kd/teacher/teacher_setup.h"
#include "kd/train/sgd_state.h"

namespace kd {

LrSchedule HeadFirstSchedule(double base_lr, int64_t epochs) {
  LrScheduleConfig config;
  config.kind = "multistep";
  config.base_lr = base_lr;
  config.epochs = std::max<int64_t>(epochs, 1);
  config.milestones.clear();
  for (const double fraction : {150.0 / 240, 180.0 / 240, 210.0 / 240}) {
    const int64_t m = std::llround(fraction * epochs);
    if (m >= 1 && m < epochs &&
        (config.milestones.empty() || m > config.milestones.back())) {
      config.milestones.push_back(m);
    }
  }
  absl::StatusOr<LrSchedule> schedule = LrSchedule::Create(config);
  CHECK(schedule.ok()) << schedule.status();  // valid by construction
  return *schedule;
}

absl::StatusOr<std::unique_ptr<TeacherSide>> TeacherSide::Create(
    const RunConfig& config, const TeacherSpec& spec,
    const torch::Device& device) {
  absl::StatusOr<LoadedTeacher> loaded = LoadTeacher(spec);
  if (!loaded.ok()) return WithPrefix("--teacher: ", loaded.status());
  std::unique_ptr<TeacherSide> side(new TeacherSide());
  side->head_epochs_ = config.teacher_head_epochs;
  side->teacher_ = std::move(loaded->teacher);
  side->head_ = loaded->head;
  side->head_source_ = loaded->head_source;
  // The head the run starts from: the loaded one, or a fresh one.
  const bool fresh_head = config.fresh_teacher_head || !loaded->head_loaded;
  if (fresh_head) {
    side->head_ = EmbeddingHead(side->teacher_->feature_dim(),
                                config.teacher_embed_dim, spec.num_classes);
    side->head_source_ = "";
  }
  if (config.mode == TrainMode::kSimultaneous) {
    side->policy_ = HeadPolicy::kTrainedAlongside;
  } else if (!fresh_head) {
    side->policy_ = HeadPolicy::kFrozen;
  } else if (config.teacher_head_epochs > 0) {
    side->policy_ = HeadPolicy::kTrainedFirst;
  } else if (config.fresh_teacher_head) {
    return absl::InvalidArgumentError(
        "--fresh_teacher_head with --mode=sequential trains the head first: "
        "give --teacher_head_epochs > 0");
  } else {
    return absl::InvalidArgumentError(
        "--mode=sequential needs a trained teacher head: a "
        "--teacher_checkpoint written by --mode=teacher, a "
        "--teacher_head_checkpoint, or --teacher_head_epochs > 0 to train "
        "it first");
  }
  side->To(device);
  side->teacher_->SetCompute(*ParsePrecision(config.precision),  // validated
                             config.channels_last);
  for (auto& p : side->head_->parameters()) {
    p.set_requires_grad(side->policy_ != HeadPolicy::kFrozen);
  }
  // The reference: the teacher head's own SGD, lr 0.01, weight decay 5e-4.
  torch::optim::SGDOptions options(config.teacher_head_lr);
  options.momentum(config.momentum)
      .weight_decay(config.teacher_head_weight_decay);
  side->head_optimizer_ =
      std::make_unique<torch::optim::SGD>(side->head_->parameters(), options);
  return side;
}

void TeacherSide::To(const torch::Device& device) {
  teacher_->To(device);
  head_->to(device);
  device_ = device;
}

torch::Tensor TeacherSide::TeacherImages(const Batch& batch) const {
  return ToDevice(
      batch.teacher_images.defined() ? batch.teacher_images : batch.images,
      device_);
}

absl::StatusOr<TeacherSide::Output> TeacherSide::Forward(
    const Batch& batch, const torch::Tensor& labels, bool stage_maps) {
  TeacherInputs inputs;
  inputs.images = TeacherImages(batch);
  inputs.indices = ToDevice(batch.indices, device_);
  inputs.stage_maps = stage_maps;
  Output out;
  KD_ASSIGN_OR_RETURN(out.features, teacher_->Forward(inputs));
  if (head_trains_alongside()) {
    out.head = head_->Forward(out.features.pooled.detach());
    out.head_ce = at::cross_entropy_loss(out.head.logits, labels);
  } else {
    torch::NoGradGuard no_grad;
    head_->eval();
    out.head = head_->Forward(out.features.pooled);
  }
  out.head.embedding = out.head.embedding.detach();
  out.head.logits = out.head.logits.detach();
  return out;
}

absl::Status TeacherSide::StepHead(const torch::Tensor& head_ce) {
  const double value = head_ce.item<double>();
  if (!std::isfinite(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("loss term 'teacher_head/ce' is ", value));
  }
  return HeadSgdStep(head_ce);
}

absl::Status TeacherSide::HeadSgdStep(const torch::Tensor& loss) {
  head_optimizer_->zero_grad();
  if (head_grads_) head_grads_->StartStep();
  loss.backward();
  if (head_grads_) KD_RETURN_IF_ERROR(head_grads_->Finish());
  head_optimizer_->step();
  return absl::OkStatus();
}

absl::Status TeacherSide::EnableDataParallel(std::shared_ptr<DistGroup> group,
                                             int64_t bucket_bytes) {
  group_ = std::move(group);
  KD_RETURN_IF_ERROR(group_->BroadcastModule(*head_, "the teacher head"));
  std::vector<torch::Tensor> trained;
  for (const torch::Tensor& p : head_->parameters()) {
    if (p.requires_grad()) trained.push_back(p);
  }
  if (policy_ != HeadPolicy::kFrozen && !trained.empty()) {
    head_grads_ = std::make_unique<GradientBuckets>(
        *group_, std::move(trained), bucket_bytes, "teacher head gradients");
  }
  return absl::OkStatus();
}

void TeacherSide::StartEpoch(int64_t first_step) {
  if (head_trains_alongside()) head_->train();
  teacher_->StartEpoch(first_step);
}

absl::Status TeacherSide::TrainHeadFirst(DataLoader& train_loader) {
  const double base_lr = head_optimizer_->param_groups()[0].options().get_lr();
  const LrSchedule schedule = HeadFirstSchedule(base_lr, head_epochs_);
  LOG(INFO) << "sequential: training the teacher head for " << head_epochs_
            << " epochs (lr " << base_lr << ", x0.1 after epochs "
            << absl::StrJoin(schedule.config().milestones, ", ")
            << "), then freezing it";
  for (int64_t epoch = 0; epoch < head_epochs_; ++epoch) {
    for (auto& group : head_optimizer_->param_groups()) {
      static_cast<torch::optim::SGDOptions&>(group.options())
          .lr(schedule.At(epoch, 0, 1));
    }
    head_->train();
    train_loader.StartEpoch(1000000 + epoch);  // its own orders
    double loss_sum = 0;
    int64_t count = 0;
    while (true) {
      KD_ASSIGN_OR_RETURN(std::optional<Batch> batch, train_loader.Next());
      if (!batch) break;
      TeacherInputs inputs;
      inputs.images = TeacherImages(*batch);
      inputs.indices = ToDevice(batch->indices, device_);
      KD_ASSIGN_OR_RETURN(BackboneOutput out, teacher_->Forward(inputs));
      const torch::Tensor labels = ToDevice(batch->labels, device_);
      const torch::Tensor loss = at::cross_entropy_loss(
          head_->Forward(out.pooled.detach()).logits, labels);
      if (!std::isfinite(loss.item<double>())) {
        return absl::InvalidArgumentError(
            absl::StrCat("teacher head training, epoch ", epoch + 1,
                         ": loss term 'teacher_head/ce' is not finite"));
      }
      KD_RETURN_IF_ERROR(HeadSgdStep(loss));
      loss_sum += loss.item<double>() * labels.size(0);
      count += labels.size(0);
    }
    LOG(INFO) << "teacher head epoch " << epoch + 1 << "/" << head_epochs_
              << ": ce " << loss_sum / std::max<int64_t>(count, 1);
  }
  head_grads_.reset();  // its hooks go before the head freezes
  for (auto& p : head_->parameters()) p.set_requires_grad(false);
  return absl::OkStatus();
}

absl::StatusOr<double> TeacherSide::Prepare(DataLoader& train_loader,
                                            DataLoader& eval_loader) {
  if (policy_ == HeadPolicy::kTrainedFirst) {
    KD_RETURN_IF_ERROR(TrainHeadFirst(train_loader));
  }
  if (head_trains_alongside() && head_source_.empty()) return -1.0;
  return EvaluateHead(eval_loader);
}

absl::StatusOr<double> TeacherSide::EvaluateHead(DataLoader& loader) {
  if (!teacher_->covers_every_split()) return -1.0;
  torch::NoGradGuard no_grad;
  head_->eval();
  int64_t correct = 0, count = 0;
  loader.StartEpoch(0);
  while (true) {
    KD_ASSIGN_OR_RETURN(std::optional<Batch> batch, loader.Next());
    if (!batch) break;
    TeacherInputs inputs;
    inputs.images = TeacherImages(*batch);
    inputs.indices = ToDevice(batch->indices, device_);
    inputs.stage_maps = false;
    KD_ASSIGN_OR_RETURN(BackboneOutput out, teacher_->Forward(inputs));
    const torch::Tensor logits = head_->Forward(out.pooled).logits;
    correct += logits.argmax(1)
                   .eq(ToDevice(batch->labels, device_))
                   .sum()
                   .item<int64_t>();
    count += batch->labels.size(0);
  }
  if (group_) {
    std::vector<double> sums = {static_cast<double>(correct),
                                static_cast<double>(count)};
    KD_RETURN_IF_ERROR(group_->SumDoubles(sums, "teacher head evaluation"));
    correct = static_cast<int64_t>(sums[0]);
    count = static_cast<int64_t>(sums[1]);
  }
  return count > 0 ? 100.0 * correct / count : 0.0;
}

void TeacherSide::AddState(TensorMap* state) const {
  AddModuleState(*head_, "teacher_head.", state);
  AddSgdState(*head_optimizer_, *head_, "teacher_head_opt.", state);
}

absl::Status TeacherSide::LoadState(const TensorMap& state,
                                    const std::string& source) {
  KD_RETURN_IF_ERROR(
      LoadModuleState(state, "teacher_head.", source, head_.get()));
  return LoadSgdState(state, "teacher_head_opt.", source, *head_,
                      head_optimizer_.get());
}

std::string TeacherSide::Describe(double top1) const {
  std::string head;
  if (!head_source_.empty()) {
    head = "from " + head_source_;
  } else {
    head =
        head_trains_alongside() ? "fresh, trained alongside" : "trained first";
  }
  std::string accuracy;
  if (top1 >= 0) {
    accuracy = absl::StrFormat("%.2f%%", top1);
  } else {
    accuracy = teacher_->covers_every_split() ? "n/a (untrained head)"
                                              : "n/a (feature cache)";
  }
  return absl::StrCat("teacher ", teacher_->Describe(), ", head ", head,
                      ": teacher top-1 ", accuracy);
}

std::string TeacherSide::AccuracyText(double top1) const {
  if (top1 >= 0) return absl::StrFormat("%.2f%% top-1", top1);
  return teacher_->covers_every_split()
             ? "n/a (head not trained yet)"
             : "n/a (a feature cache holds the training split only)";
}

}  // namespace kd
