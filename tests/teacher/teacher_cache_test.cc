// BuildTeacherCache and CachedTeacher, with a fake data set, loader and
// teacher whose features are known exactly.
#include "kd/teacher/teacher_cache.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kd/teacher/teacher_factory.h"
#include "tests/testing/checked_meta_device.h"
#include "tests/testing/paths.h"

namespace kd {
namespace {

using ::kd::testing::TestTempPath;

using ::testing::HasSubstr;

class FakeDataset : public Dataset {
 public:
  explicit FakeDataset(int64_t size) : size_(size) {}
  int64_t size() const override { return size_; }
  absl::StatusOr<Example> Get(int64_t index) const override {
    return absl::UnimplementedError("not used");
  }
  int64_t num_classes() const override { return 2; }
  std::vector<std::string> class_names() const override { return {"a", "b"}; }

 private:
  int64_t size_;
};

// Shuffles per epoch (seeded by the epoch). Image i of epoch e is the
// constant index + 0.1 * e + channel, so the fake teacher's channel means
// identify (index, view). Options: drop the last partial batch, fail in an
// epoch, or give a teacher view.
class FakeLoader : public DataLoader {
 public:
  FakeLoader(int64_t size, int64_t batch) : dataset_(size), batch_(batch) {}
  bool drop_last = false;
  int fail_in_epoch = -1;
  bool teacher_view = false;

  void StartEpoch(int64_t epoch) override {
    epoch_ = epoch;
    order_.resize(dataset_.size());
    std::iota(order_.begin(), order_.end(), 0);
    std::mt19937 rng(static_cast<unsigned>(epoch));
    std::shuffle(order_.begin(), order_.end(), rng);
    next_ = 0;
  }
  absl::StatusOr<std::optional<Batch>> Next() override {
    if (epoch_ == fail_in_epoch && next_ > 0) {
      return absl::DataLossError("fake read error");
    }
    const int64_t left = static_cast<int64_t>(order_.size()) - next_;
    if (left <= 0 || (drop_last && left < batch_)) return std::nullopt;
    const int64_t b = std::min(batch_, left);
    Batch batch;
    batch.indices = torch::empty({b}, torch::kLong);
    torch::Tensor images = torch::empty({b, 3, 4, 4});
    for (int64_t i = 0; i < b; ++i) {
      const int64_t index = order_[next_ + i];
      batch.indices[i] = index;
      for (int c = 0; c < 3; ++c) {
        images[i][c].fill_(static_cast<double>(index) + 0.1 * epoch_ + c);
      }
    }
    next_ += b;
    batch.labels = torch::zeros({b}, torch::kLong);
    if (teacher_view) {
      batch.images = torch::zeros({b, 3, 2, 2});  // student view: unused
      batch.teacher_images = images;
    } else {
      batch.images = images;
    }
    return std::optional<Batch>(std::move(batch));
  }
  int64_t batches_per_epoch() const override {
    return (dataset_.size() + batch_ - 1) / batch_;
  }
  const Dataset& dataset() const override { return dataset_; }

 private:
  FakeDataset dataset_;
  int64_t batch_;
  int64_t epoch_ = 0;
  std::vector<int64_t> order_;
  int64_t next_ = 0;
};

// Features: the per-channel means of the images (D = 3).
class MeanTeacher : public Teacher {
 public:
  absl::StatusOr<BackboneOutput> Forward(const TeacherInputs& inputs) override {
    BackboneOutput out;
    out.pooled = inputs.images.mean({2, 3});
    return out;
  }
  int64_t feature_dim() const override { return 3; }
  int64_t input_size() const override { return 0; }
  std::string Describe() const override { return "mean teacher"; }
};

TeacherCacheBuildOptions BuildOptions() {
  TeacherCacheBuildOptions options;
  options.dataset = "fake/train";
  options.augmentation = "crop+flip";
  return options;
}

TeacherCacheExpectation Expectation() {
  TeacherCacheExpectation expected;
  expected.teacher = "mean teacher";
  expected.dataset = "fake/train";
  expected.dataset_size = 10;
  expected.augmentation = "crop+flip";
  return expected;
}

// The feature the fake teacher gives example `index` in view `view`.
torch::Tensor ExpectedFeature(int64_t index, int64_t view) {
  const float base = static_cast<float>(index) + 0.1f * view;
  return torch::tensor({base, base + 1.0f, base + 2.0f});
}

TEST(TeacherCacheTest, StoresEveryViewOfEveryExample) {
  MeanTeacher teacher;
  FakeLoader loader(10, 4);
  const std::string path = TestTempPath("views.cache");
  auto info = BuildTeacherCache(teacher, loader, 3, BuildOptions(), path);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->views, 3);
  EXPECT_EQ(info->feature_dim, 3);
  EXPECT_EQ(info->dataset_size, 10);

  auto cache = CachedTeacher::Open(path, Expectation(), /*seed=*/1);
  ASSERT_TRUE(cache.ok()) << cache.status();
  EXPECT_EQ((*cache)->feature_dim(), 3);
  EXPECT_EQ((*cache)->input_size(), 0);
  EXPECT_EQ((*cache)->info().teacher, "mean teacher");
  EXPECT_EQ((*cache)->info().augmentation, "crop+flip");
  EXPECT_THAT((*cache)->Describe(),
              HasSubstr("of mean teacher (3 views, D=3)"));
  for (int64_t i = 0; i < 10; ++i) {
    for (int64_t v = 0; v < 3; ++v) {
      auto feature = (*cache)->Feature(i, v);
      ASSERT_TRUE(feature.ok());
      EXPECT_TRUE(torch::allclose(*feature, ExpectedFeature(i, v), 0, 1e-5))
          << i << " " << v << ": " << *feature;
    }
  }
  EXPECT_EQ((*cache)->Feature(10, 0).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST(TeacherCacheTest, UsesTheTeacherViewWhenTheLoaderMakesOne) {
  MeanTeacher teacher;
  FakeLoader loader(10, 4);
  loader.teacher_view = true;
  const std::string path = TestTempPath("teacher_view.cache");
  ASSERT_TRUE(BuildTeacherCache(teacher, loader, 1, BuildOptions(), path).ok());
  auto cache = CachedTeacher::Open(path, Expectation(), 0);
  ASSERT_TRUE(cache.ok());
  EXPECT_TRUE(torch::allclose(*(*cache)->Feature(7, 0), ExpectedFeature(7, 0)));
}

TEST(TeacherCacheTest, ForwardSamplesSeededViewsPerIndexAndStep) {
  MeanTeacher teacher;
  FakeLoader loader(10, 4);
  const std::string path = TestTempPath("sampling.cache");
  ASSERT_TRUE(BuildTeacherCache(teacher, loader, 3, BuildOptions(), path).ok());
  auto a = CachedTeacher::Open(path, Expectation(), 7);
  auto b = CachedTeacher::Open(path, Expectation(), 7);
  auto c = CachedTeacher::Open(path, Expectation(), 8);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  const torch::Tensor indices = torch::tensor({3, 0, 9, 3}, torch::kLong);
  std::set<int64_t> views_of_3;
  bool seeds_differ = false;
  for (int step = 0; step < 30; ++step) {
    std::vector<int64_t> expected_views;
    for (int64_t i = 0; i < 4; ++i) {
      expected_views.push_back((*a)->ViewFor(indices[i].item<int64_t>()));
    }
    seeds_differ |= (*c)->ViewFor(3) != expected_views[0];
    auto out_a = (*a)->Forward({torch::Tensor(), indices});
    auto out_b = (*b)->Forward({torch::Tensor(), indices});
    ASSERT_TRUE(out_a.ok() && out_b.ok());
    ASSERT_TRUE((*c)->Forward({torch::Tensor(), indices}).ok());
    EXPECT_TRUE(torch::equal(out_a->pooled, out_b->pooled));  // same seed
    ASSERT_EQ(out_a->pooled.sizes(), (std::vector<int64_t>{4, 3}));
    for (int64_t i = 0; i < 4; ++i) {
      EXPECT_TRUE(torch::allclose(
          out_a->pooled[i],
          ExpectedFeature(indices[i].item<int64_t>(), expected_views[i]), 0,
          1e-5));
    }
    views_of_3.insert(expected_views[0]);
  }
  EXPECT_EQ((*a)->step(), 30);
  EXPECT_EQ(views_of_3.size(), 3u);  // every view gets used
  EXPECT_TRUE(seeds_differ);

  const absl::Status out_of_range =
      (*a)->Forward({torch::Tensor(), torch::tensor({10}, torch::kLong)})
          .status();
  EXPECT_EQ(out_of_range.code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ((*a)->Forward({torch::Tensor(), torch::Tensor()}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// The cache stays in host memory and hands each batch's features to the
// device it was moved to (indices from the device are read back on the
// host; these stay on the CPU because meta tensors hold no values).
TEST(TeacherCacheTest, ForwardAnswersOnTheDeviceItIsMovedTo) {
  MeanTeacher teacher;
  FakeLoader loader(10, 4);
  const std::string path = TestTempPath("device.cache");
  ASSERT_TRUE(BuildTeacherCache(teacher, loader, 2, BuildOptions(), path).ok());
  auto cache = CachedTeacher::Open(path, Expectation(), 3);
  ASSERT_TRUE(cache.ok()) << cache.status();
  testing::CheckedMetaDevice meta;
  (*cache)->To(torch::kMeta);
  auto out = (*cache)->Forward({torch::Tensor(), torch::arange(4)});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE(out->pooled.is_meta());
  EXPECT_EQ(out->pooled.sizes(), torch::IntArrayRef({4, 3}));
  EXPECT_EQ(out->pooled.scalar_type(), torch::kFloat);
}

TEST(TeacherCacheTest, OneViewAlwaysAnswersViewZero) {
  MeanTeacher teacher;
  FakeLoader loader(10, 3);
  const std::string path = TestTempPath("one_view.cache");
  ASSERT_TRUE(BuildTeacherCache(teacher, loader, 1, BuildOptions(), path).ok());
  auto cache = CachedTeacher::Open(path, Expectation(), 3);
  ASSERT_TRUE(cache.ok());
  for (int step = 0; step < 5; ++step) {
    auto out = (*cache)->Forward({torch::Tensor(), torch::arange(10)});
    ASSERT_TRUE(out.ok());
    for (int64_t i = 0; i < 10; ++i) {
      EXPECT_TRUE(torch::allclose(out->pooled[i], ExpectedFeature(i, 0)));
    }
  }
}

TEST(TeacherCacheTest, HalfPrecisionHalvesTheData) {
  MeanTeacher teacher;
  FakeLoader loader(10, 4);
  TeacherCacheBuildOptions options = BuildOptions();
  options.half_precision = true;
  const std::string half = TestTempPath("half.cache");
  const std::string full = TestTempPath("full.cache");
  ASSERT_TRUE(BuildTeacherCache(teacher, loader, 2, options, half).ok());
  ASSERT_TRUE(BuildTeacherCache(teacher, loader, 2, BuildOptions(), full).ok());
  auto cache = CachedTeacher::Open(half, Expectation(), 0);
  ASSERT_TRUE(cache.ok()) << cache.status();
  EXPECT_TRUE((*cache)->info().half_precision);
  EXPECT_TRUE(torch::allclose(*(*cache)->Feature(9, 1), ExpectedFeature(9, 1),
                              1e-3, 0));
  const auto data_bytes = [](const std::string& p) {
    return std::filesystem::file_size(p);
  };
  // Same header size up to the dtype string; 10 * 2 * 3 values.
  EXPECT_EQ(data_bytes(full) - data_bytes(half), 10u * 2 * 3 * 2);
}

TEST(TeacherCacheTest, RefusesAnotherTeacherDatasetSizeOrAugmentation) {
  MeanTeacher teacher;
  FakeLoader loader(10, 4);
  const std::string path = TestTempPath("mismatch.cache");
  ASSERT_TRUE(BuildTeacherCache(teacher, loader, 1, BuildOptions(), path).ok());
  TeacherCacheExpectation expected = Expectation();
  expected.teacher = "clip";
  expected.dataset = "cifar100/train";
  expected.dataset_size = 50000;
  expected.augmentation = "none";
  const absl::Status status = CachedTeacher::Open(path, expected, 0).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(),
              HasSubstr("teacher: cache 'mean teacher', this run 'clip'"));
  EXPECT_THAT(status.message(), HasSubstr("dataset: cache 'fake/train'"));
  EXPECT_THAT(status.message(),
              HasSubstr("dataset size: cache '10', this run '50000'"));
  EXPECT_THAT(status.message(), HasSubstr("augmentation: cache 'crop+flip'"));
  // An empty teacher expectation accepts any teacher.
  expected = Expectation();
  expected.teacher = "";
  EXPECT_TRUE(CachedTeacher::Open(path, expected, 0).ok());
}

TEST(TeacherCacheTest, DamagedFilesAreDataLoss) {
  MeanTeacher teacher;
  FakeLoader loader(10, 4);
  const std::string path = TestTempPath("damaged.cache");
  ASSERT_TRUE(BuildTeacherCache(teacher, loader, 1, BuildOptions(), path).ok());
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 4);
  const absl::Status truncated =
      CachedTeacher::Open(path, Expectation(), 0).status();
  EXPECT_EQ(truncated.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(truncated.message(), HasSubstr("truncated"));
  const std::string garbage = TestTempPath("garbage.cache");
  std::ofstream(garbage) << "definitely not a cache";
  EXPECT_EQ(CachedTeacher::Open(garbage, Expectation(), 0).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(CachedTeacher::Open(TestTempPath("none.cache"), Expectation(), 0)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

// Failed builds leave neither a partial cache nor a temporary file, and do
// not touch an existing cache at the path.
TEST(TeacherCacheTest, FailedBuildsWriteNothing) {
  MeanTeacher teacher;
  const std::filesystem::path dir = TestTempPath("atomic");
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "teacher.cache").string();
  {
    FakeLoader good(10, 4);
    ASSERT_TRUE(BuildTeacherCache(teacher, good, 1, BuildOptions(), path).ok());
  }
  const auto size_before = std::filesystem::file_size(path);

  FakeLoader failing(10, 4);
  failing.fail_in_epoch = 1;
  const absl::Status failed =
      BuildTeacherCache(teacher, failing, 2, BuildOptions(), path).status();
  EXPECT_EQ(failed.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(failed.message(), HasSubstr("fake read error"));

  FakeLoader short_epochs(10, 4);
  short_epochs.drop_last = true;
  const absl::Status partial =
      BuildTeacherCache(teacher, short_epochs, 2, BuildOptions(), path)
          .status();
  EXPECT_EQ(partial.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(partial.message(), HasSubstr("visited 8 of 10 examples"));

  EXPECT_EQ(std::filesystem::file_size(path), size_before);
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    (void)entry;
    ++files;
  }
  EXPECT_EQ(files, 1);  // no temporary files left behind
  EXPECT_TRUE(CachedTeacher::Open(path, Expectation(), 0).ok());
}

TEST(TeacherCacheTest, CreateTeacherOpensCaches) {
  MeanTeacher teacher;
  FakeLoader loader(10, 4);
  const std::string path = TestTempPath("factory.cache");
  ASSERT_TRUE(BuildTeacherCache(teacher, loader, 2, BuildOptions(), path).ok());
  absl::StatusOr<TeacherSpec> spec = ParseTeacherSpec("cache:" + path);
  ASSERT_TRUE(spec.ok()) << spec.status();
  spec->cache = Expectation();
  auto cached = CreateTeacher(*spec);
  ASSERT_TRUE(cached.ok()) << cached.status();
  EXPECT_EQ((*cached)->feature_dim(), 3);
  spec->cache.dataset_size = 11;
  EXPECT_EQ(CreateTeacher(*spec).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(TeacherCacheTest, DescribeAugmentationNamesEveryField) {
  ViewTransform t;
  t.crop_size = 32;
  t.crop_padding = 4;
  t.horizontal_flip = true;
  t.resize_to = 224;
  t.resize_mode = ResizeMode::kBicubic;
  t.normalization.mean = {0.5f, 0.25f, 0.125f};
  t.normalization.std = {1.0f, 2.0f, 4.0f};
  EXPECT_EQ(DescribeAugmentation(t),
            "channels=3 pad_to=0 crop=32 crop_padding=4 flip=1 "
            "resize=224/bicubic normalize=0.5,0.25,0.125/1,2,4");
}

}  // namespace
}  // namespace kd
