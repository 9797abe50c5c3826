// ResNetCifarTest: the resnet8, resnet14, resnet20, resnet32, resnet44,
// resnet56, resnet110, resnet8x4, resnet32x4 backbones against the reference
// definition (RepDistiller models/resnet.py).
#include <torch/torch.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/backbones/zoo_test_util.h"

namespace kd {
namespace {

using ::kd::testing::ExpectHeNormalConvs;
using ::kd::testing::ExpectMatchesReference;
using ::kd::testing::MakeBackbone;
using ::kd::testing::ReferenceCount;
using ::kd::testing::RunEval;
using ::kd::testing::StageSides;

// Parameter counts of the reference networks for 10, 100 and 200 classes,
// printed by tests/backbones/testdata/gen_param_counts.py (python3-torch 1.13
// on reference_models.py, a transcription of RepDistiller models/resnet.py).
constexpr ReferenceCount kReferenceCounts[] = {
    {"resnet8", 78042, 83892, 90392},
    {"resnet14", 175258, 181108, 187608},
    {"resnet20", 272474, 278324, 284824},
    {"resnet32", 466906, 472756, 479256},
    {"resnet44", 661338, 667188, 673688},
    {"resnet56", 855770, 861620, 868120},
    {"resnet110", 1730714, 1736564, 1743064},
    {"resnet8x4", 1210410, 1233540, 1259240},
    {"resnet32x4", 7410730, 7433860, 7459560},
};

// Parameter counts, state names and shapes, and forward/backward at the
// native size of every network above.
TEST(ResNetCifarTest, MatchesReference) {
  ExpectMatchesReference(kReferenceCounts, 32);
}

TEST(ResNetCifarTest, StagesOfResnet8x4) {
  const BackboneOutput out = RunEval("resnet8x4", 32);
  EXPECT_EQ(StageSides(out), (std::vector<int64_t>{32, 32, 16, 8}));
  EXPECT_EQ(MakeBackbone("resnet8x4")->stage_channels(),
            (std::vector<int64_t>{32, 64, 128, 256}));
  // The stem is reported after its ReLU in both lists; each stage's output
  // is the ReLU of its pre-activation, which has negative values.
  EXPECT_TRUE(
      torch::equal(out.preact_stage_features[0], out.stage_features[0]));
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_TRUE(torch::equal(torch::relu(out.preact_stage_features[i]),
                             out.stage_features[i]));
    EXPECT_LT(out.preact_stage_features[i].min().item<float>(), 0.0f);
  }
  // pooled is the global average of the last stage.
  EXPECT_TRUE(
      torch::allclose(out.pooled, out.stage_features[3].mean({2, 3}), 0, 1e-6));
}

TEST(ResNetCifarTest, OtherInputSizesWork) {
  EXPECT_EQ(StageSides(RunEval("resnet8x4", 64)),
            (std::vector<int64_t>{64, 64, 32, 16}));
  EXPECT_EQ(RunEval("resnet20", 28).logits.sizes(),
            (std::vector<int64_t>{2, 10}));
}

TEST(ResNetCifarTest, InitialisationFollowsTheReference) {
  torch::manual_seed(0);
  std::unique_ptr<Backbone> net = MakeBackbone("resnet32x4", 100);
  ExpectHeNormalConvs(*net, 256);
  auto params = net->named_parameters();
  EXPECT_TRUE(torch::equal(params["layer2.0.bn1.weight"], torch::ones({128})));
  EXPECT_TRUE(torch::equal(params["layer2.0.bn1.bias"], torch::zeros({128})));
  // fc keeps PyTorch's default: U(+-1/sqrt(256)).
  EXPECT_LE(params["fc.weight"].abs().max().item<float>(), 1.0f / 16);
  EXPECT_GT(params["fc.bias"].abs().max().item<float>(), 0.0f);
}

TEST(ResNetCifarTest, BadConfigurationAndInputAreClearErrors) {
  BackboneConfig config;
  config.num_classes = 0;
  const absl::Status status =
      Backbone::Registry::Global().Create("resnet8", config).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("resnet8: num_classes must be >= 1"),
            std::string::npos)
      << status;
  try {
    MakeBackbone("resnet8")->Forward(torch::randn({2, 1, 32, 32}));
    FAIL() << "expected an error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "resnet8: expected a floating [B, 3, H, W] image batch, got "
                  "[2, 1, 32, 32]"),
              std::string::npos)
        << e.what();
  }
}

TEST(ResNetCifarTest, OneChannelInputs) {
  BackboneConfig config;
  config.num_classes = 10;
  config.in_channels = 1;
  auto net = Backbone::Registry::Global().Create("resnet8", config);
  ASSERT_TRUE(net.ok());
  EXPECT_EQ((*net)->named_parameters()["conv1.weight"].size(1), 1);
  EXPECT_EQ((*net)->Forward(torch::randn({2, 1, 28, 28})).logits.size(1), 10);
}

}  // namespace
}  // namespace kd
