// ResNetCifarTest: the resnet8, resnet14, resnet20, resnet32, resnet44, resnet56, resnet110, resnet8x4, resnet32x4 backbones against the reference
// definition (RepDistiller models/resnet.py).
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

TEST(ResNetCifarTest, ParameterCountsMatchReference) {
  for (const ReferenceCount& ref : kReferenceCounts) {
    SCOPED_TRACE(ref.name);
    EXPECT_EQ(CountParameters(*MakeBackbone(ref.name, 10)), ref.classes10);
    EXPECT_EQ(CountParameters(*MakeBackbone(ref.name, 100)), ref.classes100);
    EXPECT_EQ(CountParameters(*MakeBackbone(ref.name, 200)), ref.classes200);
  }
}

TEST(ResNetCifarTest, StateNamesAndShapesMatchReference) {
  for (const ReferenceCount& ref : kReferenceCounts) {
    ExpectStateMatchesReference(ref.name);
  }
}

TEST(ResNetCifarTest, ForwardBackwardAtNativeSize) {
  for (const ReferenceCount& ref : kReferenceCounts) {
    EXPECT_EQ(MakeBackbone(ref.name)->native_input_size(), 32);
    ExpectForwardBackward(ref.name, 32);
  }
}

}  // namespace
}  // namespace kd
