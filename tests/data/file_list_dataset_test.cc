// FileListDataset / OpenFileList: the lazy path decodes the same pixels as
// the eager one (preload), reads files only in Get(), reports a bad file
// found late with its path, and its cache returns identical images within
// its bound.
#include "kd/data/file_list_dataset.h"

#include <filesystem>
#include <string>
#include <vector>

#include "glog/logging.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/data/test_files.h"

namespace kd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing_data::EncodeJpeg;
using testing_data::EncodePng;
using testing_data::NewTempDir;
using testing_data::PatternImage;
using testing_data::WriteFile;

struct Files {
  std::vector<std::string> paths;
  std::vector<int64_t> labels;
};

// `n` images, alternately JPEG and PNG (grey every third), label i % 3.
Files WriteImages(int n, int side = 16) {
  const std::string dir = NewTempDir();
  Files files;
  for (int i = 0; i < n; ++i) {
    const bool png = i % 2 == 1;
    const std::string path =
        dir + "/img_" + std::to_string(i) + (png ? ".png" : ".jpg");
    WriteFile(path, png ? EncodePng(PatternImage(side, side, i % 3 ? 3 : 1, i))
                        : EncodeJpeg(PatternImage(side, side, 3, i)));
    files.paths.push_back(path);
    files.labels.push_back(i % 3);
  }
  return files;
}

std::unique_ptr<Dataset> Open(const Files& files, FileListOptions options) {
  auto dataset = OpenFileList("test files", files.paths, files.labels,
                              {"a", "b", "c"}, options);
  CHECK(dataset.ok()) << dataset.status();
  return *std::move(dataset);
}

TEST(FileListDatasetTest, LazyDecodesTheSamePixelsAsPreload) {
  const Files files = WriteImages(9);
  FileListOptions eager_options;
  eager_options.preload = true;
  eager_options.threads = 2;
  const auto eager = Open(files, eager_options);
  const auto lazy = Open(files, FileListOptions{});
  ASSERT_NE(dynamic_cast<const FileListDataset*>(lazy.get()), nullptr);
  ASSERT_EQ(dynamic_cast<const FileListDataset*>(eager.get()), nullptr);
  ASSERT_EQ(lazy->size(), 9);
  ASSERT_EQ(eager->size(), 9);
  EXPECT_EQ(lazy->num_classes(), 3);
  EXPECT_EQ(lazy->class_names(), eager->class_names());
  for (int i = 0; i < 9; ++i) {
    const Example a = *lazy->Get(i);
    const Example b = *eager->Get(i);
    EXPECT_EQ(a.label, i % 3);
    EXPECT_EQ(a.label, b.label);
    EXPECT_EQ(a.image.height, 16);
    EXPECT_EQ(a.image.channels, 3);
    EXPECT_EQ(a.image.pixels, b.image.pixels) << files.paths[i];
    if (i % 2 == 1 && i % 3 != 0) {  // lossless RGB PNG: the exact pattern
      EXPECT_EQ(a.image.pixels, PatternImage(16, 16, 3, i).pixels);
    }
  }
  EXPECT_EQ(lazy->Get(9).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(lazy->Get(-1).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(FileListDatasetTest, BadFilesAreFoundInGetWithTheirPath) {
  Files files = WriteImages(4);
  // Creating reads nothing: a corrupt and a missing file are not noticed...
  const std::string jpeg = EncodeJpeg(PatternImage(16, 16, 3, 0));
  WriteFile(files.paths[2], jpeg.substr(0, jpeg.size() / 2));
  std::filesystem::remove(files.paths[3]);
  const auto lazy = Open(files, FileListOptions{});
  // ... until Get() reaches them: one line naming the file, no crash.
  EXPECT_TRUE(lazy->Get(0).ok());
  const absl::Status corrupt = lazy->Get(2).status();
  EXPECT_EQ(corrupt.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(corrupt.message(),
              HasSubstr("'" + files.paths[2] + "' is not a decodable JPEG"));
  EXPECT_THAT(std::string(corrupt.message()), Not(HasSubstr("\n")));
  const absl::Status missing = lazy->Get(3).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.message(),
              HasSubstr("'" + files.paths[3] + "' does not exist"));
  // The same error, at start-up, with preload.
  FileListOptions eager;
  eager.preload = true;
  auto preloaded = OpenFileList("test files", files.paths, files.labels,
                                {"a", "b", "c"}, eager);
  EXPECT_EQ(preloaded.status(), corrupt);
}

TEST(FileListDatasetTest, CacheReturnsIdenticalImagesWithinItsBound) {
  // 64x64x3 = 12288 bytes each: a 1 MiB cache holds 85 of the 100.
  const Files files = WriteImages(100, 64);
  FileListOptions options;
  options.cache_mb = 1;
  const auto dataset = Open(files, options);
  const auto* lazy = dynamic_cast<const FileListDataset*>(dataset.get());
  ASSERT_NE(lazy, nullptr);
  ASSERT_NE(lazy->cache(), nullptr);
  EXPECT_EQ(lazy->cache()->max_bytes(), 1 << 20);
  const auto uncached = Open(files, FileListOptions{});
  EXPECT_EQ(dynamic_cast<const FileListDataset*>(uncached.get())->cache(),
            nullptr);
  std::vector<std::vector<uint8_t>> decoded;
  for (int i = 0; i < 100; ++i) {
    decoded.push_back(uncached->Get(i)->image.pixels);
    EXPECT_EQ(dataset->Get(i)->image.pixels, decoded.back());
    EXPECT_LE(lazy->cache()->bytes(), 1 << 20);
  }
  EXPECT_EQ(lazy->cache()->count(), 85);
  // The last 85 are served from the cache: they survive their files.
  for (int i = 0; i < 100; ++i) std::filesystem::remove(files.paths[i]);
  for (int i = 15; i < 100; ++i) {
    auto example = dataset->Get(i);
    ASSERT_TRUE(example.ok()) << i << ": " << example.status();
    EXPECT_EQ(example->label, i % 3);
    EXPECT_EQ(example->image.height, 64);
    EXPECT_EQ(example->image.pixels, decoded[i]);
  }
  EXPECT_EQ(dataset->Get(14).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(uncached->Get(99).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace kd
