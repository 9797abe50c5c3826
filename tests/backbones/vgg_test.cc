// VggTest: the vgg8, vgg11, vgg13, vgg16, vgg19 backbones against the reference
// definition (RepDistiller models/vgg.py).
#include <cstdint>
#include <string>

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
// on reference_models.py, a transcription of RepDistiller models/vgg.py).
constexpr ReferenceCount kReferenceCounts[] = {
    {"vgg8", 3918858, 3965028, 4016328},
    {"vgg11", 9231114, 9277284, 9328584},
    {"vgg13", 9416010, 9462180, 9513480},
    {"vgg16", 14728266, 14774436, 14825736},
    {"vgg19", 20040522, 20086692, 20137992},
};

TEST(VggTest, ParameterCountsMatchReference) {
  for (const ReferenceCount& ref : kReferenceCounts) {
    SCOPED_TRACE(ref.name);
    EXPECT_EQ(CountParameters(*MakeBackbone(ref.name, 10)), ref.classes10);
    EXPECT_EQ(CountParameters(*MakeBackbone(ref.name, 100)), ref.classes100);
    EXPECT_EQ(CountParameters(*MakeBackbone(ref.name, 200)), ref.classes200);
  }
}

TEST(VggTest, StateNamesAndShapesMatchReference) {
  for (const ReferenceCount& ref : kReferenceCounts) {
    ExpectStateMatchesReference(ref.name);
  }
}

TEST(VggTest, ForwardBackwardAtNativeSize) {
  for (const ReferenceCount& ref : kReferenceCounts) {
    EXPECT_EQ(MakeBackbone(ref.name)->native_input_size(), 32);
    ExpectForwardBackward(ref.name, 32);
  }
}

}  // namespace
}  // namespace kd
