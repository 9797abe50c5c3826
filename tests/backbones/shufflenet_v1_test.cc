// ShuffleNetV1Test: the ShuffleV1 backbone against the reference
// definition (RepDistiller models/ShuffleNetv1.py).
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
// models/ShuffleNetv1.py).
constexpr ReferenceCount kReferenceCounts[] = {
    {"ShuffleV1", 862768, 949258, 1045358},
};

// Parameter counts, state names and shapes, and forward/backward at the
// native size of every network above.
TEST(ShuffleNetV1Test, MatchesReference) {
  ExpectMatchesReference(kReferenceCounts, 32);
}

TEST(ShuffleNetV1Test, StagesAndPyTorchDefaultInitialisation) {
  EXPECT_EQ(StageSides(RunEval("ShuffleV1", 32)),
            (std::vector<int64_t>{32, 16, 8, 4}));
  // The reference sets no initialisation: PyTorch's kaiming_uniform(a =
  // sqrt(5)) leaves conv weights in U(+-1/sqrt(fan_in)).
  ExpectPyTorchDefaultConv("ShuffleV1", "layer2.1.conv1.weight");
}

}  // namespace
}  // namespace kd
