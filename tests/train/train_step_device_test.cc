// The training step computes on the run's device only: every loss (with
// its state), every teacher policy and the optimiser's state. On the checked
// meta device any tensor left on the CPU is an error, as on CUDA.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "kd/train/run_setup.h"
#include "kd/train/train_step.h"
#include "kd/train/trainer.h"
#include "tests/testing/checked_meta_device.h"
#include "tests/testing/paths.h"
#include "tests/train/test_plugins.h"

namespace kd {
namespace {

using ::kd::testing::FreshTestTempPath;

// One epoch of test_blobs:size=64 from a wider teacher, batches built on
// the caller's thread.
RunConfig Config(const std::string& out_dir) {
  RunConfig c = testing::TinyTeacherRunConfig(out_dir);
  c.dataset = "test_blobs:size=64";
  c.teacher = "test_tiny_cnn:width=6";
  c.student = "test_tiny_cnn";
  c.epochs = 1;
  c.lr_milestones = RunConfig().lr_milestones;
  c.seed = 3;
  c.loader_workers = 0;
  return c;
}

TEST(TrainStepDeviceTest, EveryLossAndTeacherPolicyStepsOnTheRunsDevice) {
  ASSERT_GT(testing::TestPluginsLinked(), 0);
  RunConfig teacher = Config(FreshTestTempPath("device_teacher"));
  auto trainer = Trainer::Create(teacher);
  ASSERT_TRUE(trainer.ok()) << trainer.status();
  ASSERT_TRUE((*trainer)->Run().ok());

  const std::vector<std::string> losses = {
      "ce",  "kd",     "ega", "crd:nce_k=8", "rkd", "pkt", "nce", "ccl",
      "irg", "fitnet", "dkd", "dist",        "at",  "sp",  "cc",  "vid"};
  for (TrainMode mode : {TrainMode::kSequential, TrainMode::kSimultaneous}) {
    SCOPED_TRACE(TrainModeName(mode));
    RunConfig c = Config(FreshTestTempPath("device_student"));
    c.mode = mode;
    c.teacher_checkpoint = teacher.out_dir + "/best.pt";
    c.loss = losses;
    auto run = SetUpRun(c);
    ASSERT_TRUE(run.ok()) << run.status();
    (*run)->train_loader->StartEpoch(0);
    auto batch = (*run)->train_loader->Next();
    ASSERT_TRUE(batch.ok() && batch->has_value());

    testing::CheckedMetaDevice meta;
    (*run)->To(torch::kMeta);
    for (int step = 0; step < 2; ++step) {  // the second with momentum
      absl::StatusOr<StepResult> result;
      try {
        result = TrainStep(**run, **batch, 1);
      } catch (const c10::Error& e) {
        FAIL() << e.what_without_backtrace();
      }
      ASSERT_TRUE(result.ok()) << result.status();
      EXPECT_TRUE(result->student_logits.is_meta());
    }
    for (const torch::Tensor& p : (*run)->trainable->parameters()) {
      EXPECT_TRUE(p.is_meta());
      if (p.grad().defined()) {
        EXPECT_TRUE(p.grad().is_meta());
      }
    }
    for (const torch::Tensor& b : (*run)->trainable->buffers()) {
      EXPECT_TRUE(b.is_meta());
    }
  }
}

}  // namespace
}  // namespace kd
