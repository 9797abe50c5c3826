// Backbone and TorchScript teachers, and the factory (ParseTeacherSpec,
// CreateTeacher).
#include <torch/torch.h>

#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "backbones/layers.h"
#include "backbones/state_dict.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kd/teacher/backbone_teacher.h"
#include "kd/teacher/teacher_factory.h"
#include "kd/teacher/torchscript_teacher.h"
#include "tests/backbones/zoo_test_util.h"
#include "tests/testing/checked_meta_device.h"
#include "tests/testing/paths.h"

namespace kd {
namespace {

using ::kd::testing::TestTempPath;

using ::kd::testing::MakeBackbone;
using ::kd::testing::RunfilePath;
using ::testing::HasSubstr;

std::string TestDataPath(const std::string& file) {
  return RunfilePath("tests/teacher/testdata/" + file);
}

// A resnet8 checkpoint with non-default weights and statistics.
std::string WriteResnet8Checkpoint() {
  torch::manual_seed(5);
  std::unique_ptr<Backbone> net = MakeBackbone("resnet8", 10);
  {
    torch::NoGradGuard no_grad;
    net->train();
    net->Forward(torch::randn({4, 3, 32, 32}));
  }
  const std::string path = TestTempPath("resnet8_teacher.pt");
  EXPECT_TRUE(SavePyTorchLoadable(*net, path).ok());
  return path;
}

TEST(BackboneTeacherTest, FrozenTeacherRunsInEvalModeWithoutGradients) {
  torch::set_num_threads(1);
  const std::string checkpoint = WriteResnet8Checkpoint();
  BackboneConfig config;
  config.num_classes = 10;
  auto teacher = BackboneTeacher::Create("resnet8", config, checkpoint,
                                         /*trainable=*/false);
  ASSERT_TRUE(teacher.ok()) << teacher.status();
  EXPECT_EQ((*teacher)->feature_dim(), 64);
  EXPECT_EQ((*teacher)->input_size(), 32);
  EXPECT_EQ((*teacher)->Describe(), "resnet8 from " + checkpoint);
  std::shared_ptr<Backbone> backbone = (*teacher)->backbone();
  ASSERT_NE(backbone, nullptr);
  for (const auto& p : backbone->parameters()) EXPECT_FALSE(p.requires_grad());

  backbone->train();  // the trainer may switch everything to train mode
  const torch::Tensor images = torch::randn({3, 3, 32, 32});
  auto out = (*teacher)->Forward({images, torch::arange(3)});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(backbone->is_training());
  EXPECT_FALSE(out->pooled.requires_grad());
  EXPECT_EQ(out->logits.sizes(), (std::vector<int64_t>{3, 10}));

  // Same as the checkpoint's network in eval mode.
  std::unique_ptr<Backbone> reference = MakeBackbone("resnet8", 10);
  ASSERT_TRUE(LoadStateDict(*reference, checkpoint).ok());
  reference->eval();
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(
      torch::allclose(out->logits, reference->Forward(images).logits, 0, 1e-6));
}

// A frozen teacher runs as inference (BatchNorm folded, InferenceMode), yet
// its outputs are ordinary float32 tensors that a loss may save for the
// student's backward pass; bf16 with channels-last stays near fp32.
TEST(BackboneTeacherTest, FrozenTeacherRunsFoldedAndItsOutputsServeAutograd) {
  torch::set_num_threads(1);
  const std::string checkpoint = WriteResnet8Checkpoint();
  BackboneConfig config;
  config.num_classes = 10;
  auto teacher = BackboneTeacher::Create("resnet8", config, checkpoint,
                                         /*trainable=*/false);
  ASSERT_TRUE(teacher.ok()) << teacher.status();
  EXPECT_EQ(FoldBatchNorm(*(*teacher)->backbone()), 0) << "not folded";
  const torch::Tensor images = torch::randn({3, 3, 32, 32});
  TeacherInputs inputs{images, torch::arange(3)};
  auto out = (*teacher)->Forward(inputs);
  ASSERT_TRUE(out.ok()) << out.status();
  for (const torch::Tensor& t :
       {out->pooled, out->logits, out->stage_features.back()}) {
    EXPECT_FALSE(t.is_inference());
    EXPECT_EQ(t.scalar_type(), torch::kFloat);
  }
  torch::Tensor student = torch::randn({3, 64}, torch::requires_grad());
  (student * out->pooled).sum().backward();  // saves the teacher's tensor
  EXPECT_TRUE(torch::allclose(student.grad(), out->pooled));

  (*teacher)->SetCompute(Precision::kBf16, /*channels_last=*/true);
  auto bf16 = (*teacher)->Forward(inputs);
  ASSERT_TRUE(bf16.ok()) << bf16.status();
  EXPECT_EQ(bf16->logits.scalar_type(), torch::kFloat);
  EXPECT_FALSE(bf16->logits.is_inference());
  const double error = (bf16->logits - out->logits).abs().max().item<double>() /
                       out->logits.abs().max().item<double>();
  EXPECT_GT(error, 0.0);
  EXPECT_LT(error, 0.05);
}

TEST(BackboneTeacherTest, TrainableTeacherGetsGradients) {
  BackboneConfig config;
  config.num_classes = 10;
  auto teacher = BackboneTeacher::Create("resnet8", config, "",
                                         /*trainable=*/true);
  ASSERT_TRUE(teacher.ok()) << teacher.status();
  EXPECT_TRUE((*teacher)->trainable());
  auto out = (*teacher)->Forward({torch::randn({2, 3, 32, 32}), {}});
  ASSERT_TRUE(out.ok());
  out->logits.sum().backward();
  EXPECT_TRUE(
      (*teacher)->backbone()->named_parameters()["fc.weight"].grad().defined());
}

TEST(BackboneTeacherTest, Errors) {
  BackboneConfig config;
  config.num_classes = 10;
  const absl::Status no_checkpoint =
      BackboneTeacher::Create("resnet8", config, "", false).status();
  EXPECT_EQ(no_checkpoint.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(no_checkpoint.message(), HasSubstr("needs a checkpoint"));

  // A checkpoint of another architecture names the mismatched tensors.
  const absl::Status other =
      BackboneTeacher::Create("wrn_16_1", config, WriteResnet8Checkpoint(),
                              false)
          .status();
  EXPECT_EQ(other.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(other.message(), HasSubstr("teacher 'wrn_16_1'"));
  EXPECT_THAT(other.message(), HasSubstr("block1.layer.0.conv1.weight"));

  EXPECT_EQ(
      BackboneTeacher::Create("resnet9", config, "", true).status().code(),
      absl::StatusCode::kNotFound);

  auto teacher = BackboneTeacher::Create("resnet8", config, "", true);
  ASSERT_TRUE(teacher.ok());
  const absl::Status bad_input =
      (*teacher)->Forward({torch::randn({2, 1, 32, 32}), {}}).status();
  EXPECT_EQ(bad_input.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(bad_input.message(),
              HasSubstr("expected a floating [B, 3, H, W]"));
}

TorchScriptTeacherOptions Input32() {
  TorchScriptTeacherOptions options;
  options.input_size = 32;
  return options;
}

TEST(TorchScriptTeacherTest, MatchesPyTorchOutputAndFindsItsWidth) {
  auto teacher =
      TorchScriptTeacher::Load(TestDataPath("tiny_teacher.pt"), Input32());
  ASSERT_TRUE(teacher.ok()) << teacher.status();
  EXPECT_EQ((*teacher)->feature_dim(), 16);
  EXPECT_EQ((*teacher)->input_size(), 32);
  EXPECT_EQ((*teacher)->backbone(), nullptr);
  EXPECT_THAT((*teacher)->Describe(),
              HasSubstr("torchscript:tiny_teacher.pt ("));
  EXPECT_THAT((*teacher)->Describe(), HasSubstr("input 32, D=16)"));

  absl::StatusOr<TensorMap> io =
      LoadTensorMap(TestDataPath("tiny_teacher_io.pt"));
  ASSERT_TRUE(io.ok()) << io.status();
  auto out = (*teacher)->Forward({io->at("input"), torch::arange(2)});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_FALSE(out->pooled.requires_grad());
  EXPECT_FALSE(out->logits.defined());
  EXPECT_LT((out->pooled - io->at("output")).abs().max().item<float>(), 1e-6);
}

TEST(TorchScriptTeacherTest, BadOutputsAreClearErrors) {
  for (const char* file : {"tiny_teacher_4d.pt", "tiny_teacher_tuple.pt"}) {
    const absl::Status status =
        TorchScriptTeacher::Load(TestDataPath(file), Input32()).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << file;
    EXPECT_THAT(status.message(), HasSubstr("2-D float tensor [B, D]")) << file;
  }
  // A given width that the module does not produce.
  TorchScriptTeacherOptions options = Input32();
  options.feature_dim = 12;
  auto teacher =
      TorchScriptTeacher::Load(TestDataPath("tiny_teacher.pt"), options);
  ASSERT_TRUE(teacher.ok());  // no probe when D is given
  const absl::Status status =
      (*teacher)->Forward({torch::zeros({1, 3, 32, 32}), {}}).status();
  EXPECT_THAT(status.message(), HasSubstr("expected D = 12 features, got 16"));
}

TEST(TorchScriptTeacherTest, WrongImageSizeIsAClearError) {
  auto teacher =
      TorchScriptTeacher::Load(TestDataPath("tiny_teacher.pt"), Input32());
  ASSERT_TRUE(teacher.ok());
  const absl::Status status =
      (*teacher)->Forward({torch::zeros({1, 3, 224, 224}), {}}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("expected images [B, 3, 32, 32]"));
}

TEST(TorchScriptTeacherTest, NotTorchScriptFilesAreClearErrors) {
  const std::string text = TestTempPath("not_a_model.pt");
  std::ofstream(text) << "hello";
  // tiny_teacher_io.pt is a torch.save'd dict, not a TorchScript module.
  for (const std::string& path : {text, TestDataPath("tiny_teacher_io.pt")}) {
    const absl::Status status =
        TorchScriptTeacher::Load(path, Input32()).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << path;
    EXPECT_THAT(status.message(), HasSubstr("is not a TorchScript module"));
  }
  EXPECT_EQ(TorchScriptTeacher::Load(TestTempPath("missing.pt"), Input32())
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

// Every kind of teacher computes on the device it is moved to (frozen and
// folded, trainable, TorchScript), given images there; on the checked meta
// device a tensor left on the CPU is an error, as on CUDA.
TEST(TeacherDeviceTest, EveryTeacherKindRunsOnTheDeviceItIsMovedTo) {
  BackboneConfig config;
  config.num_classes = 10;
  const std::string checkpoint = WriteResnet8Checkpoint();
  std::vector<std::pair<std::string, std::unique_ptr<Teacher>>> teachers;
  auto frozen = BackboneTeacher::Create("resnet8", config, checkpoint, false);
  ASSERT_TRUE(frozen.ok()) << frozen.status();
  teachers.emplace_back("frozen resnet8", *std::move(frozen));
  auto trainable = BackboneTeacher::Create("resnet8", config, "", true);
  ASSERT_TRUE(trainable.ok()) << trainable.status();
  teachers.emplace_back("trainable resnet8", *std::move(trainable));
  auto scripted =
      TorchScriptTeacher::Load(TestDataPath("tiny_teacher.pt"), Input32());
  ASSERT_TRUE(scripted.ok()) << scripted.status();
  teachers.emplace_back("torchscript", *std::move(scripted));

  testing::CheckedMetaDevice meta;
  const torch::Device device(torch::kMeta);
  for (auto& [name, teacher] : teachers) {
    SCOPED_TRACE(name);
    teacher->To(device);
    if (teacher->backbone()) {
      for (const torch::Tensor& p : teacher->backbone()->parameters()) {
        EXPECT_TRUE(p.is_meta());
      }
      for (const torch::Tensor& b : teacher->backbone()->buffers()) {
        EXPECT_TRUE(b.is_meta());
      }
    }
    TeacherInputs inputs{torch::randn({2, 3, 32, 32}, device),
                         torch::arange(2, torch::TensorOptions(device))};
    absl::StatusOr<BackboneOutput> out;
    try {
      out = teacher->Forward(inputs);
      if (out.ok() && out->logits.defined() && out->logits.requires_grad()) {
        out->logits.sum().backward();
      }
    } catch (const c10::Error& e) {
      ADD_FAILURE() << e.what_without_backtrace();
      continue;
    }
    ASSERT_TRUE(out.ok()) << out.status();
    EXPECT_TRUE(out->pooled.is_meta());
    EXPECT_EQ(out->pooled.size(0), 2);
    for (const torch::Tensor& t : out->stage_features) EXPECT_TRUE(t.is_meta());
  }
}

// CreateTeacher of a --teacher text, with the run's side as tools/train
// fills it in.
absl::StatusOr<std::unique_ptr<Teacher>> CreateFromText(
    const std::string& text, const std::string& checkpoint = "") {
  absl::StatusOr<TeacherSpec> spec = ParseTeacherSpec(text);
  if (!spec.ok()) return spec.status();
  spec->num_classes = 10;
  spec->input_size = 32;
  spec->checkpoint = checkpoint;
  return CreateTeacher(*spec);
}

TEST(CreateTeacherTest, SpecsChooseTheKindOfTeacher) {
  auto ts = CreateFromText("torchscript:" + TestDataPath("tiny_teacher.pt"));
  ASSERT_TRUE(ts.ok()) << ts.status();
  EXPECT_EQ((*ts)->feature_dim(), 16);

  const std::string checkpoint = WriteResnet8Checkpoint();
  auto backbone = CreateFromText("resnet8", checkpoint);
  ASSERT_TRUE(backbone.ok()) << backbone.status();
  EXPECT_NE((*backbone)->backbone(), nullptr);
  EXPECT_EQ((*backbone)->feature_dim(), 64);

  EXPECT_EQ(CreateFromText("torchscript:", checkpoint).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(CreateFromText("cache:", checkpoint).status().code(),
            absl::StatusCode::kInvalidArgument);
  const absl::Status unknown = CreateFromText("resnet33", checkpoint).status();
  EXPECT_EQ(unknown.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.message(), HasSubstr("resnet32"));
}

}  // namespace
}  // namespace kd
