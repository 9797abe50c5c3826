// WideResNetTest: the wrn_16_1, wrn_16_2, wrn_40_1, wrn_40_2 backbones against
// the reference definition (RepDistiller models/wrn.py).
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
// on reference_models.py, a transcription of RepDistiller models/wrn.py).
constexpr ReferenceCount kReferenceCounts[] = {
    {"wrn_16_1", 175066, 180916, 187416},
    {"wrn_16_2", 691674, 703284, 716184},
    {"wrn_40_1", 563930, 569780, 576280},
    {"wrn_40_2", 2243546, 2255156, 2268056},
};

// Parameter counts, state names and shapes, and forward/backward at the
// native size of every network above.
TEST(WideResNetTest, MatchesReference) {
  ExpectMatchesReference(kReferenceCounts, 32);
}

TEST(WideResNetTest, StagesFollowTheReferenceFeatureList) {
  const BackboneOutput out = RunEval("wrn_40_2", 32);
  EXPECT_EQ(StageSides(out), (std::vector<int64_t>{32, 32, 16, 8}));
  EXPECT_EQ(MakeBackbone("wrn_40_2")->stage_channels(),
            (std::vector<int64_t>{16, 32, 64, 128}));
  // Pre-activation blocks: stage outputs are sums, not activations.
  EXPECT_LT(out.stage_features[1].min().item<float>(), 0.0f);
  EXPECT_TRUE(
      torch::equal(out.preact_stage_features[0], out.stage_features[0]));
  // The last pre-activation is the final BN; pooled = mean(ReLU(it)).
  EXPECT_TRUE(torch::allclose(
      out.pooled, torch::relu(out.preact_stage_features[3]).mean({2, 3}), 0,
      1e-6));
}

TEST(WideResNetTest, InitialisationFollowsTheReference) {
  torch::manual_seed(0);
  std::unique_ptr<Backbone> net = MakeBackbone("wrn_40_2", 100);
  ExpectHeNormalConvs(*net, 128);
  auto params = net->named_parameters();
  EXPECT_EQ(params["fc.bias"].abs().max().item<float>(), 0.0f);
  EXPECT_LE(params["fc.weight"].abs().max().item<float>(),
            1.0f / std::sqrt(128.0f));
}

}  // namespace
}  // namespace kd
