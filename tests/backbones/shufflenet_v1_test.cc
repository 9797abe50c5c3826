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

using ::kd::testing::CountParameters;
using ::kd::testing::ExpectForwardBackward;
using ::kd::testing::ExpectStateMatchesReference;
using ::kd::testing::MakeBackbone;

struct ReferenceCount {
  const char* name;
  int64_t classes10, classes100, classes200;
};

// Parameter counts of the reference networks for 10, 100 and 200 classes,
// printed by tests/backbones/testdata/gen_param_counts.py (python3-torch 1.13
// on reference_models.py, a transcription of RepDistiller
// models/ShuffleNetv1.py).
constexpr ReferenceCount kReferenceCounts[] = {
    {"ShuffleV1", 862768, 949258, 1045358},
};

TEST(ShuffleNetV1Test, ParameterCountsMatchReference) {
  for (const ReferenceCount& ref : kReferenceCounts) {
    SCOPED_TRACE(ref.name);
    EXPECT_EQ(CountParameters(*MakeBackbone(ref.name, 10)), ref.classes10);
    EXPECT_EQ(CountParameters(*MakeBackbone(ref.name, 100)), ref.classes100);
    EXPECT_EQ(CountParameters(*MakeBackbone(ref.name, 200)), ref.classes200);
  }
}

TEST(ShuffleNetV1Test, StateNamesAndShapesMatchReference) {
  for (const ReferenceCount& ref : kReferenceCounts) {
    ExpectStateMatchesReference(ref.name);
  }
}

TEST(ShuffleNetV1Test, ForwardBackwardAtNativeSize) {
  for (const ReferenceCount& ref : kReferenceCounts) {
    EXPECT_EQ(MakeBackbone(ref.name)->native_input_size(), 32);
    ExpectForwardBackward(ref.name, 32);
  }
}

}  // namespace
}  // namespace kd

namespace kd {
namespace {

using ::kd::testing::RunEval;
using ::kd::testing::StageSides;

TEST(ShuffleNetV1Test, StagesAndPyTorchDefaultInitialisation) {
  EXPECT_EQ(StageSides(RunEval("ShuffleV1", 32)),
            (std::vector<int64_t>{32, 16, 8, 4}));
  // The reference sets no initialisation: PyTorch's kaiming_uniform(a =
  // sqrt(5)) leaves conv weights in U(+-1/sqrt(fan_in)).
  torch::manual_seed(0);
  auto params = MakeBackbone("ShuffleV1", 100)->named_parameters();
  const torch::Tensor w = params["layer2.1.conv1.weight"];
  const float bound =
      1.0f / std::sqrt(static_cast<float>(w.size(1) * w.size(2) * w.size(3)));
  EXPECT_LE(w.abs().max().item<float>(), bound);
  EXPECT_GT(w.abs().max().item<float>(), 0.95f * bound);
}

}  // namespace
}  // namespace kd
