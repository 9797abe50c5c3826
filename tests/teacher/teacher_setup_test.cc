// LoadTeacher: the teacher and its head from one spec, every file read once;
// where the head comes from (a tools/train checkpoint, a head file, or
// fresh), and the errors of files that do not fit. Also the teacher's view
// and what a feature cache must record.
#include "kd/teacher/teacher_setup.h"

#include <torch/torch.h>

#include <cstdlib>
#include <string>

#include "backbones/network.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kd/data/data_setup.h"
#include "tests/testing/paths.h"

namespace kd {
namespace {

using ::kd::testing::TestTempPath;

using ::testing::HasSubstr;

// A resnet8 network (embedding 12, 10 classes) as tools/train saves it.
Network TrainedNetwork() {
  torch::manual_seed(3);
  NetworkSpec spec;
  spec.backbone = "resnet8";
  spec.num_classes = 10;
  spec.embed_dim = 12;
  absl::StatusOr<Network> net = CreateNetwork(spec);
  EXPECT_TRUE(net.ok()) << net.status();
  return *net;
}

TeacherSpec BackboneSpec(const std::string& checkpoint) {
  TeacherSpec spec;
  spec.target = "resnet8";
  spec.checkpoint = checkpoint;
  spec.num_classes = 10;
  spec.embed_dim = 20;
  spec.input_size = 32;
  return spec;
}

torch::Tensor Weight(const EmbeddingHead& head, const std::string& name) {
  return head->named_parameters()[name];
}

TEST(LoadTeacherTest, ATrainCheckpointBringsItsHead) {
  Network net = TrainedNetwork();
  TensorMap state;
  AddNetworkState(net, "model.", &state);
  const std::string path = TestTempPath("teacher_run.pt");
  ASSERT_TRUE(SaveTensorMap(path, state).ok());
  absl::StatusOr<LoadedTeacher> loaded = LoadTeacher(BackboneSpec(path));
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_TRUE(loaded->head_loaded);
  EXPECT_EQ(loaded->head_source, path);
  EXPECT_EQ(loaded->head->embed_dim(), 12);  // the checkpoint's, not 20
  EXPECT_TRUE(Weight(loaded->head, "embed.weight")
                  .equal(Weight(net.head, "embed.weight")));
  EXPECT_EQ(loaded->teacher->stage_channels(),
            (std::vector<int64_t>{16, 16, 32, 64}));
  EXPECT_EQ(loaded->teacher->stage_sizes(),
            (std::vector<int64_t>{32, 32, 16, 8}));

  net.Train(false);
  torch::NoGradGuard no_grad;
  const torch::Tensor x = torch::randn({2, 3, 32, 32});
  auto out = loaded->teacher->Forward({x, torch::arange(2)});
  ASSERT_TRUE(out.ok()) << out.status();
  // The frozen teacher runs with BatchNorm folded into its convolutions:
  // the same features up to float rounding.
  EXPECT_TRUE(
      torch::allclose(out->pooled, net.Forward(x).backbone.pooled, 1e-5, 1e-6));
  auto pooled_only = loaded->teacher->Forward({x, torch::arange(2), false});
  ASSERT_TRUE(pooled_only.ok());
  EXPECT_TRUE(pooled_only->stage_features.empty());
  EXPECT_TRUE(pooled_only->preact_stage_features.empty());
}

TEST(LoadTeacherTest, AStateDictGivesAFreshHeadUnlessAHeadFileIsGiven) {
  Network net = TrainedNetwork();
  TensorMap backbone, head;
  AddModuleState(*net.backbone, "", &backbone);
  AddModuleState(*net.head, "", &head);
  const std::string backbone_path = TestTempPath("backbone_sd.pt");
  const std::string head_path = TestTempPath("head_sd.pt");
  ASSERT_TRUE(SaveTensorMap(backbone_path, backbone).ok());
  ASSERT_TRUE(SaveTensorMap(head_path, head).ok());

  absl::StatusOr<LoadedTeacher> fresh =
      LoadTeacher(BackboneSpec(backbone_path));
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_FALSE(fresh->head_loaded);
  EXPECT_EQ(fresh->head->embed_dim(), 20);  // spec.embed_dim

  TeacherSpec with_head = BackboneSpec(backbone_path);
  with_head.head_checkpoint = head_path;
  absl::StatusOr<LoadedTeacher> headed = LoadTeacher(with_head);
  ASSERT_TRUE(headed.ok()) << headed.status();
  EXPECT_TRUE(headed->head_loaded);
  EXPECT_EQ(headed->head_source, head_path);
  EXPECT_EQ(headed->head->embed_dim(), 12);  // the file's width
  EXPECT_TRUE(Weight(headed->head, "classifier.weight")
                  .equal(Weight(net.head, "classifier.weight")));
}

TEST(LoadTeacherTest, FilesThatDoNotFitAreErrorsNamingThem) {
  Network net = TrainedNetwork();
  TensorMap state;
  AddNetworkState(net, "model.", &state);
  const std::string path = TestTempPath("ten_classes.pt");
  ASSERT_TRUE(SaveTensorMap(path, state).ok());

  TeacherSpec five = BackboneSpec(path);
  five.num_classes = 5;
  EXPECT_THAT(std::string(LoadTeacher(five).status().message()),
              HasSubstr("was trained on 10 classes, this run has 5"));
  TeacherSpec other = BackboneSpec(path);
  other.target = "resnet14";
  const absl::Status arch = LoadTeacher(other).status();
  EXPECT_THAT(std::string(arch.message()), HasSubstr("model.backbone.*"));
  EXPECT_THAT(std::string(arch.message()), HasSubstr(path));
  EXPECT_THAT(std::string(LoadTeacher(BackboneSpec("")).status().message()),
              HasSubstr("--teacher_checkpoint"));
  EXPECT_EQ(
      LoadTeacher(BackboneSpec(TestTempPath("missing.pt"))).status().code(),
      absl::StatusCode::kNotFound);

  absl::StatusOr<TeacherSpec> script = ParseTeacherSpec(
      "torchscript:" +
      ::kd::testing::RunfilePath("tests/teacher/testdata/tiny_teacher.pt"));
  ASSERT_TRUE(script.ok());
  script->checkpoint = path;
  EXPECT_THAT(std::string(LoadTeacher(*script).status().message()),
              HasSubstr("--teacher_checkpoint is for backbone teachers"));
  script->checkpoint = "";
  script->input_size = 32;
  absl::StatusOr<LoadedTeacher> ts = LoadTeacher(*script);
  ASSERT_TRUE(ts.ok()) << ts.status();
  EXPECT_TRUE(ts->teacher->stage_channels().empty());
  EXPECT_FALSE(ts->head_loaded);
}

// 20 grey 28x28 images, two classes.
class Grey28 : public Dataset {
 public:
  int64_t size() const override { return 20; }
  int64_t num_classes() const override { return 2; }
  std::vector<std::string> class_names() const override { return {"a", "b"}; }
  absl::StatusOr<Example> Get(int64_t index) const override {
    Example e;
    e.label = index % 2;
    e.image.height = e.image.width = 28;
    e.image.channels = 1;
    e.image.pixels.assign(28 * 28, 7);
    return e;
  }
};

TEST(TeacherViewTest, ResizedToTheTeachersSideWhenItDiffers) {
  auto same = TeacherView(28, 0, true, "clip", 32);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->resize_to, 0);
  auto clip = TeacherView(28, 0, true, "clip", 224);
  ASSERT_TRUE(clip.ok());
  EXPECT_EQ(clip->resize_to, 224);
  EXPECT_EQ(clip->resize_mode, ResizeMode::kBicubic);
  EXPECT_EQ(clip->crop_size, 32);  // augmented at the run's size first
}

TEST(TeacherViewTest, ACacheRecordsTheRunsDataAndAugmentation) {
  Grey28 data;
  auto expected =
      TrainSplitCacheExpectation("fashion_mnist", data, 0, true, "cifar");
  ASSERT_TRUE(expected.ok()) << expected.status();
  EXPECT_EQ(expected->dataset, "fashion_mnist/train");
  EXPECT_EQ(expected->dataset_size, 20);
  EXPECT_TRUE(expected->teacher.empty());
  EXPECT_EQ(expected->augmentation,
            DescribeAugmentation(*MakeView(28, 0, true, "cifar")));
  auto plain =
      TrainSplitCacheExpectation("fashion_mnist", data, 0, false, "cifar");
  ASSERT_TRUE(plain.ok());
  EXPECT_NE(plain->augmentation, expected->augmentation);
}

}  // namespace
}  // namespace kd
