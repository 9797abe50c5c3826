// stl10 reader on small files in the official binary layout: column-major
// images one channel at a time, labels 1..10 (test_files.h).
#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kd/data/dataset.h"
#include "kd/data/file_io.h"
#include "kd/data/stl_format.h"
#include "tests/data/test_files.h"

namespace kd {
namespace {

using ::testing::HasSubstr;
using testing_data::NewTempDir;
using testing_data::PatternImage;
using testing_data::StlImage;
using testing_data::WriteFile;

absl::StatusOr<std::unique_ptr<Dataset>> Open(const std::string& spec,
                                              const std::string& dir,
                                              const std::string& split) {
  return Dataset::Registry::Global().Create(spec, DatasetConfig{dir, split});
}

std::string WriteStl() {
  const std::string dir = NewTempDir() + "/stl10_binary";
  std::string train_x, unlabeled_x;
  for (int k = 0; k < 4; ++k) train_x += StlImage(PatternImage(96, 96, 3, k));
  for (int k = 0; k < 3; ++k) {
    unlabeled_x += StlImage(PatternImage(96, 96, 3, 50 + k));
  }
  WriteFile(dir + "/train_X.bin", train_x);
  WriteFile(dir + "/train_y.bin", std::string({1, 10, 3, 1}));
  WriteFile(dir + "/unlabeled_X.bin", unlabeled_x);
  return dir;
}

TEST(Stl10Test, ColumnMajorImagesAndOneBasedLabels) {
  const std::string dir = WriteStl();
  auto dataset = Open("stl10", dir, "train");
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  ASSERT_EQ((*dataset)->size(), 4);
  EXPECT_EQ((*dataset)->num_classes(), 10);
  EXPECT_EQ((*dataset)->class_names()[7], "monkey");
  const std::vector<int64_t> labels = {0, 9, 2, 0};
  for (int k = 0; k < 4; ++k) {
    auto example = (*dataset)->Get(k);
    ASSERT_TRUE(example.ok());
    EXPECT_EQ(example->label, labels[k]);
    ASSERT_EQ(example->image.height, 96);
    ASSERT_EQ(example->image.width, 96);
    EXPECT_EQ(example->image.pixels, PatternImage(96, 96, 3, k).pixels);
  }
  // By hand from the raw bytes: a file where only byte 1 of the red plane
  // (column 0, row 1) and byte 96 (column 1, row 0) are set.
  const std::string raw = NewTempDir();
  std::string image(3 * 96 * 96, '\0');
  image[1] = 11;                // red, column 0, row 1
  image[96] = 22;               // red, column 1, row 0
  image[2 * 96 * 96 + 5] = 33;  // blue, column 0, row 5
  WriteFile(raw + "/test_X.bin", image);
  WriteFile(raw + "/test_y.bin", std::string(1, 4));
  auto one = Open("stl10", raw, "test");
  ASSERT_TRUE(one.ok()) << one.status();
  const Image decoded = (*one)->Get(0)->image;
  EXPECT_EQ(decoded.pixels[(1 * 96 + 0) * 3 + 0], 11);  // row 1, column 0
  EXPECT_EQ(decoded.pixels[(0 * 96 + 1) * 3 + 0], 22);  // row 0, column 1
  EXPECT_EQ(decoded.pixels[(5 * 96 + 0) * 3 + 2], 33);
  EXPECT_EQ((*one)->Get(0)->label, 3);
}

TEST(Stl10Test, UnlabeledSplitAndLimitReadsAPrefix) {
  const std::string dir = WriteStl();
  auto unlabeled = Open("stl10", dir, "unlabeled");
  ASSERT_TRUE(unlabeled.ok()) << unlabeled.status();
  ASSERT_EQ((*unlabeled)->size(), 3);
  EXPECT_EQ((*unlabeled)->Get(2)->label, -1);
  EXPECT_EQ((*unlabeled)->Get(2)->image.pixels,
            PatternImage(96, 96, 3, 52).pixels);
  auto two = Open("stl10:limit=2", dir + "/..", "unlabeled");
  ASSERT_TRUE(two.ok());
  ASSERT_EQ((*two)->size(), 2);
  EXPECT_EQ((*two)->Get(1)->image.pixels, PatternImage(96, 96, 3, 51).pixels);
  EXPECT_THAT(Open("stl10:per_class=1", dir, "unlabeled").status().ToString(),
              HasSubstr("needs labels"));
  auto per_class = Open("stl10:per_class=1", dir, "train");
  ASSERT_TRUE(per_class.ok());
  EXPECT_EQ((*per_class)->size(), 3);  // labels 0, 9, 2 (second 0 dropped)
  for (int k = 0; k < 3; ++k) {
    EXPECT_EQ((*per_class)->Get(k)->image.pixels,
              PatternImage(96, 96, 3, k).pixels);
  }
}

// The reader maps the images file and converts one image per Get(): the
// images are exactly those the whole-file parser (the reader before) gives.
TEST(Stl10Test, MappedImagesEqualTheParsedFile) {
  const std::string dir = WriteStl();
  for (const char* split : {"train", "unlabeled"}) {
    const std::string file = dir + "/" + split + "_X.bin";
    auto parsed =
        data_internal::ParseStlImages(*data_internal::ReadFile(file), file);
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    auto dataset = Open("stl10", dir, split);
    ASSERT_TRUE(dataset.ok()) << dataset.status();
    ASSERT_EQ((*dataset)->size(), static_cast<int64_t>(parsed->size()));
    for (size_t i = 0; i < parsed->size(); ++i) {
      const Image image = (*dataset)->Get(i)->image;
      EXPECT_EQ(image.height, 96);
      EXPECT_EQ(image.channels, 3);
      EXPECT_EQ(image.pixels, (*parsed)[i].pixels) << split << " " << i;
    }
  }
}

TEST(Stl10Test, Errors) {
  const std::string dir = WriteStl();
  EXPECT_THAT(Open("stl10", dir, "test").status().ToString(),
              HasSubstr("test_X.bin' does not exist"));
  EXPECT_THAT(Open("stl10", dir, "valid").status().ToString(),
              HasSubstr("valid: train, test, unlabeled"));
  WriteFile(dir + "/train_y.bin", std::string({1, 0, 3, 1}));
  EXPECT_THAT(Open("stl10", dir, "train").status().ToString(),
              HasSubstr("train_y.bin': label 1 is 0, expected 1..10"));
  WriteFile(dir + "/train_y.bin", std::string({1, 11, 3, 1}));
  EXPECT_THAT(Open("stl10", dir, "train").status().ToString(),
              HasSubstr("label 1 is 11, expected 1..10"));
  WriteFile(dir + "/train_y.bin", std::string({1, 2, 3}));
  EXPECT_THAT(Open("stl10", dir, "train").status().ToString(),
              HasSubstr("has 3 labels but"));
  std::filesystem::remove(dir + "/train_y.bin");
  EXPECT_THAT(Open("stl10", dir, "train").status().ToString(),
              HasSubstr("train_y.bin' does not exist"));
  WriteFile(dir + "/unlabeled_X.bin", std::string(27648 + 5, 'x'));
  EXPECT_THAT(Open("stl10", dir, "unlabeled").status().ToString(),
              HasSubstr("has 27653 bytes, expected a positive multiple of the "
                        "STL-10 image size 27648"));
}

}  // namespace
}  // namespace kd
