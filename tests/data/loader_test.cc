// DataLoader: order and augmentation depend only on (seed, epoch), never on
// the number of workers; drop_last, sharding, teacher views, errors, and
// shutdown in the middle of an epoch.
#include "kd/data/loader.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <numeric>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kd/data/in_memory_dataset.h"

namespace kd {
namespace {

using ::testing::HasSubstr;

// n images of side x side x 3, image i filled with (i * 5 + position) % 256,
// label i % 10.
std::shared_ptr<const Dataset> MakeDataset(int n, int side = 8) {
  std::vector<Image> images;
  std::vector<int64_t> labels;
  for (int i = 0; i < n; ++i) {
    Image image{side, side, 3, {}};
    for (int p = 0; p < side * side * 3; ++p) {
      image.pixels.push_back((i * 5 + p) % 256);
    }
    images.push_back(std::move(image));
    labels.push_back(i % 10);
  }
  return std::make_shared<InMemoryDataset>("synthetic", std::move(images),
                                           std::move(labels),
                                           NumberedClassNames(10));
}

// Fails to read example `bad`.
class FailingDataset : public Dataset {
 public:
  FailingDataset(std::shared_ptr<const Dataset> inner, int64_t bad)
      : inner_(std::move(inner)), bad_(bad) {}
  int64_t size() const override { return inner_->size(); }
  absl::StatusOr<Example> Get(int64_t index) const override {
    if (index == bad_) return absl::DataLossError("disk on fire");
    return inner_->Get(index);
  }
  int64_t num_classes() const override { return inner_->num_classes(); }
  std::vector<std::string> class_names() const override {
    return inner_->class_names();
  }

 private:
  std::shared_ptr<const Dataset> inner_;
  int64_t bad_;
};

// Records which examples Get() was called for (from any thread).
class CountingDataset : public Dataset {
 public:
  explicit CountingDataset(std::shared_ptr<const Dataset> inner)
      : inner_(std::move(inner)) {}
  int64_t size() const override { return inner_->size(); }
  absl::StatusOr<Example> Get(int64_t index) const override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++reads_[index];
    }
    return inner_->Get(index);
  }
  int64_t num_classes() const override { return inner_->num_classes(); }
  std::vector<std::string> class_names() const override {
    return inner_->class_names();
  }
  std::map<int64_t, int> TakeReads() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::exchange(reads_, {});
  }

 private:
  std::shared_ptr<const Dataset> inner_;
  mutable std::mutex mutex_;
  mutable std::map<int64_t, int> reads_;  // index -> Get() calls
};

LoaderOptions CifarLikeOptions(int workers) {
  LoaderOptions options;
  options.batch_size = 4;
  options.num_workers = workers;
  options.seed = 7;
  options.student_view.crop_size = 8;
  options.student_view.crop_padding = 2;
  options.student_view.horizontal_flip = true;
  options.student_view.normalization = *Normalization::FromName("cifar");
  return options;
}

std::unique_ptr<DataLoader> MakeLoader(std::shared_ptr<const Dataset> dataset,
                                       LoaderOptions options) {
  auto loader = DataLoader::Create(std::move(dataset), std::move(options));
  CHECK(loader.ok()) << loader.status();
  return *std::move(loader);
}

// Every batch of one epoch.
std::vector<Batch> Epoch(DataLoader& loader, int64_t epoch) {
  loader.StartEpoch(epoch);
  std::vector<Batch> batches;
  while (true) {
    auto batch = loader.Next();
    CHECK(batch.ok()) << batch.status();
    if (!batch->has_value()) break;
    batches.push_back(**batch);
  }
  return batches;
}

std::vector<int64_t> Indices(const std::vector<Batch>& batches) {
  std::vector<int64_t> indices;
  for (const Batch& b : batches) {
    for (int64_t i = 0; i < b.indices.size(0); ++i) {
      indices.push_back(b.indices[i].item<int64_t>());
    }
  }
  return indices;
}

TEST(LoaderTest, NextBeforeStartEpochIsAnError) {
  auto loader = MakeLoader(MakeDataset(5), CifarLikeOptions(1));
  EXPECT_EQ(loader->Next().status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(LoaderTest, EpochVisitsEveryExampleOnceWithItsLabelAndPixels) {
  auto dataset = MakeDataset(10);
  LoaderOptions options;
  options.batch_size = 4;
  options.num_workers = 2;
  auto loader = MakeLoader(dataset, options);
  EXPECT_EQ(loader->batches_per_epoch(), 3);
  const std::vector<Batch> batches = Epoch(*loader, 0);
  ASSERT_EQ(batches.size(), 3u);
  EXPECT_EQ(batches[2].images.size(0), 2);  // partial last batch
  std::vector<int64_t> indices = Indices(batches);
  std::vector<int64_t> sorted = indices;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int64_t> all(10);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(sorted, all);
  EXPECT_NE(indices, all);  // shuffled
  for (const Batch& b : batches) {
    ASSERT_EQ(b.images.sizes(),
              (std::vector<int64_t>{b.indices.size(0), 3, 8, 8}));
    EXPECT_EQ(b.images.dtype(), at::kFloat);
    EXPECT_EQ(b.labels.dtype(), at::kLong);
    EXPECT_FALSE(b.teacher_images.defined());
    for (int64_t i = 0; i < b.indices.size(0); ++i) {
      const int64_t index = b.indices[i].item<int64_t>();
      EXPECT_EQ(b.labels[i].item<int64_t>(), index % 10);
      // Identity view: CHW of the HWC bytes / 255.
      const Image image = dataset->Get(index)->image;
      const int y = 3, x = 5, c = 2;
      EXPECT_FLOAT_EQ(b.images[i][c][y][x].item<float>(),
                      image.pixels[(y * 8 + x) * 3 + c] / 255.0f);
    }
  }
}

TEST(LoaderTest, OrderAndAugmentationDoNotDependOnWorkers) {
  auto dataset = MakeDataset(23);
  std::vector<std::vector<Batch>> runs;
  for (int workers : {0, 1, 3}) {
    LoaderOptions options = CifarLikeOptions(workers);
    options.prefetch_batches = workers == 3 ? 1 : 0;
    auto loader = MakeLoader(dataset, options);
    runs.push_back(Epoch(*loader, 5));
  }
  for (size_t r = 1; r < runs.size(); ++r) {
    ASSERT_EQ(runs[r].size(), runs[0].size());
    for (size_t b = 0; b < runs[0].size(); ++b) {
      EXPECT_TRUE(at::equal(runs[r][b].indices, runs[0][b].indices));
      EXPECT_TRUE(at::equal(runs[r][b].images, runs[0][b].images));
      EXPECT_TRUE(at::equal(runs[r][b].labels, runs[0][b].labels));
    }
  }
  // Augmentation is on: crops differ from the plain image somewhere.
  LoaderOptions plain_options = CifarLikeOptions(0);
  plain_options.student_view.crop_size = 0;
  plain_options.student_view.crop_padding = 0;
  plain_options.student_view.horizontal_flip = false;
  auto plain = MakeLoader(dataset, plain_options);
  const std::vector<Batch> plain_run = Epoch(*plain, 5);
  EXPECT_TRUE(at::equal(plain_run[0].indices, runs[0][0].indices));
  EXPECT_FALSE(at::equal(plain_run[0].images, runs[0][0].images));
}

TEST(LoaderTest, EpochsAndSeedsChangeTheOrder) {
  auto dataset = MakeDataset(50);
  auto loader = MakeLoader(dataset, CifarLikeOptions(2));
  const std::vector<int64_t> epoch0 = Indices(Epoch(*loader, 0));
  const std::vector<int64_t> epoch1 = Indices(Epoch(*loader, 1));
  EXPECT_NE(epoch0, epoch1);
  EXPECT_EQ(Indices(Epoch(*loader, 0)), epoch0);  // repeatable
  LoaderOptions other_seed = CifarLikeOptions(2);
  other_seed.seed = 8;
  EXPECT_NE(Indices(Epoch(*MakeLoader(dataset, other_seed), 0)), epoch0);
  LoaderOptions no_shuffle = CifarLikeOptions(2);
  no_shuffle.shuffle = false;
  std::vector<int64_t> all(50);
  std::iota(all.begin(), all.end(), 0);
  EXPECT_EQ(Indices(Epoch(*MakeLoader(dataset, no_shuffle), 3)), all);
}

TEST(LoaderTest, DropLast) {
  LoaderOptions options = CifarLikeOptions(1);
  options.drop_last = true;
  auto loader = MakeLoader(MakeDataset(10), options);
  EXPECT_EQ(loader->batches_per_epoch(), 2);
  const std::vector<Batch> batches = Epoch(*loader, 0);
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[1].images.size(0), 4);
  options.batch_size = 11;
  EXPECT_THAT(DataLoader::Create(MakeDataset(10), options).status().ToString(),
              HasSubstr("leaves no batch"));
}

TEST(LoaderTest, ShardsPartitionTheShuffledOrder) {
  auto dataset = MakeDataset(10);
  LoaderOptions single = CifarLikeOptions(0);
  single.batch_size = 3;
  const std::vector<int64_t> order =
      Indices(Epoch(*MakeLoader(dataset, single), 4));
  std::multiset<int64_t> seen;
  for (int rank = 0; rank < 3; ++rank) {
    LoaderOptions options = single;
    options.world_size = 3;
    options.rank = rank;
    options.num_workers = rank;  // any worker count
    auto loader = MakeLoader(dataset, options);
    EXPECT_EQ(loader->batches_per_epoch(), 2);  // ceil(10 / 3) = 4 examples
    const std::vector<int64_t> mine = Indices(Epoch(*loader, 4));
    ASSERT_EQ(mine.size(), 4u);
    for (int k = 0; k < 4; ++k) {
      // Padded order wraps around: position 10 and 11 are order[0], order[1].
      EXPECT_EQ(mine[k], order[(rank + 3 * k) % 10]);
      seen.insert(mine[k]);
    }
  }
  for (int64_t i = 0; i < 10; ++i) EXPECT_GE(seen.count(i), 1u);
  EXPECT_EQ(seen.size(), 12u);
  LoaderOptions bad = single;
  bad.world_size = 2;
  bad.rank = 2;
  EXPECT_THAT(DataLoader::Create(dataset, bad).status().ToString(),
              HasSubstr("rank 2 of world_size 2"));
}

// Sharded evaluation: without padding the ranks' shards hold every example
// exactly once, the first ranks one more when the size does not divide.
TEST(LoaderTest, UnpaddedShardsHoldEveryExampleOnce) {
  auto dataset = MakeDataset(10);
  LoaderOptions single = CifarLikeOptions(0);
  single.batch_size = 3;
  single.shuffle = false;
  std::multiset<int64_t> seen;
  for (int rank = 0; rank < 3; ++rank) {
    LoaderOptions options = single;
    options.world_size = 3;
    options.rank = rank;
    options.pad_shards = false;
    auto loader = MakeLoader(dataset, options);
    const std::vector<int64_t> mine = Indices(Epoch(*loader, 0));
    ASSERT_EQ(mine.size(), rank == 0 ? 4u : 3u) << rank;
    for (size_t k = 0; k < mine.size(); ++k) {
      EXPECT_EQ(mine[k], rank + 3 * static_cast<int64_t>(k));
      seen.insert(mine[k]);
    }
  }
  EXPECT_EQ(seen.size(), 10u);
  for (int64_t i = 0; i < 10; ++i) EXPECT_EQ(seen.count(i), 1u);
}

// A lazy data set (decoding in Get()) costs each process only its shard:
// the loader of rank r reads exactly the examples of its part of the
// shuffled order, each once per epoch.
TEST(LoaderTest, EachRankReadsOnlyItsShard) {
  auto counting = std::make_shared<CountingDataset>(MakeDataset(21));
  std::set<int64_t> all_read;
  for (int rank = 0; rank < 2; ++rank) {
    LoaderOptions options = CifarLikeOptions(2);
    options.batch_size = 4;
    options.world_size = 2;
    options.rank = rank;
    auto loader = MakeLoader(counting, options);
    counting->TakeReads();  // Create checks the views on example 0
    for (int64_t epoch = 0; epoch < 2; ++epoch) {
      const std::vector<int64_t> mine = Indices(Epoch(*loader, epoch));
      ASSERT_EQ(mine.size(), 11u);  // ceil(21 / 2)
      // The shard of this rank: positions rank, rank + 2, ... of the order.
      std::map<int64_t, int> expected;
      for (int64_t index : mine) ++expected[index];
      const std::map<int64_t, int> reads = counting->TakeReads();
      EXPECT_EQ(reads, expected) << "rank " << rank << ", epoch " << epoch;
      EXPECT_LE(reads.size(), 11u);  // never the other rank's examples
      if (epoch == 0) {
        for (const auto& [index, count] : reads) all_read.insert(index);
      }
    }
  }
  // Together the two ranks read every example of the epoch.
  EXPECT_EQ(all_read.size(), 21u);
}

TEST(LoaderTest, TeacherViewIsASecondIndependentView) {
  LoaderOptions options = CifarLikeOptions(2);
  ViewTransform teacher;
  teacher.horizontal_flip = true;
  teacher.resize_to = 20;
  teacher.resize_mode = ResizeMode::kBicubic;
  teacher.normalization = *Normalization::FromName("clip");
  options.teacher_view = teacher;
  auto dataset = MakeDataset(9);
  const std::vector<Batch> a = Epoch(*MakeLoader(dataset, options), 0);
  options.num_workers = 0;
  const std::vector<Batch> b = Epoch(*MakeLoader(dataset, options), 0);
  ASSERT_EQ(a.size(), 3u);
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].teacher_images.sizes(),
              (std::vector<int64_t>{a[i].indices.size(0), 3, 20, 20}));
    EXPECT_EQ(a[i].images.sizes(),
              (std::vector<int64_t>{a[i].indices.size(0), 3, 8, 8}));
    EXPECT_TRUE(at::equal(a[i].teacher_images, b[i].teacher_images));
  }
  // Flips of the two views are drawn independently: over 9 examples some
  // teacher view is flipped differently from its student view. Compare the
  // flip of each view through the sign of its left-right gradient.
  int disagreements = 0;
  for (const Batch& batch : a) {
    for (int64_t i = 0; i < batch.indices.size(0); ++i) {
      const float t_left = batch.teacher_images[i][0][10][0].item<float>();
      const float t_right = batch.teacher_images[i][0][10][19].item<float>();
      const float s_row_sum_left =
          batch.images[i][0].narrow(1, 0, 4).sum().item<float>();
      const float s_row_sum_right =
          batch.images[i][0].narrow(1, 4, 4).sum().item<float>();
      disagreements += (t_left < t_right) != (s_row_sum_left < s_row_sum_right);
    }
  }
  EXPECT_GT(disagreements, 0);
}

TEST(LoaderTest, BatchesStillReferencedAreNeverReused) {
  // Pooled batch tensors are recycled only when nothing refers to them:
  // neither a kept Batch nor a view of its images.
  LoaderOptions options = CifarLikeOptions(2);
  ViewTransform teacher;
  teacher.resize_to = 12;
  options.teacher_view = teacher;
  auto loader = MakeLoader(MakeDataset(64), options);
  for (int epoch = 0; epoch < 3; ++epoch) {
    loader->StartEpoch(epoch);
    const Batch kept = **loader->Next();
    const at::Tensor kept_copy = kept.images.clone();
    const at::Tensor teacher_view_of_second =
        (**loader->Next()).teacher_images.narrow(0, 1, 2);
    const at::Tensor teacher_copy = teacher_view_of_second.clone();
    // An alias of the third batch's storage that does not reference its
    // tensor (set_ records no view base).
    at::Tensor alias = at::empty({0}, at::kFloat);
    {
      const Batch third = **loader->Next();
      alias.set_(third.images.storage(), 0, third.images.sizes(),
                 third.images.strides());
    }
    const at::Tensor alias_copy = alias.clone();
    int batches = 3;
    while (true) {
      auto batch = loader->Next();
      ASSERT_TRUE(batch.ok());
      if (!batch->has_value()) break;
      ++batches;
      // Recycled tensors hold this batch's examples, not a stale one's.
      const Batch& b = **batch;
      const int64_t index = b.indices[0].item<int64_t>();
      EXPECT_EQ(b.labels[0].item<int64_t>(), index % 10);
    }
    EXPECT_EQ(batches, 16);
    EXPECT_TRUE(at::equal(kept.images, kept_copy));
    EXPECT_TRUE(at::equal(teacher_view_of_second, teacher_copy));
    EXPECT_TRUE(at::equal(alias, alias_copy));
  }
}

TEST(LoaderTest, ErrorsPropagateFromNext) {
  auto dataset = std::make_shared<FailingDataset>(MakeDataset(20), 13);
  LoaderOptions options = CifarLikeOptions(2);
  options.shuffle = false;
  auto loader = MakeLoader(dataset, options);
  for (int attempt = 0; attempt < 2; ++attempt) {
    loader->StartEpoch(0);
    for (int b = 0; b < 3; ++b) ASSERT_TRUE(loader->Next().ok());
    const absl::Status error = loader->Next().status();  // batch 12..15
    EXPECT_EQ(error.code(), absl::StatusCode::kDataLoss);
    EXPECT_THAT(error.ToString(),
                HasSubstr("reading example 13: disk on fire"));
    EXPECT_EQ(loader->Next().status(), error);  // sticky for the epoch
  }
}

TEST(LoaderTest, MismatchedImageSizesAreReported) {
  std::vector<Image> images = {Image{4, 4, 3, std::vector<uint8_t>(48)},
                               Image{5, 5, 3, std::vector<uint8_t>(75)}};
  auto dataset = std::make_shared<InMemoryDataset>("mixed", std::move(images),
                                                   std::vector<int64_t>{0, 1},
                                                   NumberedClassNames(2));
  LoaderOptions options;
  options.shuffle = false;
  options.num_workers = 1;
  auto loader = MakeLoader(dataset, options);
  loader->StartEpoch(0);
  EXPECT_THAT(loader->Next().status().ToString(),
              HasSubstr("example 1 is 5x5, its view would not be 4x4"));
  // With a resize both fit.
  options.student_view.resize_to = 6;
  auto resized = MakeLoader(dataset, options);
  EXPECT_EQ(Epoch(*resized, 0)[0].images.size(3), 6);
}

TEST(LoaderTest, CreateValidatesOptionsAndViews) {
  auto dataset = MakeDataset(4);
  LoaderOptions options;
  options.batch_size = 0;
  EXPECT_THAT(DataLoader::Create(dataset, options).status().ToString(),
              HasSubstr("batch_size (0) must be > 0"));
  options.batch_size = 2;
  options.student_view.crop_size = 100;
  EXPECT_THAT(DataLoader::Create(dataset, options).status().ToString(),
              HasSubstr("student view: transform: crop_size=100"));
  options.student_view.crop_size = 0;
  ViewTransform teacher;
  teacher.pad_to = 2;
  options.teacher_view = teacher;
  EXPECT_THAT(DataLoader::Create(dataset, options).status().ToString(),
              HasSubstr("teacher view"));
  EXPECT_FALSE(DataLoader::Create(nullptr, LoaderOptions()).ok());
}

TEST(LoaderTest, ShutdownMidEpochAndRestart) {
  auto dataset = MakeDataset(400);
  for (int workers : {1, 2, 4}) {
    LoaderOptions options = CifarLikeOptions(workers);
    options.batch_size = 8;
    auto loader = MakeLoader(dataset, options);
    loader->StartEpoch(0);
    ASSERT_TRUE(loader->Next().ok());
    loader->StartEpoch(1);  // abandons epoch 0 mid-way
    ASSERT_TRUE(loader->Next().ok());
    // Destroyed here with workers blocked on a full prefetch queue.
  }
  // Destroyed right after StartEpoch, before any Next.
  auto loader = MakeLoader(dataset, CifarLikeOptions(2));
  loader->StartEpoch(0);
}

}  // namespace
}  // namespace kd
