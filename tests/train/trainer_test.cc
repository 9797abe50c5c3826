// End-to-end tests of the training run on tiny synthetic data (test_blobs,
// test_tiny_cnn): learning, determinism, resume == unbroken, NaN detection,
// architecture mismatch and bad-input errors at set-up.
#include "kd/train/trainer.h"

#include <ATen/ATen.h>
#include <sys/stat.h>
#include <torch/cuda.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <string>

#include "backbones/state_dict.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kd/train/metrics_log.h"
#include "tests/testing/paths.h"
#include "tests/train/test_plugins.h"

namespace kd {
namespace {

using ::kd::testing::FreshTestTempPath;

using ::testing::HasSubstr;

RunConfig TeacherConfig(const std::string& out_dir) {
  return testing::TinyTeacherRunConfig(out_dir);
}

RunResult MustRun(const RunConfig& config) {
  auto trainer = Trainer::Create(config);
  EXPECT_TRUE(trainer.ok()) << trainer.status();
  if (!trainer.ok()) return {};
  auto result = (*trainer)->Run();
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? *result : RunResult{};
}

// Every tensor of two checkpoint files is bitwise equal.
void ExpectSameCheckpoint(const std::string& a, const std::string& b) {
  auto ma = LoadTensorMap(a);
  auto mb = LoadTensorMap(b);
  ASSERT_TRUE(ma.ok()) << ma.status();
  ASSERT_TRUE(mb.ok()) << mb.status();
  ASSERT_EQ(ma->size(), mb->size());
  for (const auto& [name, tensor] : *ma) {
    ASSERT_TRUE(mb->count(name)) << name;
    EXPECT_TRUE(tensor.equal(mb->at(name))) << name;
  }
}

// metrics.jsonl rows equal except wall-clock fields.
void ExpectSameMetrics(const std::string& dir_a, const std::string& dir_b) {
  auto a = MetricsLog(dir_a).ReadAll();
  auto b = MetricsLog(dir_b).ReadAll();
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->size(), b->size());
  for (size_t i = 0; i < a->size(); ++i) {
    EXPECT_EQ((*a)[i].epoch, (*b)[i].epoch);
    ASSERT_EQ((*a)[i].values.size(), (*b)[i].values.size());
    for (size_t j = 0; j < (*a)[i].values.size(); ++j) {
      const auto& [name, value] = (*a)[i].values[j];
      if (name == "images_per_s" || name == "epoch_seconds") continue;
      EXPECT_EQ(name, (*b)[i].values[j].first);
      EXPECT_EQ(value, (*b)[i].values[j].second)
          << name << " at epoch " << (*a)[i].epoch;
    }
  }
}

TEST(TrainerTest, TrainingLowersTheLossAndLearns) {
  ASSERT_EQ(testing::TestPluginsLinked(), 1);
  const std::string dir = FreshTestTempPath("learns");
  RunConfig config = TeacherConfig(dir);
  config.epochs = 10;
  config.batch_size = 8;
  config.lr = 0.1;
  config.lr_milestones = {};
  const RunResult result = MustRun(config);
  auto records = MetricsLog(dir).ReadAll();
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 10u);
  const double first = records->front().Get("train_loss");
  const double last = records->back().Get("train_loss");
  EXPECT_LT(last, 0.5 * first) << "first " << first << " last " << last;
  EXPECT_GT(result.best_top1, 90.0);  // chance is 25%
  EXPECT_EQ(result.epochs_done, 10);
  for (const char* file :
       {"checkpoint.pt", "best.pt", "teacher_final.pt", "teacher_best.pt",
        "teacher_head_final.pt", "metrics.csv", "summary.json",
        "learning_curve.png"}) {
    EXPECT_EQ(access((dir + "/" + file).c_str(), R_OK), 0) << file;
  }
}

TEST(TrainerTest, SameSeedGivesSameWeightsOtherSeedDoesNot) {
  RunConfig a = TeacherConfig(FreshTestTempPath("seed_a"));
  RunConfig b = TeacherConfig(FreshTestTempPath("seed_b"));
  RunConfig c = TeacherConfig(FreshTestTempPath("seed_c"));
  a.epochs = b.epochs = c.epochs = 2;
  a.lr_milestones = b.lr_milestones = c.lr_milestones = {};
  c.seed = 8;
  MustRun(a);
  MustRun(b);
  MustRun(c);
  ExpectSameCheckpoint(a.out_dir + "/checkpoint.pt",
                       b.out_dir + "/checkpoint.pt");
  auto wa = LoadTensorMap(a.out_dir + "/checkpoint.pt");
  auto wc = LoadTensorMap(c.out_dir + "/checkpoint.pt");
  ASSERT_TRUE(wa.ok() && wc.ok());
  EXPECT_FALSE(wa->at("model.backbone.conv1.weight")
                   .equal(wc->at("model.backbone.conv1.weight")));
}

TEST(TrainerTest, EvalEveryEvaluatesEveryNthAndTheLastEpochOnly) {
  RunConfig every = TeacherConfig(FreshTestTempPath("eval_every_1"));
  RunConfig third = TeacherConfig(FreshTestTempPath("eval_every_3"));
  third.eval_every = 3;
  MustRun(every);
  const RunResult result = MustRun(third);
  // Evaluation does not touch training: the same weights either way (the
  // run state's best epoch differs: it is chosen among evaluated epochs).
  auto weights_every = LoadTensorMap(every.out_dir + "/teacher_final.pt");
  auto weights_third = LoadTensorMap(third.out_dir + "/teacher_final.pt");
  ASSERT_TRUE(weights_every.ok() && weights_third.ok());
  ASSERT_EQ(weights_every->size(), weights_third->size());
  for (const auto& [name, tensor] : *weights_every) {
    EXPECT_TRUE(tensor.equal(weights_third->at(name))) << name;
  }
  auto all = MetricsLog(every.out_dir).ReadAll();
  auto some = MetricsLog(third.out_dir).ReadAll();
  ASSERT_TRUE(all.ok() && some.ok());
  ASSERT_EQ(some->size(), 4u);
  for (int i : {0, 1}) {
    EXPECT_TRUE(std::isnan((*some)[i].Get("test_top1", NAN))) << i;
    EXPECT_EQ((*some)[i].Get("train_loss"), (*all)[i].Get("train_loss"));
  }
  for (int i : {2, 3}) {  // epoch 3 (every 3rd) and epoch 4 (the last)
    EXPECT_EQ((*some)[i].Get("test_top1"), (*all)[i].Get("test_top1")) << i;
  }
  EXPECT_EQ(result.last_top1, (*all)[3].Get("test_top1"));
}

TEST(TrainerTest, ResumeAfterStopEqualsUnbrokenRun) {
  RunConfig straight = TeacherConfig(FreshTestTempPath("straight"));
  MustRun(straight);

  RunConfig broken = TeacherConfig(FreshTestTempPath("broken"));
  broken.stop_after_epochs = 2;
  const RunResult first = MustRun(broken);
  EXPECT_TRUE(first.stopped_early);
  EXPECT_EQ(first.epochs_done, 2);
  broken.stop_after_epochs = 0;
  broken.resume = true;
  const RunResult second = MustRun(broken);
  EXPECT_FALSE(second.stopped_early);
  EXPECT_EQ(second.epochs_done, 4);

  ExpectSameCheckpoint(straight.out_dir + "/checkpoint.pt",
                       broken.out_dir + "/checkpoint.pt");
  ExpectSameCheckpoint(straight.out_dir + "/teacher_final.pt",
                       broken.out_dir + "/teacher_final.pt");
  ExpectSameMetrics(straight.out_dir, broken.out_dir);
}

// Distillation: the teacher head (and, simultaneous, its optimiser) and
// the EGA loss are part of the resumed state.
TEST(TrainerTest, DistillationResumeEqualsUnbroken) {
  RunConfig teacher = TeacherConfig(FreshTestTempPath("distil_teacher"));
  teacher.teacher = "test_tiny_cnn:width=6";
  teacher.epochs = 2;
  MustRun(teacher);
  for (TrainMode mode : {TrainMode::kSimultaneous, TrainMode::kSequential}) {
    SCOPED_TRACE(TrainModeName(mode));
    auto student = [&](const std::string& name) {
      RunConfig c =
          TeacherConfig(FreshTestTempPath(name + TrainModeName(mode)));
      c.mode = mode;
      c.student = "test_tiny_cnn";
      c.teacher = "test_tiny_cnn:width=6";
      c.teacher_checkpoint = teacher.out_dir + "/best.pt";
      c.loss = {"ce", "ega:node=0.8,edge=0.24"};
      c.epochs = 3;
      return c;
    };
    RunConfig straight = student("d_straight_");
    const RunResult unbroken = MustRun(straight);
    EXPECT_GE(unbroken.teacher_top1, 0);
    RunConfig broken = student("d_broken_");
    broken.stop_after_epochs = 1;
    MustRun(broken);
    broken.stop_after_epochs = 0;
    broken.resume = true;
    MustRun(broken);
    ExpectSameCheckpoint(straight.out_dir + "/checkpoint.pt",
                         broken.out_dir + "/checkpoint.pt");
    ExpectSameMetrics(straight.out_dir, broken.out_dir);
    auto state = LoadTensorMap(straight.out_dir + "/checkpoint.pt");
    ASSERT_TRUE(state.ok());
    EXPECT_TRUE(state->count("teacher_head.embed.weight"));
    // Only the simultaneous teacher head trains (and has momentum).
    EXPECT_EQ(state->count("teacher_head_opt.embed.weight"),
              mode == TrainMode::kSimultaneous ? 1u : 0u);
    auto records = MetricsLog(straight.out_dir).ReadAll();
    ASSERT_TRUE(records.ok());
    EXPECT_GT(records->back().Get("train_ega/node", -1), 0);
    EXPECT_GT(records->back().Get("train_ega/edge", -1), 0);
  }
}

// --precision=bf16 --channels_last: a distillation run is repeatable,
// resumes to the unbroken run's weights bit for bit, really computes in
// another precision than fp32 (other weights), and writes checkpoints in the
// usual (contiguous) layout.
TEST(TrainerTest, Bf16ChannelsLastRunResumesAndDiffersFromFp32) {
  RunConfig teacher = TeacherConfig(FreshTestTempPath("bf16_teacher"));
  teacher.teacher = "test_tiny_cnn:width=6";
  teacher.epochs = 1;
  MustRun(teacher);
  auto student = [&](const std::string& name, const std::string& precision) {
    RunConfig c = TeacherConfig(FreshTestTempPath(name));
    c.mode = TrainMode::kSequential;
    c.student = "test_tiny_cnn";
    c.teacher = "test_tiny_cnn:width=6";
    c.teacher_checkpoint = teacher.out_dir + "/best.pt";
    c.loss = {"ce", "ega:node=0.8,edge=0.24", "kd:weight=0.5"};
    c.epochs = 3;
    c.precision = precision;
    c.channels_last = precision == "bf16";
    return c;
  };
  RunConfig straight = student("bf16_straight", "bf16");
  MustRun(straight);
  RunConfig broken = student("bf16_broken", "bf16");
  broken.stop_after_epochs = 1;
  MustRun(broken);
  broken.stop_after_epochs = 0;
  broken.resume = true;
  MustRun(broken);
  ExpectSameCheckpoint(straight.out_dir + "/checkpoint.pt",
                       broken.out_dir + "/checkpoint.pt");
  ExpectSameMetrics(straight.out_dir, broken.out_dir);

  RunConfig fp32 = student("bf16_vs_fp32", "fp32");
  MustRun(fp32);
  auto low = LoadTensorMap(straight.out_dir + "/checkpoint.pt");
  auto full = LoadTensorMap(fp32.out_dir + "/checkpoint.pt");
  ASSERT_TRUE(low.ok() && full.ok());
  const torch::Tensor w = low->at("model.backbone.conv1.weight");
  EXPECT_EQ(w.scalar_type(), torch::kFloat);  // master weights stay fp32
  EXPECT_TRUE(w.is_contiguous());
  EXPECT_FALSE(w.equal(full->at("model.backbone.conv1.weight")));
  EXPECT_LT(
      (w - full->at("model.backbone.conv1.weight")).abs().max().item<double>(),
      0.1 * w.abs().max().item<double>());

  RunConfig bad = student("bf16_bad", "fp8");
  EXPECT_THAT(std::string(Trainer::Create(bad).status().message()),
              HasSubstr("--precision: expected fp32, bf16 or fp16, got 'fp8'"));
  RunConfig fp16 = student("fp16_on_cpu", "fp16");
  EXPECT_THAT(std::string(Trainer::Create(fp16).status().message()),
              HasSubstr("--precision: precision fp16 needs a CUDA device "
                        "(found cpu)"));
  RunConfig gpu = student("no_gpu", "fp32");
  gpu.device = "cuda:0";
  if (!torch::cuda::is_available()) {
    EXPECT_THAT(std::string(Trainer::Create(gpu).status().message()),
                HasSubstr("--device: cuda:0: no CUDA device is available"));
  }
}

// The main job compares a plain student (--mode=teacher, CE only) with a
// distilled one. That comparison is fair only if distillation changes
// nothing but the loss: with every distillation weight at zero, a
// sequential or simultaneous student (its own teacher view, a wider teacher
// whose set-up consumes random numbers) must end with the plain student's
// weights bit for bit: same initialisation, batch order, augmentation,
// learning rate and weight decay.
TEST(TrainerTest, ZeroWeightDistillationEqualsThePlainStudent) {
  RunConfig teacher = TeacherConfig(FreshTestTempPath("zero_teacher"));
  teacher.teacher = "test_tiny_cnn:width=6";
  teacher.epochs = 1;
  MustRun(teacher);
  RunConfig plain = TeacherConfig(FreshTestTempPath("zero_plain"));
  plain.epochs = 2;
  MustRun(plain);
  for (TrainMode mode : {TrainMode::kSequential, TrainMode::kSimultaneous}) {
    SCOPED_TRACE(TrainModeName(mode));
    RunConfig c = TeacherConfig(
        FreshTestTempPath(std::string("zero_") + TrainModeName(mode)));
    c.mode = mode;
    c.student = "test_tiny_cnn";
    c.teacher = "test_tiny_cnn:width=6";
    c.teacher_checkpoint = teacher.out_dir + "/best.pt";
    c.loss = {"ce", "ega:node=0,edge=0"};
    c.epochs = 2;
    ASSERT_TRUE(c.independent_teacher_view);
    MustRun(c);
    auto records = MetricsLog(c.out_dir).ReadAll();
    ASSERT_TRUE(records.ok());
    EXPECT_GT(records->back().Get("train_ega/node", -1), 0);
    ExpectSameCheckpoint(plain.out_dir + "/teacher_final.pt",
                         c.out_dir + "/student_final.pt");
    ExpectSameCheckpoint(plain.out_dir + "/teacher_head_final.pt",
                         c.out_dir + "/student_head_final.pt");
  }
}

// Sequential from a plain backbone state dict (no head): the teacher head
// is trained first on CE, then frozen; the run reports its accuracy.
TEST(TrainerTest, SequentialTrainsTheTeacherHeadFirstWhenItHasNone) {
  RunConfig teacher = TeacherConfig(FreshTestTempPath("plain_teacher"));
  MustRun(teacher);
  RunConfig student = TeacherConfig(FreshTestTempPath("seq_head_first"));
  student.mode = TrainMode::kSequential;
  student.student = "test_tiny_cnn";
  student.teacher = "test_tiny_cnn";
  student.teacher_checkpoint = teacher.out_dir + "/teacher_final.pt";
  student.loss = {"ce", "kd:T=4"};
  student.epochs = 1;
  student.lr_milestones = {};
  // Without a head and without head epochs: a clear error.
  auto refused = Trainer::Create(student);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("--teacher_head_epochs"));
  student.teacher_head_epochs = 5;
  student.teacher_head_lr = 0.1;
  const RunResult result = MustRun(student);
  EXPECT_GT(result.teacher_top1, 40.0);  // chance is 25%
  auto state = LoadTensorMap(student.out_dir + "/checkpoint.pt");
  ASSERT_TRUE(state.ok());
  EXPECT_TRUE(state->count("teacher_head.classifier.weight"));
}

TEST(TrainerTest, ResumeRefusesOtherSettingsAndRunsNeedResumeToContinue) {
  RunConfig config = TeacherConfig(FreshTestTempPath("settings"));
  config.stop_after_epochs = 1;
  MustRun(config);
  config.stop_after_epochs = 0;
  auto again = Trainer::Create(config);  // no --resume
  ASSERT_FALSE(again.ok());
  EXPECT_THAT(std::string(again.status().message()),
              HasSubstr("already holds a run"));
  config.resume = true;
  config.batch_size = 32;
  auto other = Trainer::Create(config);
  ASSERT_FALSE(other.ok());
  EXPECT_THAT(std::string(other.status().message()),
              HasSubstr("--batch_size (checkpoint 16, now 32)"));
}

// A run killed before its first checkpoint left a directory without one:
// --resume starts it afresh (and says so), to the same result.
TEST(TrainerTest, ResumeWithoutACheckpointStartsAfresh) {
  RunConfig fresh = TeacherConfig(FreshTestTempPath("afresh_plain"));
  fresh.epochs = 2;
  MustRun(fresh);
  RunConfig resumed = TeacherConfig(FreshTestTempPath("afresh_resumed"));
  resumed.epochs = 2;
  resumed.resume = true;
  ASSERT_EQ(mkdir(resumed.out_dir.c_str(), 0755), 0);  // killed before epoch 1
  const RunResult result = MustRun(resumed);
  EXPECT_EQ(result.epochs_done, 2);
  ExpectSameCheckpoint(fresh.out_dir + "/checkpoint.pt",
                       resumed.out_dir + "/checkpoint.pt");
  ExpectSameMetrics(fresh.out_dir, resumed.out_dir);
}

TEST(TrainerTest, NonFiniteLossNamesTermEpochAndStep) {
  RunConfig config = TeacherConfig(FreshTestTempPath("nan"));
  config.loss = {"ce", "test_nan:after=3"};
  auto trainer = Trainer::Create(config);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  auto result = (*trainer)->Run();
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("test_nan"));
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("boom"));
  EXPECT_THAT(std::string(result.status().message()),
              HasSubstr("epoch 1/4, step 4/"));
}

TEST(TrainerTest, TeacherOfAnotherArchitectureIsAClearError) {
  RunConfig teacher = TeacherConfig(FreshTestTempPath("arch_teacher"));
  teacher.epochs = 1;
  teacher.lr_milestones = {};
  MustRun(teacher);
  RunConfig student = TeacherConfig(FreshTestTempPath("arch_student"));
  student.mode = TrainMode::kSimultaneous;
  student.student = "test_tiny_cnn";
  student.teacher = "test_tiny_cnn:width=6";
  student.teacher_checkpoint = teacher.out_dir + "/best.pt";
  auto trainer = Trainer::Create(student);
  ASSERT_FALSE(trainer.ok());
  const std::string message(trainer.status().message());
  EXPECT_THAT(message, HasSubstr("model.backbone.*"));
  EXPECT_THAT(message, HasSubstr("with another shape: conv1.weight (file [4, "
                                 "3, 3, 3], model [6, 3, 3, 3])"));
  EXPECT_THAT(message, HasSubstr(teacher.out_dir + "/best.pt"));
}

// The losses' contracts are checked against the run before anything trains:
// a loss reading teacher inputs without a teacher, or stage maps of a
// teacher that has none, is a clear error naming the loss and the input.
TEST(TrainerTest, LossesThatReadWhatTheRunLacksFailAtSetUp) {
  RunConfig teacher_mode =
      TeacherConfig(FreshTestTempPath("contract_teacher_mode"));
  teacher_mode.loss = {"ce", "kd:T=4"};
  auto refused = Trainer::Create(teacher_mode);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("--loss: loss 'kd:T=4' reads teacher logits"));
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("without a teacher"));

  RunConfig scripted = TeacherConfig(FreshTestTempPath("contract_torchscript"));
  scripted.mode = TrainMode::kSimultaneous;
  scripted.student = "test_tiny_cnn";
  scripted.teacher =
      "torchscript:" +
      ::kd::testing::RunfilePath("tests/teacher/testdata/tiny_teacher.pt");
  scripted.loss = {"ce", "irg:tran_from=1,tran_to=2"};
  refused = Trainer::Create(scripted);
  ASSERT_FALSE(refused.ok());
  const std::string message(refused.status().message());
  EXPECT_THAT(message, HasSubstr("loss 'irg:tran_from=1,tran_to=2' reads "
                                 "teacher stage feature maps, which this run "
                                 "does not provide"));
  EXPECT_THAT(message, HasSubstr("teacher torchscript:tiny_teacher.pt"));
  EXPECT_THAT(message, HasSubstr("gives pooled features only"));
  // The stage-map losses of issue 9 alike.
  for (const std::string spec : {"at", "sp"}) {
    scripted.loss = {"ce", spec};
    refused = Trainer::Create(scripted);
    ASSERT_FALSE(refused.ok());
    EXPECT_THAT(std::string(refused.status().message()),
                HasSubstr("loss '" + spec +
                          "' reads teacher stage feature maps, which this run "
                          "does not provide: teacher torchscript:"));
  }
  // A loss that sizes its modules from the teacher's stages says so itself.
  scripted.loss = {"ce", "fitnet:stage=1"};
  refused = Trainer::Create(scripted);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("fitnet: stage=1 but the teacher has 0 stages"));
  scripted.loss = {"ce", "vid"};
  refused = Trainer::Create(scripted);
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("vid: needs the stage feature maps of student and "
                        "teacher"));
  // The same teacher serves a loss on embeddings.
  scripted.loss = {"ce", "ega"};
  scripted.epochs = 1;
  scripted.max_steps_per_epoch = 2;
  scripted.lr_milestones = {};
  const RunResult result = MustRun(scripted);
  EXPECT_EQ(result.epochs_done, 1);
}

TEST(TrainerTest, BadInputFailsAtSetUp) {
  RunConfig config = TeacherConfig(FreshTestTempPath("bad"));
  config.loss = {"ce", "no_such_loss:x=1"};
  auto trainer = Trainer::Create(config);
  ASSERT_FALSE(trainer.ok());
  EXPECT_THAT(std::string(trainer.status().message()),
              HasSubstr("no_such_loss"));

  config = TeacherConfig(FreshTestTempPath("bad3"));
  config.dataset = "no_such_data";
  trainer = Trainer::Create(config);
  ASSERT_FALSE(trainer.ok());
  EXPECT_THAT(std::string(trainer.status().message()),
              HasSubstr("unknown dataset 'no_such_data'"));

  config = TeacherConfig(FreshTestTempPath("bad4"));
  config.mode = TrainMode::kSequential;
  config.student = "test_tiny_cnn";
  config.teacher_checkpoint = config.out_dir + "/missing.pt";
  trainer = Trainer::Create(config);
  ASSERT_FALSE(trainer.ok());
  EXPECT_THAT(std::string(trainer.status().message()),
              HasSubstr("--teacher_checkpoint: no such file"));
}

}  // namespace
}  // namespace kd
