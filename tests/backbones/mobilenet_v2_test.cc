// MobileNetV2Test: the MobileNetV2 backbone against the reference
// definition (RepDistiller models/mobilenetv2.py).
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
// on reference_models.py, a transcription of RepDistiller
// models/mobilenetv2.py).
constexpr ReferenceCount kReferenceCounts[] = {
    {"MobileNetV2", 697546, 812836, 940936},
};

// Parameter counts, state names and shapes, and forward/backward at the
// native size of every network above.
TEST(MobileNetV2Test, MatchesReference) {
  ExpectMatchesReference(kReferenceCounts, 32);
}

TEST(MobileNetV2Test, StagesAndPreActivationsFollowTheReference) {
  const BackboneOutput out = RunEval("MobileNetV2", 32);
  EXPECT_EQ(StageSides(out), (std::vector<int64_t>{16, 16, 8, 4, 2}));
  EXPECT_EQ(MakeBackbone("MobileNetV2")->stage_channels(),
            (std::vector<int64_t>{16, 12, 16, 48, 160}));
  EXPECT_EQ(MakeBackbone("MobileNetV2")->feature_dim(), 1280);
  for (size_t i = 0; i < out.stage_features.size(); ++i) {
    EXPECT_TRUE(
        torch::equal(out.preact_stage_features[i], out.stage_features[i]));
  }
}

TEST(MobileNetV2Test, InitialisationFollowsTheReference) {
  torch::manual_seed(0);
  std::unique_ptr<Backbone> net = MakeBackbone("MobileNetV2", 100);
  ExpectHeNormalConvs(*net, 1280);
  auto params = net->named_parameters();
  EXPECT_NEAR(params["classifier.0.weight"].std().item<double>(), 0.01, 0.0005);
  EXPECT_EQ(params["classifier.0.bias"].abs().max().item<float>(), 0.0f);
}

}  // namespace
}  // namespace kd
