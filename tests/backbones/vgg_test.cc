// VggTest: the vgg8, vgg11, vgg13, vgg16, vgg19 backbones against the reference
// definition (RepDistiller models/vgg.py).
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
// on reference_models.py, a transcription of RepDistiller models/vgg.py).
constexpr ReferenceCount kReferenceCounts[] = {
    {"vgg8", 3918858, 3965028, 4016328},
    {"vgg11", 9231114, 9277284, 9328584},
    {"vgg13", 9416010, 9462180, 9513480},
    {"vgg16", 14728266, 14774436, 14825736},
    {"vgg19", 20040522, 20086692, 20137992},
};

// Parameter counts, state names and shapes, and forward/backward at the
// native size of every network above.
TEST(VggTest, MatchesReference) {
  ExpectMatchesReference(kReferenceCounts, 32);
}

// The reference max-pools after block 3 only for 64x64 inputs.
TEST(VggTest, PoolsAfterBlock3OnlyFor64x64) {
  EXPECT_EQ(StageSides(RunEval("vgg13", 32)),
            (std::vector<int64_t>{32, 16, 8, 4, 4}));
  EXPECT_EQ(StageSides(RunEval("vgg8", 64)),
            (std::vector<int64_t>{64, 32, 16, 8, 4}));
}

TEST(VggTest, PreActivationsAreTheBlocksBeforeTheirReLU) {
  const BackboneOutput out = RunEval("vgg8", 32);
  EXPECT_TRUE(
      torch::equal(out.preact_stage_features[0], out.stage_features[0]));
  for (size_t i = 1; i < 5; ++i) {
    EXPECT_TRUE(torch::equal(torch::relu(out.preact_stage_features[i]),
                             out.stage_features[i]));
  }
}

TEST(VggTest, InitialisationFollowsTheReference) {
  torch::manual_seed(0);
  std::unique_ptr<Backbone> net = MakeBackbone("vgg13", 100);
  ExpectHeNormalConvs(*net, 512);  // also checks the conv biases are 0
  auto params = net->named_parameters();
  EXPECT_NEAR(params["classifier.weight"].std().item<double>(), 0.01, 0.0005);
  EXPECT_EQ(params["classifier.bias"].abs().max().item<float>(), 0.0f);
}

TEST(VggTest, TooSmallInputIsAClearError) {
  try {
    RunEval("vgg8", 4);
    FAIL() << "expected an error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("vgg8: input 4x4 is smaller"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace kd
