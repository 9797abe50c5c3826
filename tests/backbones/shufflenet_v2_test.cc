// ShuffleNetV2Test: the ShuffleV2 backbone against the reference
// definition (RepDistiller models/ShuffleNetv2.py).
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
using ::kd::testing::ExpectPyTorchDefaultConv;
using ::kd::testing::ReferenceCount;
using ::kd::testing::RunEval;
using ::kd::testing::StageSides;

// Parameter counts of the reference networks for 10, 100 and 200 classes,
// printed by tests/backbones/testdata/gen_param_counts.py (python3-torch 1.13
// on reference_models.py, a transcription of RepDistiller
// models/ShuffleNetv2.py).
constexpr ReferenceCount kReferenceCounts[] = {
    {"ShuffleV2", 1263278, 1355528, 1458028},
};

// Parameter counts, state names and shapes, and forward/backward at the
// native size of every network above.
TEST(ShuffleNetV2Test, MatchesReference) {
  ExpectMatchesReference(kReferenceCounts, 32);
}

TEST(ShuffleNetV2Test, StagesAndPyTorchDefaultInitialisation) {
  EXPECT_EQ(StageSides(RunEval("ShuffleV2", 32)),
            (std::vector<int64_t>{32, 16, 8, 4}));
  // The reference sets no initialisation: PyTorch's kaiming_uniform(a =
  // sqrt(5)) leaves conv weights in U(+-1/sqrt(fan_in)).
  ExpectPyTorchDefaultConv("ShuffleV2", "layer2.1.conv1.weight");
}

}  // namespace
}  // namespace kd
