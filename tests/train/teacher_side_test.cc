// The teacher side's head policy and optimiser: the reference recipe (SGD,
// weight decay 5e-4; a constant rate alongside the student, a step decay when
// the head is trained first).
#include "kd/train/teacher_side.h"

#include <torch/torch.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kd/train/run_setup.h"
#include "kd/train/trainer.h"
#include "tests/testing/paths.h"
#include "tests/train/test_plugins.h"

namespace kd {
namespace {

using ::kd::testing::FreshTestTempPath;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(HeadFirstScheduleTest, StepDecayAtTheReferenceFractions) {
  const LrSchedule reference = HeadFirstSchedule(0.01, 240);
  EXPECT_THAT(reference.config().milestones, ElementsAre(150, 180, 210));
  EXPECT_DOUBLE_EQ(reference.At(149, 0, 1), 0.01);
  EXPECT_DOUBLE_EQ(reference.At(150, 0, 1), 0.001);
  EXPECT_NEAR(reference.At(239, 0, 1), 1e-5, 1e-15);
  EXPECT_THAT(HeadFirstSchedule(0.1, 8).config().milestones,
              ElementsAre(5, 6, 7));
  EXPECT_THAT(HeadFirstSchedule(0.1, 2).config().milestones, ElementsAre(1));
  EXPECT_TRUE(HeadFirstSchedule(0.1, 1).config().milestones.empty());
}

RunConfig Config(TrainMode mode) {
  RunConfig c;
  c.mode = mode;
  c.dataset = "test_blobs:size=32";
  c.input_size = 8;
  c.student = "test_tiny_cnn";
  c.teacher = "test_tiny_cnn";
  c.embed_dim = c.teacher_embed_dim = 8;
  c.epochs = 1;
  c.lr_milestones = {};
  c.threads = 1;
  c.out_dir = FreshTestTempPath("teacher_side");
  return c;
}

// A teacher checkpoint of plain backbone weights (no head).
std::string PlainTeacherWeights() {
  RunConfig c = Config(TrainMode::kTeacher);
  auto run = SetUpRun(c);
  if (!run.ok()) {
    ADD_FAILURE() << run.status();
    return "";
  }
  TensorMap weights;
  AddModuleState(*(*run)->model.backbone, "", &weights);
  const std::string path = FreshTestTempPath("plain_teacher.pt");
  EXPECT_TRUE(SaveTensorMap(path, weights).ok());
  return path;
}

double WeightDecay(const TeacherSide& side) {
  return static_cast<const torch::optim::SGDOptions&>(
             side.head_optimizer().param_groups()[0].options())
      .weight_decay();
}

TEST(TeacherSideTest, TheHeadsSgdHasTheReferencesWeightDecay) {
  ASSERT_EQ(testing::TestPluginsLinked(), 1);
  const std::string weights = PlainTeacherWeights();
  RunConfig c = Config(TrainMode::kSimultaneous);
  c.teacher_checkpoint = weights;
  auto run = SetUpRun(c);
  ASSERT_TRUE(run.ok()) << run.status();
  const TeacherSide& side = *(*run)->teacher;
  EXPECT_EQ(side.head_policy(), TeacherSide::HeadPolicy::kTrainedAlongside);
  EXPECT_DOUBLE_EQ(WeightDecay(side), 5e-4);
  const auto& options = static_cast<const torch::optim::SGDOptions&>(
      side.head_optimizer().param_groups()[0].options());
  EXPECT_DOUBLE_EQ(options.lr(), 0.01);
  EXPECT_DOUBLE_EQ(options.momentum(), 0.9);

  c.mode = TrainMode::kSequential;
  c.teacher_head_epochs = 3;
  c.teacher_head_weight_decay = 1e-3;
  run = SetUpRun(c);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ((*run)->teacher->head_policy(),
            TeacherSide::HeadPolicy::kTrainedFirst);
  EXPECT_DOUBLE_EQ(WeightDecay(*(*run)->teacher), 1e-3);
}

// --fresh_teacher_head is honoured in both modes: sequential trains the
// fresh head first (and says what it needs without --teacher_head_epochs),
// instead of silently freezing the checkpoint's head.
TEST(TeacherSideTest, FreshHeadInSequentialModeIsTrainedFirst) {
  RunConfig teacher = Config(TrainMode::kTeacher);
  teacher.out_dir = FreshTestTempPath("teacher_with_head");
  auto trained = Trainer::Create(teacher);
  ASSERT_TRUE(trained.ok()) << trained.status();
  ASSERT_TRUE((*trained)->Run().ok());
  RunConfig c = Config(TrainMode::kSequential);
  c.teacher_checkpoint = teacher.out_dir + "/checkpoint.pt";
  auto run = SetUpRun(c);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ((*run)->teacher->head_policy(), TeacherSide::HeadPolicy::kFrozen);
  c.fresh_teacher_head = true;
  run = SetUpRun(c);
  ASSERT_FALSE(run.ok());
  EXPECT_THAT(std::string(run.status().message()),
              HasSubstr("--fresh_teacher_head with --mode=sequential trains "
                        "the head first: give --teacher_head_epochs > 0"));
  c.teacher_head_epochs = 2;
  run = SetUpRun(c);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_EQ((*run)->teacher->head_policy(),
            TeacherSide::HeadPolicy::kTrainedFirst);
}

}  // namespace
}  // namespace kd
