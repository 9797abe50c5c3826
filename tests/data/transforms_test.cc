// Transforms: resize against torch.nn.functional.interpolate values
// (testdata/gen_resize_reference.py), crop/pad/flip/normalise by hand.
#include "kd/data/transforms.h"

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kd {
namespace {

#include "tests/data/testdata/resize_reference.inc"

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::FloatNear;
using ::testing::HasSubstr;
using ::testing::Pointwise;

std::vector<float> CaseInput(int n) {
  std::vector<float> input(n);
  for (int i = 0; i < n; ++i) {
    input[i] = static_cast<float>((i * 37) % 101) / 100.0f;
  }
  return input;
}

TEST(ResizeTest, MatchesTorchInterpolate) {
  for (const ResizeCase& c : ResizeReferenceCases()) {
    SCOPED_TRACE(std::string(c.mode) + " " + std::to_string(c.in_h) + "x" +
                 std::to_string(c.in_w) + " -> " + std::to_string(c.out_h) +
                 "x" + std::to_string(c.out_w));
    const std::vector<float> input = CaseInput(c.channels * c.in_h * c.in_w);
    std::vector<float> out(c.channels * c.out_h * c.out_w, -99.0f);
    Resize(input.data(), c.channels, c.in_h, c.in_w, c.out_h, c.out_w,
           std::string(c.mode) == "bicubic" ? ResizeMode::kBicubic
                                            : ResizeMode::kBilinear,
           out.data());
    EXPECT_THAT(out, Pointwise(FloatNear(2e-6), c.expected));
  }
}

TEST(ResizeTest, BilinearByHand) {
  // 1x2 -> 1x4: scale 0.5, sources -0.25 (clamped to 0), 0.25, 0.75, 1.25.
  const float in[2] = {0.0f, 1.0f};
  float out[4];
  Resize(in, 1, 1, 2, 1, 4, ResizeMode::kBilinear, out);
  EXPECT_THAT(out, ElementsAre(0.0f, 0.25f, 0.75f, 1.0f));
}

TEST(ResizeTest, BicubicByHand) {
  // 1x2 -> 1x4, a = -0.75. Output 1: source 0.25, t = 0.25, taps at
  // -1, 0, 1, 2 clamped to 0, 0, 1, 1: weight of input 1 is
  // w(0.75) + w(1.75) with w(x) = 1.25x^3 - 2.25x^2 + 1 (|x| <= 1),
  // -0.75x^3 + 3.75x^2 - 6x + 3 (1 < |x| < 2):
  // w(0.75) = 0.52734375 - 1.265625 + 1 = 0.26171875,
  // w(1.75) = -4.01953125 + 11.484375 - 10.5 + 3 = -0.03515625.
  const float in[2] = {0.0f, 1.0f};
  float out[4];
  Resize(in, 1, 1, 2, 1, 4, ResizeMode::kBicubic, out);
  EXPECT_FLOAT_EQ(out[1], 0.26171875f - 0.03515625f);
  EXPECT_FLOAT_EQ(out[2], 1.0f - out[1]);  // symmetric
}

TEST(NormalizationTest, Presets) {
  auto clip = Normalization::FromName("clip");
  ASSERT_TRUE(clip.ok());
  EXPECT_THAT(clip->mean, ElementsAre(0.48145466f, 0.4578275f, 0.40821073f));
  EXPECT_THAT(clip->std, ElementsAre(0.26862954f, 0.26130258f, 0.27577711f));
  EXPECT_THAT(Normalization::FromName("cifar")->mean,
              ElementsAre(0.5071f, 0.4865f, 0.4409f));
  EXPECT_THAT(Normalization::FromName("cifar")->std,
              ElementsAre(0.2673f, 0.2564f, 0.2762f));
  EXPECT_THAT(Normalization::FromName("imagenet")->mean,
              ElementsAre(0.485f, 0.456f, 0.406f));
  EXPECT_THAT(Normalization::FromName("imagenet")->std,
              ElementsAre(0.229f, 0.224f, 0.225f));
  EXPECT_TRUE(Normalization::FromName("none")->mean.empty());
  auto grey = Normalization::FromName("imagenet_grey");
  EXPECT_THAT(grey->mean,
              ElementsAre(FloatNear((0.485f + 0.456f + 0.406f) / 3, 1e-7)));
  EXPECT_THAT(grey->std,
              ElementsAre(FloatNear((0.229f + 0.224f + 0.225f) / 3, 1e-7)));
  auto explicit_values = Normalization::FromName("0.1, 0.2,0.3/1,2,4");
  ASSERT_TRUE(explicit_values.ok()) << explicit_values.status();
  EXPECT_THAT(explicit_values->mean, ElementsAre(0.1f, 0.2f, 0.3f));
  EXPECT_THAT(explicit_values->std, ElementsAre(1.0f, 2.0f, 4.0f));
  EXPECT_THAT(Normalization::FromName("0.5/0.25")->mean, ElementsAre(0.5f));
}

TEST(NormalizationTest, Errors) {
  EXPECT_THAT(Normalization::FromName("cifar10").status().ToString(),
              HasSubstr("unknown normalization 'cifar10'"));
  EXPECT_THAT(Normalization::FromName("0.1,0.2/1").status().ToString(),
              HasSubstr("has 2 means but 1 stds"));
  EXPECT_THAT(Normalization::FromName("0.1/0").status().ToString(),
              HasSubstr("std 0 must be > 0"));
  EXPECT_THAT(Normalization::FromName("a/1").status().ToString(),
              HasSubstr("'a' is not a number"));
}

// A 2x2 RGB image: pixel (y, x, c) = 10 * (2y + x) + c + 1.
Image Tiny() {
  Image image{2, 2, 3, {}};
  for (int p = 0; p < 4; ++p) {
    for (int c = 0; c < 3; ++c) image.pixels.push_back(10 * p + c + 1);
  }
  return image;
}

// Output as integers 0..255 (CHW), for hand comparisons.
std::vector<int> Bytes(const std::vector<float>& out) {
  std::vector<int> bytes;
  for (float v : out) bytes.push_back(static_cast<int>(std::lround(v * 255)));
  return bytes;
}

TEST(ApplyTransformTest, IdentityIsChwScaledTo01) {
  ViewTransform t;
  std::mt19937_64 rng(1);
  std::vector<float> out(12);
  ASSERT_TRUE(ApplyTransform(t, Tiny(), rng, out.data()).ok());
  EXPECT_THAT(Bytes(out), ElementsAre(1, 11, 21, 31,    // R plane
                                      2, 12, 22, 32,    // G plane
                                      3, 13, 23, 33));  // B plane
  EXPECT_FLOAT_EQ(out[0], 1.0f / 255.0f);
}

TEST(ApplyTransformTest, CropWithZeroPaddingAndFlipReachEveryOutcome) {
  // crop 2 of the 2x2 image zero-padded by 1 to 4x4: 9 offsets x 2 flips.
  // Padded red plane (by hand):
  //   0  0  0  0
  //   0  1 11  0
  //   0 21 31  0
  //   0  0  0  0
  const int padded[4][4] = {
      {0, 0, 0, 0}, {0, 1, 11, 0}, {0, 21, 31, 0}, {0, 0, 0, 0}};
  std::set<std::vector<int>> expected;
  for (int top = 0; top < 3; ++top) {
    for (int left = 0; left < 3; ++left) {
      for (bool flip : {false, true}) {
        std::vector<int> red;
        for (int y = 0; y < 2; ++y) {
          for (int x = 0; x < 2; ++x) {
            red.push_back(padded[top + y][left + (flip ? 1 - x : x)]);
          }
        }
        expected.insert(red);
      }
    }
  }
  ViewTransform t;
  t.crop_size = 2;
  t.crop_padding = 1;
  t.horizontal_flip = true;
  std::map<std::vector<int>, int> seen;
  for (int seed = 0; seed < 2000; ++seed) {
    std::mt19937_64 rng(seed);
    std::vector<float> out(12);
    ASSERT_TRUE(ApplyTransform(t, Tiny(), rng, out.data()).ok());
    const std::vector<int> bytes = Bytes(out);
    const std::vector<int> red(bytes.begin(), bytes.begin() + 4);
    ASSERT_TRUE(expected.count(red)) << "unexpected crop";
    // Green is red + 1 wherever the pixel is inside the image.
    for (int i = 0; i < 4; ++i) {
      EXPECT_EQ(bytes[4 + i], red[i] == 0 ? 0 : red[i] + 1);
    }
    ++seen[red];
  }
  // Some outcomes coincide (all-zero corners); every distinct one appears,
  // roughly uniformly.
  EXPECT_EQ(seen.size(), expected.size());
}

TEST(ApplyTransformTest, SameGeneratorStateSameOutput) {
  ViewTransform t;
  t.crop_size = 2;
  t.crop_padding = 1;
  t.horizontal_flip = true;
  std::mt19937_64 a(42), b(42);
  std::vector<float> out_a(12), out_b(12);
  ASSERT_TRUE(ApplyTransform(t, Tiny(), a, out_a.data()).ok());
  ASSERT_TRUE(ApplyTransform(t, Tiny(), b, out_b.data()).ok());
  EXPECT_EQ(out_a, out_b);
}

TEST(ApplyTransformTest, FlipByHand) {
  // Flip only, no crop: each row mirrored. Run until both outcomes are seen.
  ViewTransform t;
  t.horizontal_flip = true;
  std::set<std::vector<int>> seen;
  for (int seed = 0; seed < 64; ++seed) {
    std::mt19937_64 rng(seed);
    std::vector<float> out(12);
    ASSERT_TRUE(ApplyTransform(t, Tiny(), rng, out.data()).ok());
    const std::vector<int> bytes = Bytes(out);
    seen.insert(std::vector<int>(bytes.begin(), bytes.begin() + 4));
  }
  EXPECT_THAT(seen, ElementsAre(ElementsAre(1, 11, 21, 31),
                                ElementsAre(11, 1, 31, 21)));
}

TEST(ApplyTransformTest, GreyPaddedTo4AndRepeatedToRgb) {
  Image grey{2, 2, 1, {10, 20, 30, 40}};
  ViewTransform t;
  t.pad_to = 4;  // (4 - 2) / 2 = 1 zero row/column before
  std::mt19937_64 rng(0);
  std::vector<float> out(3 * 16);
  ASSERT_TRUE(ApplyTransform(t, grey, rng, out.data()).ok());
  const std::vector<int> plane = {0, 0,  0,  0, 0, 10, 20, 0,
                                  0, 30, 40, 0, 0, 0,  0,  0};
  const std::vector<int> bytes = Bytes(out);
  for (int c = 0; c < 3; ++c) {
    EXPECT_EQ(
        std::vector<int>(bytes.begin() + 16 * c, bytes.begin() + 16 * (c + 1)),
        plane);
  }
  EXPECT_EQ(t.OutputSide(2), 4);
}

TEST(ApplyTransformTest, RgbToGreyAndNormalisation) {
  ViewTransform t;
  t.output_channels = 1;
  t.normalization = {{0.5f}, {0.25f}};
  std::mt19937_64 rng(0);
  std::vector<float> out(4);
  ASSERT_TRUE(ApplyTransform(t, Tiny(), rng, out.data()).ok());
  // Pixel 0 = (1, 2, 3): luma 0.299 + 1.174 + 0.342 = 1.815.
  EXPECT_NEAR(out[0], (1.815f / 255 - 0.5f) / 0.25f, 1e-6);

  ViewTransform rgb;
  rgb.normalization = *Normalization::FromName("0.1,0.2,0.3/0.5,1,2");
  std::vector<float> normalised(12);
  ASSERT_TRUE(ApplyTransform(rgb, Tiny(), rng, normalised.data()).ok());
  EXPECT_FLOAT_EQ(normalised[0], (1.0f / 255 - 0.1f) / 0.5f);
  EXPECT_FLOAT_EQ(normalised[4], (2.0f / 255 - 0.2f) / 1.0f);
  EXPECT_FLOAT_EQ(normalised[11], (33.0f / 255 - 0.3f) / 2.0f);
}

TEST(ApplyTransformTest, BicubicTeacherViewMatchesTorch) {
  // uint8 image -> /255 -> bicubic 16 -> 40 -> clip normalisation; the
  // reference is the same pipeline in torch (gen_resize_reference.py).
  Image image{16, 16, 3, {}};
  for (int y = 0; y < 16; ++y) {
    for (int x = 0; x < 16; ++x) {
      for (int c = 0; c < 3; ++c) {
        image.pixels.push_back((y * 7 + x * 13 + c * 31) % 256);
      }
    }
  }
  ViewTransform t;
  t.resize_to = 40;
  t.resize_mode = ResizeMode::kBicubic;
  t.normalization = *Normalization::FromName("clip");
  EXPECT_EQ(t.OutputSide(16), 40);
  std::mt19937_64 rng(0);
  std::vector<float> out(3 * 40 * 40);
  ASSERT_TRUE(ApplyTransform(t, image, rng, out.data()).ok());
  EXPECT_THAT(out, Pointwise(FloatNear(1e-5), ClipBicubicViewReference()));
}

TEST(ApplyTransformTest, BadGeometryIsInvalidArgument) {
  std::mt19937_64 rng(0);
  std::vector<float> out(3 * 64 * 64);
  ViewTransform crop;
  crop.crop_size = 5;
  crop.crop_padding = 1;  // 2 + 2 < 5
  EXPECT_THAT(ApplyTransform(crop, Tiny(), rng, out.data()).ToString(),
              HasSubstr("crop_size=5 is larger than the 4x4 image"));
  ViewTransform pad;
  pad.pad_to = 1;
  EXPECT_THAT(ApplyTransform(pad, Tiny(), rng, out.data()).ToString(),
              HasSubstr("pad_to=1 but the image is 2x2"));
  ViewTransform plain;
  Image wide{2, 3, 3, std::vector<uint8_t>(18)};
  EXPECT_THAT(ApplyTransform(plain, wide, rng, out.data()).ToString(),
              HasSubstr("would be 2x3, not square"));
  ViewTransform norm;
  norm.normalization = {{0.1f, 0.2f}, {1.0f, 1.0f}};
  EXPECT_THAT(ApplyTransform(norm, Tiny(), rng, out.data()).ToString(),
              HasSubstr("normalization has 2 means"));
  Image broken{2, 2, 3, std::vector<uint8_t>(5)};
  EXPECT_EQ(ApplyTransform(plain, broken, rng, out.data()).code(),
            absl::StatusCode::kInvalidArgument);
  ViewTransform huge;
  huge.resize_to = 1 << 20;
  EXPECT_THAT(ApplyTransform(huge, Tiny(), rng, out.data()).ToString(),
              HasSubstr("sizes must be in [0, 16384]"));
  ViewTransform padding_only;
  padding_only.crop_padding = 4;
  EXPECT_THAT(ApplyTransform(padding_only, Tiny(), rng, out.data()).ToString(),
              HasSubstr("crop_padding needs crop_size"));
}

TEST(ParseViewTransformTest, FlagSpecs) {
  auto cifar = ParseViewTransform("crop=32,padding=4,flip=true,norm=cifar");
  ASSERT_TRUE(cifar.ok()) << cifar.status();
  EXPECT_EQ(cifar->crop_size, 32);
  EXPECT_EQ(cifar->crop_padding, 4);
  EXPECT_TRUE(cifar->horizontal_flip);
  EXPECT_EQ(cifar->resize_to, 0);
  EXPECT_THAT(cifar->normalization.mean,
              ElementsAre(0.5071f, 0.4865f, 0.4409f));
  auto teacher = ParseViewTransform("resize=224,mode=bicubic,norm=clip");
  ASSERT_TRUE(teacher.ok());
  EXPECT_EQ(teacher->resize_to, 224);
  EXPECT_EQ(teacher->resize_mode, ResizeMode::kBicubic);
  auto grey = ParseViewTransform("channels=1,pad_to=32,norm=0.5;0.5/0.25;0.25");
  ASSERT_TRUE(grey.ok()) << grey.status();
  EXPECT_EQ(grey->output_channels, 1);
  EXPECT_EQ(grey->pad_to, 32);
  EXPECT_THAT(grey->normalization.std, ElementsAre(0.25f, 0.25f));
  auto identity = ParseViewTransform("");
  ASSERT_TRUE(identity.ok());
  EXPECT_EQ(identity->OutputSide(28), 28);
  EXPECT_FALSE(identity->horizontal_flip);
  EXPECT_TRUE(identity->normalization.mean.empty());

  EXPECT_THAT(ParseViewTransform("crop=32,size=3").status().ToString(),
              HasSubstr("'view' has no option 'size'"));
  EXPECT_THAT(ParseViewTransform("mode=nearest").status().ToString(),
              HasSubstr("expected bilinear or bicubic"));
  EXPECT_THAT(ParseViewTransform("channels=2").status().ToString(),
              HasSubstr("channels is 2"));
  EXPECT_THAT(ParseViewTransform("norm=cifar100").status().ToString(),
              HasSubstr("unknown normalization"));
  EXPECT_THAT(ParseViewTransform("crop=-1").status().ToString(),
              HasSubstr("crop=-1, expected a size in [0, 16384]"));
  EXPECT_THAT(ParseViewTransform("resize=4294967328").status().ToString(),
              HasSubstr("resize=4294967328, expected a size in [0, 16384]"));
}

TEST(UniformIndexTest, InRangeAndCoversAll) {
  std::mt19937_64 rng(3);
  std::vector<int> counts(7);
  for (int i = 0; i < 7000; ++i) {
    const uint64_t k = UniformIndex(rng, 7);
    ASSERT_LT(k, 7u);
    ++counts[k];
  }
  for (int c : counts) EXPECT_NEAR(c, 1000, 150);
}

}  // namespace
}  // namespace kd
