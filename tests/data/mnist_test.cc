// mnist and fashion_mnist readers: small IDX files (plain and gzipped) in the
// official layout, and the real Fashion-MNIST of the Debian package.
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kd/data/dataset.h"
#include "kd/data/transforms.h"
#include "tests/data/test_files.h"

namespace kd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_data::Gzip;
using testing_data::IdxFile;
using testing_data::NewTempDir;
using testing_data::WriteFile;

absl::StatusOr<std::unique_ptr<Dataset>> Open(const std::string& spec,
                                              const std::string& dir,
                                              const std::string& split) {
  return Dataset::Registry::Global().Create(spec, DatasetConfig{dir, split});
}

// 3 images of 2x3: image k pixel (y, x) = 10 * k + 3 * y + x.
std::string ImagesData() {
  std::string data;
  for (int k = 0; k < 3; ++k) {
    for (int i = 0; i < 6; ++i) data.push_back(static_cast<char>(10 * k + i));
  }
  return data;
}

TEST(MnistTest, PlainAndGzippedIdx) {
  const std::string dir = NewTempDir();
  WriteFile(dir + "/train-images-idx3-ubyte", IdxFile({3, 2, 3}, ImagesData()));
  WriteFile(dir + "/train-labels-idx1-ubyte", IdxFile({3}, {5, 0, 9}));
  WriteFile(dir + "/t10k-images-idx3-ubyte.gz",
            Gzip(IdxFile({3, 2, 3}, ImagesData())));
  WriteFile(dir + "/t10k-labels-idx1-ubyte.gz", Gzip(IdxFile({3}, {1, 2, 3})));
  for (const std::string split : {"train", "test"}) {
    auto dataset = Open("mnist", dir, split);
    ASSERT_TRUE(dataset.ok()) << dataset.status();
    ASSERT_EQ((*dataset)->size(), 3);
    EXPECT_EQ((*dataset)->num_classes(), 10);
    const Image image = (*dataset)->Get(2)->image;
    EXPECT_EQ(image.height, 2);
    EXPECT_EQ(image.width, 3);
    EXPECT_EQ(image.channels, 1);
    EXPECT_THAT(image.pixels, ElementsAre(20, 21, 22, 23, 24, 25));
  }
  EXPECT_EQ((*Open("mnist", dir, "train"))->Get(2)->label, 9);
  EXPECT_EQ((*Open("mnist", dir, "test"))->Get(2)->label, 3);
  auto subset = Open("mnist:per_class=1,limit=2", dir, "train");
  ASSERT_TRUE(subset.ok());
  EXPECT_EQ((*subset)->size(), 2);
}

TEST(MnistTest, Errors) {
  const std::string dir = NewTempDir();
  EXPECT_THAT(Open("mnist", "", "train").status().ToString(),
              HasSubstr("needs data_dir"));
  EXPECT_THAT(Open("mnist", dir, "train").status().ToString(),
              HasSubstr("neither '" + dir + "/train-images-idx3-ubyte' nor '" +
                        dir + "/train-images-idx3-ubyte.gz' exists"));
  WriteFile(dir + "/train-labels-idx1-ubyte", IdxFile({3}, {5, 0, 9}));
  // Labels file where the images file should be: wrong magic.
  WriteFile(dir + "/train-images-idx3-ubyte", IdxFile({3}, {5, 0, 9}));
  EXPECT_THAT(Open("mnist", dir, "train").status().ToString(),
              HasSubstr("train-images-idx3-ubyte' has IDX magic number "
                        "0x00000801, expected 0x00000803"));
  // Truncated data.
  WriteFile(dir + "/train-images-idx3-ubyte",
            IdxFile({3, 2, 3}, ImagesData().substr(0, 17)));
  EXPECT_THAT(Open("mnist", dir, "train").status().ToString(),
              HasSubstr("IDX header declares 3 x 2 x 3 = 18 bytes of data, "
                        "found 17 (truncated file)"));
  // Count mismatch.
  WriteFile(dir + "/train-images-idx3-ubyte", IdxFile({3, 2, 3}, ImagesData()));
  WriteFile(dir + "/train-labels-idx1-ubyte", IdxFile({2}, {5, 0}));
  EXPECT_THAT(Open("mnist", dir, "train").status().ToString(),
              HasSubstr("has 2 labels but"));
  // Label out of range.
  WriteFile(dir + "/train-labels-idx1-ubyte", IdxFile({3}, {5, 10, 0}));
  EXPECT_THAT(Open("mnist", dir, "train").status().ToString(),
              HasSubstr("label 1 is 10, expected [0, 10)"));
  // Corrupt gzip.
  std::string gz = Gzip(IdxFile({3}, {5, 1, 0}));
  std::filesystem::remove(dir + "/train-labels-idx1-ubyte");
  WriteFile(dir + "/train-labels-idx1-ubyte.gz", gz.substr(0, gz.size() - 6));
  EXPECT_THAT(Open("mnist", dir, "train").status().ToString(),
              HasSubstr("truncated gzip stream"));
  std::filesystem::remove(dir + "/train-labels-idx1-ubyte.gz");
  WriteFile(dir + "/train-labels-idx1-ubyte", IdxFile({3}, {5, 1, 0}));
  // Dimensions whose product wraps around 2^64 (2^20 * 2^20 * 2^24) with
  // no data: must not be taken for an empty payload.
  WriteFile(dir + "/train-images-idx3-ubyte",
            IdxFile({1u << 20, 1u << 20, 1u << 24}, ""));
  EXPECT_THAT(Open("mnist", dir, "train").status().ToString(),
              HasSubstr("IDX dimensions are implausibly large"));
  // Non-byte IDX type (0x0D = float).
  std::string floats = IdxFile({3, 2, 3}, ImagesData());
  floats[2] = 0x0d;
  WriteFile(dir + "/train-images-idx3-ubyte", floats);
  EXPECT_THAT(Open("mnist", dir, "train").status().ToString(),
              HasSubstr("magic number 0x00000d03, expected 0x00000803"));
}

std::string FashionMnistDir() {
  const char* dir = std::getenv("KD_FASHION_MNIST_DIR");
  return dir != nullptr ? dir : "/usr/share/datasets/fashion-mnist";
}

// The real data set (apt package dataset-fashion-mnist). Expected values were
// read from the files independently with Python's gzip + numpy.
TEST(FashionMnistTest, RealDataSet) {
  auto train = Open("fashion_mnist", FashionMnistDir(), "train");
  ASSERT_TRUE(train.ok()) << train.status();
  ASSERT_EQ((*train)->size(), 60000);
  EXPECT_EQ((*train)->num_classes(), 10);
  EXPECT_EQ((*train)->class_names()[9], "Ankle boot");
  std::map<int64_t, int> counts;
  double sum = 0, sum_sq = 0;
  for (int64_t i = 0; i < (*train)->size(); ++i) {
    const Example example = *(*train)->Get(i);
    ++counts[example.label];
    for (uint8_t v : example.image.pixels) {
      sum += v / 255.0;
      sum_sq += (v / 255.0) * (v / 255.0);
    }
  }
  for (int c = 0; c < 10; ++c) EXPECT_EQ(counts[c], 6000) << "class " << c;
  const std::vector<int64_t> first_labels = {9, 0, 0, 3, 0, 2,
                                             7, 2, 5, 5, 0, 9};
  for (int i = 0; i < 12; ++i)
    EXPECT_EQ((*train)->Get(i)->label, first_labels[i]);
  const Image first = (*train)->Get(0)->image;
  ASSERT_EQ(first.height, 28);
  ASSERT_EQ(first.width, 28);
  ASSERT_EQ(first.channels, 1);
  int pixel_sum = 0;
  for (uint8_t v : first.pixels) pixel_sum += v;
  EXPECT_EQ(pixel_sum, 76247);
  EXPECT_THAT(std::vector<uint8_t>(first.pixels.begin() + 14 * 28 + 10,
                                   first.pixels.begin() + 14 * 28 + 18),
              ElementsAre(0, 0, 237, 226, 217, 223, 222, 219));
  // The "fashion_mnist" normalisation preset is this data's mean/std.
  const double n = 60000.0 * 784;
  const double mean = sum / n;
  const double std = std::sqrt(sum_sq / n - mean * mean);
  const Normalization preset = *Normalization::FromName("fashion_mnist");
  EXPECT_NEAR(preset.mean[0], mean, 1e-4);
  EXPECT_NEAR(preset.std[0], std, 1e-4);

  auto test = Open("fashion_mnist", FashionMnistDir(), "test");
  ASSERT_TRUE(test.ok()) << test.status();
  ASSERT_EQ((*test)->size(), 10000);
  std::map<int64_t, int> test_counts;
  for (int64_t i = 0; i < (*test)->size(); ++i)
    ++test_counts[(*test)->Get(i)->label];
  for (int c = 0; c < 10; ++c) EXPECT_EQ(test_counts[c], 1000);
  EXPECT_EQ((*test)->Get(1)->label, 2);
}

TEST(FashionMnistTest, DefaultDirectoryAndSubset) {
  // Empty data_dir: the Debian package's path.
  auto subset = Open("fashion_mnist:per_class=5", "", "train");
  ASSERT_TRUE(subset.ok()) << subset.status();
  ASSERT_EQ((*subset)->size(), 50);
  std::map<int64_t, int> counts;
  for (int64_t i = 0; i < 50; ++i) ++counts[(*subset)->Get(i)->label];
  for (int c = 0; c < 10; ++c) EXPECT_EQ(counts[c], 5);
  // The first example of class 9 is the first of the file.
  EXPECT_EQ((*subset)->Get(0)->label, 9);
}

}  // namespace
}  // namespace kd
