// ResNetImageNetTest: the ResNet18, ResNet34, ResNet50 backbones against the
// reference definition (RepDistiller models/resnetv2.py).
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

using ::kd::testing::ExpectMatchesReference;
using ::kd::testing::MakeBackbone;
using ::kd::testing::ReferenceCount;
using ::kd::testing::RunEval;
using ::kd::testing::StageSides;

// Parameter counts of the reference networks for 10, 100 and 200 classes,
// printed by tests/backbones/testdata/gen_param_counts.py (python3-torch 1.13
// on reference_models.py, a transcription of RepDistiller models/resnetv2.py).
constexpr ReferenceCount kReferenceCounts[] = {
    {"ResNet18", 11173962, 11220132, 11271432},
    {"ResNet34", 21282122, 21328292, 21379592},
    {"ResNet50", 23520842, 23705252, 23910152},
};

// Parameter counts, state names and shapes, and forward/backward at the
// native size of every network above.
TEST(ResNetImageNetTest, MatchesReference) {
  ExpectMatchesReference(kReferenceCounts, 64);
}

TEST(ResNetImageNetTest, StagesAt64And96) {
  EXPECT_EQ(StageSides(RunEval("ResNet18", 64)),
            (std::vector<int64_t>{64, 64, 32, 16, 8}));
  EXPECT_EQ(StageSides(RunEval("ResNet18", 96)),
            (std::vector<int64_t>{96, 96, 48, 24, 12}));
  EXPECT_EQ(MakeBackbone("ResNet50")->stage_channels(),
            (std::vector<int64_t>{64, 256, 512, 1024, 2048}));
  EXPECT_EQ(MakeBackbone("ResNet50")->feature_dim(), 2048);
}

}  // namespace
}  // namespace kd
