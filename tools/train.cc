// train: trains a teacher, or distils a student from a teacher, with any
// registered backbone, data set and weighted combination of losses.
//
//   train --mode=teacher --teacher=resnet20 --out_dir=runs/teacher
//   train --mode=simultaneous --teacher=resnet20
//         --teacher_checkpoint=runs/teacher/best.pt --student=resnet8
//         --loss=ce --loss=ega:node=0.8,edge=0.24 --out_dir=runs/ega
//
// Exit codes: 0 done, 2 bad input (nothing trained), 1 training failed
// (e.g. a non-finite loss, named with its epoch and step).
#include <cstdio>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "backbones/backbone.h"
#include "gflags/gflags.h"
#include "glog/logging.h"
#include "kd/data/dataset.h"
#include "kd/train/cli.h"
#include "kd/train/run_config.h"
#include "kd/train/trainer.h"
#include "losses/loss_set.h"

// Data.
DEFINE_string(dataset, "fashion_mnist",
              "registered data set (see --help for the list)");
DEFINE_string(data_dir, "",
              "data set directory; empty: the reader's default location");
DEFINE_string(eval_split, "test", "split evaluated after each epoch");
DEFINE_int64(train_subset, 0,
             "> 0: train on a class-balanced subset of this many images");
DEFINE_int64(eval_subset, 0,
             "> 0: evaluate on a class-balanced subset of this many images");
DEFINE_int32(input_size, 0,
             "network input side; 0: the image side, zero-padded to 32 if "
             "smaller (28x28 Fashion-MNIST becomes 32x32x3)");
DEFINE_bool(augment, true,
            "random crop (4 px padding at 32) + horizontal flip");
DEFINE_string(
    normalize, "cifar",
    "normalisation: cifar, imagenet, clip, none or m0,m1,m2/s0,s1,s2");
DEFINE_bool(independent_teacher_view, true,
            "the teacher sees its own random crop/flip of each image (the "
            "reference); false: the student's view");
DEFINE_int32(loader_workers, 2, "data loader worker threads");

// Networks.
DEFINE_string(mode, "simultaneous",
              "teacher (train --teacher on labels), sequential (distil from a "
              "frozen teacher and frozen teacher head) or simultaneous (distil "
              "while the teacher head trains on CE alongside)");
DEFINE_string(student, "resnet8", "student backbone (distillation modes)");
DEFINE_string(teacher, "",
              "teacher backbone: trained in --mode=teacher, else loaded from "
              "--teacher_checkpoint");
DEFINE_string(
    teacher_checkpoint, "",
    "teacher weights: a checkpoint of --mode=teacher (best.pt, "
    "checkpoint.pt; brings the teacher head) or a PyTorch state dict");
DEFINE_string(teacher_head_checkpoint, "",
              "teacher head weights (e.g. teacher_head_best.pt); overrides the "
              "head in --teacher_checkpoint");
DEFINE_bool(fresh_teacher_head, false,
            "simultaneous: start the teacher head from scratch (the reference) "
            "even when the teacher checkpoint holds a trained one");
DEFINE_int64(teacher_head_epochs, 0,
             "sequential without a trained head: epochs to train it first");
DEFINE_double(teacher_head_lr, 0.01,
              "learning rate of the teacher head's own SGD (no weight decay)");
DEFINE_int64(embed_dim, 256, "width of the student's node embedding");
DEFINE_int64(teacher_embed_dim, 256, "width of the teacher's node embedding");

// Objective.
DEFINE_string(loss, "ce",
              "loss spec, repeatable or ';'/','-separated: "
              "--loss=ce --loss=ega:node=0.8,edge=0.24 or "
              "--loss='ce:weight=0.1;kd:weight=0.9,T=4'");

// Optimisation.
DEFINE_int64(epochs, 240, "training epochs");
DEFINE_int64(batch_size, 64, "batch size");
DEFINE_double(lr, 0.05,
              "initial learning rate (the reference: 0.05; 0.01 for "
              "ShuffleNet/MobileNet students)");
DEFINE_double(momentum, 0.9, "SGD momentum");
DEFINE_double(weight_decay, 5e-4, "SGD weight decay");
DEFINE_string(lr_schedule, "multistep", "multistep, cosine or constant");
DEFINE_string(lr_milestones, "150,180,210",
              "multistep: epochs after which the rate is multiplied by "
              "--lr_decay");
DEFINE_double(lr_decay, 0.1, "multistep: factor at each milestone");
DEFINE_double(lr_min, 0.0, "cosine: final learning rate");
DEFINE_double(warmup_epochs, 0,
              "linear warm-up length in epochs (any schedule)");

// Run.
DEFINE_uint64(seed, 0, "seed of initialisation, shuffling and augmentation");
DEFINE_int32(threads, 0, "libtorch intra-op threads; 0: all cores");
DEFINE_string(device, "cpu", "cpu, cuda or cuda:N");
DEFINE_string(out_dir, "", "directory for checkpoints, metrics and plots");
DEFINE_bool(resume, false, "continue the run in --out_dir from checkpoint.pt");
DEFINE_bool(progress, true, "progress bar when stderr is a terminal");
DEFINE_int64(max_steps_per_epoch, 0, "> 0: cut every epoch short (smoke runs)");
DEFINE_int64(stop_after_epochs, 0,
             "> 0: stop this process after that many epochs, as if killed "
             "(leaves checkpoint.pt for --resume)");

namespace {

std::string PluginHelp() {
  return absl::StrCat("Data sets:\n", kd::Dataset::Registry::Global().Help(),
                      "\nBackbones:\n", kd::Backbone::Registry::Global().Help(),
                      "\nLosses:\n", kd::LossSet::Help());
}

}  // namespace

int main(int argc, char** argv) {
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);
  kd::CliSpec spec;
  spec.program = "train";
  spec.usage =
      "trains a teacher (--mode=teacher) or distils a student from a teacher "
      "(--mode=sequential|simultaneous). Bad input exits with code 2 before "
      "training starts.";
  spec.repeatable = {"loss"};
  spec.help_files = {"tools/train.cc"};
  spec.extra_help = PluginHelp;
  const kd::ParsedCli cli = kd::ParseCommandLineOrExit(spec, argc, argv);

  kd::RunConfig config;
  auto mode = kd::ParseTrainMode(FLAGS_mode);
  if (!mode.ok()) return kd::ReportBadInput("train", mode.status());
  config.mode = *mode;
  config.dataset = FLAGS_dataset;
  config.data_dir = FLAGS_data_dir;
  config.eval_split = FLAGS_eval_split;
  config.train_subset = FLAGS_train_subset;
  config.eval_subset = FLAGS_eval_subset;
  config.input_size = FLAGS_input_size;
  config.augment = FLAGS_augment;
  config.normalize = FLAGS_normalize;
  config.independent_teacher_view = FLAGS_independent_teacher_view;
  config.loader_workers = FLAGS_loader_workers;
  config.student = FLAGS_student;
  config.teacher = FLAGS_teacher;
  config.teacher_checkpoint = FLAGS_teacher_checkpoint;
  config.teacher_head_checkpoint = FLAGS_teacher_head_checkpoint;
  config.fresh_teacher_head = FLAGS_fresh_teacher_head;
  config.teacher_head_epochs = FLAGS_teacher_head_epochs;
  config.teacher_head_lr = FLAGS_teacher_head_lr;
  config.embed_dim = FLAGS_embed_dim;
  config.teacher_embed_dim = FLAGS_teacher_embed_dim;
  auto loss_values = cli.repeated.find("loss");
  config.losses = kd::SplitLossSpecs(loss_values == cli.repeated.end()
                                         ? std::vector<std::string>{FLAGS_loss}
                                         : loss_values->second);
  config.epochs = FLAGS_epochs;
  config.batch_size = FLAGS_batch_size;
  config.momentum = FLAGS_momentum;
  config.weight_decay = FLAGS_weight_decay;
  config.schedule.kind = FLAGS_lr_schedule;
  config.schedule.base_lr = FLAGS_lr;
  auto milestones = kd::ParseIntList("lr_milestones", FLAGS_lr_milestones);
  if (!milestones.ok()) return kd::ReportBadInput("train", milestones.status());
  config.schedule.milestones = *milestones;
  config.schedule.gamma = FLAGS_lr_decay;
  config.schedule.min_lr = FLAGS_lr_min;
  config.schedule.epochs = FLAGS_epochs;
  config.schedule.warmup_epochs = FLAGS_warmup_epochs;
  config.seed = FLAGS_seed;
  config.threads = FLAGS_threads;
  config.device = FLAGS_device;
  config.out_dir = FLAGS_out_dir;
  config.resume = FLAGS_resume;
  config.progress_bar = FLAGS_progress;
  config.max_steps_per_epoch = FLAGS_max_steps_per_epoch;
  config.stop_after_epochs = FLAGS_stop_after_epochs;

  auto trainer = kd::Trainer::Create(config);
  if (!trainer.ok()) return kd::ReportBadInput("train", trainer.status());
  auto result = (*trainer)->Run();
  if (!result.ok()) {
    LOG(ERROR) << "training stopped: " << result.status().message();
    std::fprintf(stderr, "train: training stopped: %s\n",
                 std::string(result.status().message()).c_str());
    return 1;
  }
  std::printf(
      "%s: %lld/%lld epochs, %lld train / %lld eval images: last top-1 "
      "%.2f%%, best top-1 %.2f%% (epoch %lld)%s, %.1f s\n",
      config.mode == kd::TrainMode::kTeacher ? "teacher" : "student",
      static_cast<long long>(result->epochs_done),
      static_cast<long long>(config.epochs),
      static_cast<long long>(result->train_examples),
      static_cast<long long>(result->eval_examples), result->last_top1,
      result->best_top1, static_cast<long long>(result->best_epoch),
      result->teacher_top1 >= 0
          ? absl::StrCat(", teacher head top-1 ", result->teacher_top1, "%")
                .c_str()
          : "",
      result->seconds);
  return 0;
}
