// Data sets and views as the tools open them: class-balanced subsets, class
// subsets relabelled 0..k-1 (by index or name), the errors of bad
// selections, and the geometry of the views.
#include "kd/data/data_setup.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kd/options.h"

namespace kd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Example i: label i % classes, a side x side grey image of value i.
class LabelledRows : public Dataset {
 public:
  static constexpr char kDoc[] = "labels i % classes (tests only)";
  static OptionSchema Schema() {
    return {{"size", OptionType::kInt, "20", "examples"},
            {"classes", OptionType::kInt, "4", "classes"},
            {"side", OptionType::kInt, "6", "image side"}};
  }
  static absl::StatusOr<std::unique_ptr<Dataset>> Create(const Options& options,
                                                         const DatasetConfig&) {
    return std::unique_ptr<Dataset>(new LabelledRows(options.GetInt("size"),
                                                     options.GetInt("classes"),
                                                     options.GetInt("side")));
  }
  LabelledRows(int64_t size, int64_t classes, int64_t side)
      : size_(size), classes_(classes), side_(side) {}
  int64_t size() const override { return size_; }
  int64_t num_classes() const override { return classes_; }
  std::vector<std::string> class_names() const override {
    std::vector<std::string> names;
    for (int64_t c = 0; c < classes_; ++c)
      names.push_back(absl::StrCat("c", c));
    return names;
  }
  absl::StatusOr<Example> Get(int64_t index) const override {
    if (index < 0 || index >= size_) return absl::OutOfRangeError("index");
    Example e;
    e.label = index % classes_;
    e.image.height = e.image.width = static_cast<int>(side_);
    e.image.channels = 1;
    e.image.pixels.assign(side_ * side_, static_cast<uint8_t>(index));
    return e;
  }

 private:
  int64_t size_, classes_, side_;
};
KD_REGISTER(Dataset, LabelledRows, "test_labelled_rows");

std::vector<int64_t> Values(const Dataset& d) {
  std::vector<int64_t> v;
  for (int64_t i = 0; i < d.size(); ++i) v.push_back(d.Get(i)->image.pixels[0]);
  return v;
}

TEST(OpenDatasetTest, SubsetsAreClassBalancedInDataSetOrder) {
  auto all = OpenDataset({"test_labelled_rows", "", "train", 0, {}});
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ((*all)->size(), 20);
  // 6 of 4 classes: ceil(6/4) = 2 per class at most, in data-set order.
  auto subset = OpenDataset({"test_labelled_rows", "", "train", 6, {}});
  ASSERT_TRUE(subset.ok()) << subset.status();
  EXPECT_THAT(Values(**subset), ElementsAre(0, 1, 2, 3, 4, 5));
  EXPECT_THAT(*DatasetLabels(**subset), ElementsAre(0, 1, 2, 3, 0, 1));
  EXPECT_EQ((*subset)->num_classes(), 4);
  EXPECT_EQ((*subset)->Get(6).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(OpenDatasetTest, ClassSubsetsAreRelabelledInTheOrderGiven) {
  auto picked =
      OpenDataset({"test_labelled_rows", "", "train", 0, {"c3", "1"}});
  ASSERT_TRUE(picked.ok()) << picked.status();
  EXPECT_EQ((*picked)->num_classes(), 2);
  EXPECT_THAT((*picked)->class_names(), ElementsAre("c3", "c1"));
  EXPECT_THAT(Values(**picked), ElementsAre(1, 3, 5, 7, 9, 11, 13, 15, 17, 19));
  EXPECT_THAT(*DatasetLabels(**picked),
              ElementsAre(1, 0, 1, 0, 1, 0, 1, 0, 1, 0));
  auto both = OpenDataset({"test_labelled_rows", "", "train", 4, {"c3", "1"}});
  ASSERT_TRUE(both.ok());
  EXPECT_THAT(Values(**both), ElementsAre(1, 3, 5, 7));
}

TEST(OpenDatasetTest, BadSelectionsAreClearErrors) {
  EXPECT_THAT(
      std::string(
          OpenDataset({"no_such_data", "", "train", 0, {}}).status().message()),
      HasSubstr("unknown dataset 'no_such_data'"));
  const absl::Status unknown =
      OpenDataset({"test_labelled_rows", "", "train", 0, {"c9"}}).status();
  EXPECT_THAT(std::string(unknown.message()),
              HasSubstr("'c9' is not a class of test_labelled_rows"));
  EXPECT_THAT(std::string(unknown.message()), HasSubstr("c0, c1, c2, c3"));
  EXPECT_THAT(
      std::string(
          OpenDataset({"test_labelled_rows", "", "train", 0, {"c1", "1"}})
              .status()
              .message()),
      HasSubstr("given twice"));
  EXPECT_THAT(
      std::string(OpenDataset({"test_labelled_rows:size=0", "", "train", 0, {}})
                      .status()
                      .message()),
      HasSubstr("is empty"));
}

TEST(ViewGeometryTest, SmallImagesArePaddedLargeOnesResized) {
  EXPECT_EQ(ResolvedInputSize(28, 0), 32);
  EXPECT_EQ(ResolvedInputSize(64, 0), 64);
  EXPECT_EQ(ResolvedInputSize(28, 24), 24);
  // 28 -> 32: zero padding to 32, the reference crop (4 px) and flip.
  auto fmnist = MakeView(28, 0, true, "cifar");
  ASSERT_TRUE(fmnist.ok()) << fmnist.status();
  EXPECT_EQ(fmnist->output_channels, 3);
  EXPECT_EQ(fmnist->pad_to, 32);
  EXPECT_EQ(fmnist->crop_size, 32);
  EXPECT_EQ(fmnist->crop_padding, 4);
  EXPECT_TRUE(fmnist->horizontal_flip);
  // 64 -> 32: crop at 64 (8 px padding), then bilinear resize.
  auto tiny = MakeView(64, 32, true, "imagenet");
  ASSERT_TRUE(tiny.ok());
  EXPECT_EQ(tiny->crop_size, 64);
  EXPECT_EQ(tiny->crop_padding, 8);
  EXPECT_EQ(tiny->resize_to, 32);
  auto plain = MakeView(32, 0, false, "none");
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->crop_size, 0);
  EXPECT_FALSE(plain->horizontal_flip);
  EXPECT_FALSE(MakeView(32, 0, false, "no_such_preset").ok());
}

TEST(ViewGeometryTest, ImageSideNeedsSquareImages) {
  auto rows = OpenDataset({"test_labelled_rows:side=9", "", "train", 0, {}});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*ImageSide(**rows), 9);
}

}  // namespace
}  // namespace kd
