// tinyimagenet and image_folder readers on small directory trees with JPEGs
// (libjpeg-turbo) and PNGs (stb_image_write) written by the test: lazy (the
// default) and eager (preload=true) alike, and a bad file found late by the
// loader.
#include <turbojpeg.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kd/data/dataset.h"
#include "kd/data/loader.h"
#include "tests/data/test_files.h"

namespace kd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using testing_data::EncodeJpeg;
using testing_data::EncodePng;
using testing_data::FlatImage;
using testing_data::NewTempDir;
using testing_data::PatternImage;
using testing_data::WriteFile;

absl::StatusOr<std::unique_ptr<Dataset>> Open(const std::string& spec,
                                              const std::string& dir,
                                              const std::string& split) {
  return Dataset::Registry::Global().Create(spec, DatasetConfig{dir, split});
}

// Flat colours decode from a quality-95 4:4:4 JPEG to within a few levels.
void ExpectFlat(const Image& image, int r, int g, int b) {
  ASSERT_EQ(image.channels, 3);
  ASSERT_EQ(image.height, 64);
  ASSERT_EQ(image.width, 64);
  for (size_t i = 0; i < image.pixels.size(); i += 3) {
    ASSERT_NEAR(image.pixels[i], r, 3);
    ASSERT_NEAR(image.pixels[i + 1], g, 3);
    ASSERT_NEAR(image.pixels[i + 2], b, 3);
  }
}

// A tiny-imagenet-200 tree with 3 classes (listed unsorted in wnids.txt),
// 2 train images each, 3 val images, 2 test images. Class c's images are
// flat with red = 40 * c + 10 (sorted class order) and green = image number.
std::string WriteTinyImageNet() {
  const std::string dir = NewTempDir() + "/tiny-imagenet-200";
  WriteFile(dir + "/wnids.txt", "n03\nn01\nn02\n");
  WriteFile(dir + "/words.txt",
            "n00\tentity\nn01\tgoldfish, Carassius auratus\nn02\tcat\n");
  const char* wnids[] = {"n01", "n02", "n03"};  // sorted: class indices
  for (int c = 0; c < 3; ++c) {
    for (int k = 0; k < 2; ++k) {
      WriteFile(dir + "/train/" + wnids[c] + "/images/" + wnids[c] + "_" +
                    std::to_string(k) + ".JPEG",
                EncodeJpeg(FlatImage(64, 64, 40 * c + 10, 100 + k, 0)));
    }
    WriteFile(dir + "/train/" + wnids[c] + "/" + wnids[c] + "_boxes.txt", "");
  }
  WriteFile(dir + "/val/val_annotations.txt",
            "val_0.JPEG\tn02\t0\t0\t10\t10\n"
            "val_1.JPEG\tn03\t1\t2\t30\t40\n"
            "val_2.JPEG\tn01\t0\t0\t63\t63\n");
  const int val_classes[] = {1, 2, 0};
  for (int k = 0; k < 3; ++k) {
    WriteFile(
        dir + "/val/images/val_" + std::to_string(k) + ".JPEG",
        EncodeJpeg(FlatImage(64, 64, 40 * val_classes[k] + 10, 200 + k, 0)));
  }
  for (int k = 0; k < 2; ++k) {
    WriteFile(dir + "/test/images/test_" + std::to_string(k) + ".JPEG",
              EncodeJpeg(FlatImage(64, 64, 0, 0, 50 + k)));
  }
  return dir;
}

TEST(TinyImageNetTest, TrainValTestSplits) {
  const std::string dir = WriteTinyImageNet();
  auto train = Open("tinyimagenet", dir, "train");
  ASSERT_TRUE(train.ok()) << train.status();
  ASSERT_EQ((*train)->size(), 6);
  EXPECT_EQ((*train)->num_classes(), 3);
  EXPECT_THAT((*train)->class_names(),
              ElementsAre("goldfish, Carassius auratus", "cat", "n03"));
  for (int i = 0; i < 6; ++i) {
    const Example example = *(*train)->Get(i);
    EXPECT_EQ(example.label, i / 2);
    ExpectFlat(example.image, 40 * (i / 2) + 10, 100 + i % 2, 0);
  }
  auto val = Open("tinyimagenet", dir + "/..", "val");
  ASSERT_TRUE(val.ok()) << val.status();
  ASSERT_EQ((*val)->size(), 3);
  for (int k = 0; k < 3; ++k) {
    const Example example = *(*val)->Get(k);
    const int label = std::vector<int>{1, 2, 0}[k];
    EXPECT_EQ(example.label, label);
    ExpectFlat(example.image, 40 * label + 10, 200 + k, 0);
  }
  auto test = Open("tinyimagenet:threads=1", dir, "test");
  ASSERT_TRUE(test.ok()) << test.status();
  ASSERT_EQ((*test)->size(), 2);
  EXPECT_EQ((*test)->Get(1)->label, -1);
  ExpectFlat((*test)->Get(1)->image, 0, 0, 51);

  auto subset = Open("tinyimagenet:per_class=1", dir, "train");
  ASSERT_TRUE(subset.ok());
  EXPECT_EQ((*subset)->size(), 3);
}

TEST(TinyImageNetTest, GreyJpegsBecomeRgb) {
  const std::string dir = WriteTinyImageNet();
  // A grey (1-component) JPEG, as some official images are.
  tjhandle handle = tjInitCompress();
  std::vector<uint8_t> grey(64 * 64, 77);
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  ASSERT_EQ(tjCompress2(handle, grey.data(), 64, 0, 64, TJPF_GRAY, &jpeg, &size,
                        TJSAMP_GRAY, 95, 0),
            0);
  WriteFile(dir + "/test/images/test_0.JPEG",
            std::string(reinterpret_cast<char*>(jpeg), size));
  tjFree(jpeg);
  tjDestroy(handle);
  auto test = Open("tinyimagenet", dir, "test");
  ASSERT_TRUE(test.ok()) << test.status();
  ExpectFlat((*test)->Get(0)->image, 77, 77, 77);
}

// A bad image is an error naming the file: at start-up with preload=true,
// else when Get() reaches it (example `index`), with the same message.
void ExpectBadImage(const std::string& reader, const std::string& dir,
                    const std::string& split, int64_t index,
                    const std::string& message) {
  SCOPED_TRACE(reader + " " + split);
  const absl::Status preloaded =
      Open(reader + ":preload=true,threads=2", dir, split).status();
  EXPECT_EQ(preloaded.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(preloaded.ToString(), HasSubstr(message));
  auto lazy = Open(reader, dir, split);
  ASSERT_TRUE(lazy.ok()) << lazy.status();
  EXPECT_TRUE((*lazy)->Get(0).ok());
  EXPECT_EQ((*lazy)->Get(index).status(), preloaded);
}

TEST(TinyImageNetTest, Errors) {
  std::string dir = WriteTinyImageNet();
  // Undecodable JPEG: garbage bytes.
  WriteFile(dir + "/train/n02/images/n02_1.JPEG", "not a jpeg at all");
  ExpectBadImage("tinyimagenet", dir, "train", 3,
                 "n02_1.JPEG' is neither a JPEG nor a PNG");
  // Truncated JPEG: a libjpeg warning is an error, not a partly grey image.
  const std::string jpeg = EncodeJpeg(PatternImage(64, 64, 3, 0));
  WriteFile(dir + "/train/n02/images/n02_1.JPEG",
            jpeg.substr(0, jpeg.size() / 2));
  ExpectBadImage("tinyimagenet", dir, "train", 3,
                 "n02_1.JPEG' is not a decodable JPEG");
  // Empty class folder.
  std::filesystem::remove_all(dir + "/train/n02/images");
  std::filesystem::create_directories(dir + "/train/n02/images");
  EXPECT_THAT(Open("tinyimagenet", dir, "train").status().ToString(),
              HasSubstr("n02/images' has no .JPEG images"));
  // Missing class folder.
  std::filesystem::remove_all(dir + "/train/n02");
  EXPECT_THAT(Open("tinyimagenet", dir, "train").status().ToString(),
              HasSubstr("n02/images' does not exist"));
  // Val annotation naming an unknown class; missing val image.
  WriteFile(dir + "/val/val_annotations.txt", "val_0.JPEG\tn09\t0\t0\t1\t1\n");
  EXPECT_THAT(Open("tinyimagenet", dir, "val").status().ToString(),
              HasSubstr("line 1: class 'n09' is not in wnids.txt"));
  WriteFile(dir + "/val/val_annotations.txt", "val_7.JPEG\tn01\t0\t0\t1\t1\n");
  EXPECT_THAT(Open("tinyimagenet", dir, "val").status().ToString(),
              HasSubstr("val_7.JPEG' does not exist"));
  WriteFile(dir + "/val/val_annotations.txt", "just-one-field\n");
  EXPECT_THAT(Open("tinyimagenet", dir, "val").status().ToString(),
              HasSubstr("line 1 is 'just-one-field', expected"));
  WriteFile(dir + "/wnids.txt", "n01\nn01\n");
  EXPECT_THAT(Open("tinyimagenet", dir, "val").status().ToString(),
              HasSubstr("lists class 'n01' twice"));
  std::filesystem::remove(dir + "/wnids.txt");
  EXPECT_THAT(Open("tinyimagenet", dir, "train").status().ToString(),
              HasSubstr("wnids.txt' does not exist"));
  EXPECT_THAT(Open("tinyimagenet", dir, "unlabeled").status().ToString(),
              HasSubstr("valid: train, val, test"));
}

TEST(ImageFolderTest, ClassesAreSortedSubfoldersPngAndJpeg) {
  const std::string dir = NewTempDir();
  // PNG is lossless: compare exactly; a grey PNG becomes RGB.
  WriteFile(dir + "/zebra/a.png", EncodePng(PatternImage(5, 7, 3, 1)));
  WriteFile(dir + "/zebra/b.PNG", EncodePng(PatternImage(4, 4, 1, 2)));
  WriteFile(dir + "/zebra/notes.txt", "skipped");
  WriteFile(dir + "/apple/x.jpg", EncodeJpeg(FlatImage(64, 64, 10, 20, 30)));
  WriteFile(dir + "/README", "a file at the root is not a class");
  auto dataset = Open("image_folder", dir, "train");
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  EXPECT_THAT((*dataset)->class_names(), ElementsAre("apple", "zebra"));
  ASSERT_EQ((*dataset)->size(), 3);
  EXPECT_EQ((*dataset)->Get(0)->label, 0);
  ExpectFlat((*dataset)->Get(0)->image, 10, 20, 30);
  const Example a = *(*dataset)->Get(1);
  EXPECT_EQ(a.label, 1);
  EXPECT_EQ(a.image.height, 5);
  EXPECT_EQ(a.image.width, 7);
  EXPECT_EQ(a.image.pixels, PatternImage(5, 7, 3, 1).pixels);
  const Image b = (*dataset)->Get(2)->image;
  ASSERT_EQ(b.channels, 3);
  const Image grey = PatternImage(4, 4, 1, 2);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(b.pixels[3 * i], grey.pixels[i]);
    EXPECT_EQ(b.pixels[3 * i + 2], grey.pixels[i]);
  }
}

TEST(ImageFolderTest, SplitFoldersAndErrors) {
  const std::string dir = NewTempDir();
  WriteFile(dir + "/train/cat/1.png", EncodePng(PatternImage(3, 3, 3, 0)));
  WriteFile(dir + "/val/cat/1.png", EncodePng(PatternImage(3, 3, 3, 9)));
  auto val = Open("image_folder", dir, "val");
  ASSERT_TRUE(val.ok()) << val.status();
  EXPECT_EQ((*val)->Get(0)->image.pixels, PatternImage(3, 3, 3, 9).pixels);
  EXPECT_THAT(Open("image_folder", dir, "test").status().ToString(),
              HasSubstr("split folder '" + dir + "/test' does not exist"));
  std::filesystem::create_directories(dir + "/train/dog");
  WriteFile(dir + "/train/dog/readme.md", "");
  EXPECT_THAT(Open("image_folder", dir, "train").status().ToString(),
              HasSubstr("class folder '" + dir +
                        "/train/dog' has no .jpg/.jpeg/.png images (found 1 "
                        "other entries)"));
  WriteFile(dir + "/train/dog/broken.png", "\x89PNG\r\n\x1a\n garbage");
  ExpectBadImage("image_folder", dir, "train", 1,
                 "broken.png' is not a decodable PNG");
  WriteFile(dir + "/train/dog/broken.png", "GIF89a");
  ExpectBadImage("image_folder", dir, "train", 1,
                 "broken.png' is neither a JPEG nor a PNG");
  EXPECT_THAT(Open("image_folder:cache_mb=8,preload=true", dir, "train")
                  .status()
                  .ToString(),
              HasSubstr("cache_mb=8 with preload=true"));
  EXPECT_THAT(
      Open("image_folder:cache_mb=-1", dir, "train").status().ToString(),
      HasSubstr("cache_mb (-1) in [0, "));
  const std::string empty = NewTempDir();
  EXPECT_THAT(Open("image_folder", empty, "train").status().ToString(),
              HasSubstr("has no class sub-folders"));
}

// The lazy readers (the default) return exactly what the eager ones
// (preload=true) return: same size, labels and pixels, also for subsets.
void ExpectLazyEqualsPreload(const std::string& spec, const std::string& dir,
                             const std::string& split) {
  SCOPED_TRACE(spec + " " + split);
  const std::string eager_spec =
      spec + (spec.find(':') == std::string::npos ? ":" : ",") + "preload=true";
  auto lazy = Open(spec, dir, split);
  auto eager = Open(eager_spec, dir, split);
  auto cached = Open(
      spec + (spec.find(':') == std::string::npos ? ":" : ",") + "cache_mb=1",
      dir, split);
  ASSERT_TRUE(lazy.ok()) << lazy.status();
  ASSERT_TRUE(eager.ok()) << eager.status();
  ASSERT_TRUE(cached.ok()) << cached.status();
  ASSERT_EQ((*lazy)->size(), (*eager)->size());
  EXPECT_EQ((*lazy)->class_names(), (*eager)->class_names());
  for (int64_t i = 0; i < (*lazy)->size(); ++i) {
    const Example a = *(*lazy)->Get(i);
    const Example b = *(*eager)->Get(i);
    EXPECT_EQ(a.label, b.label) << i;
    EXPECT_EQ(a.image.pixels, b.image.pixels) << i;
    for (int pass = 0; pass < 2; ++pass) {  // a miss, then a hit
      EXPECT_EQ((*cached)->Get(i)->image.pixels, b.image.pixels) << i;
    }
  }
}

TEST(LazyReadersTest, SameExamplesAsPreload) {
  const std::string tiny = WriteTinyImageNet();
  for (const char* split : {"train", "val", "test"}) {
    ExpectLazyEqualsPreload("tinyimagenet", tiny, split);
  }
  ExpectLazyEqualsPreload("tinyimagenet:per_class=1", tiny, "train");
  ExpectLazyEqualsPreload("tinyimagenet:limit=2", tiny, "test");
  const std::string folder = NewTempDir();
  for (int k = 0; k < 3; ++k) {
    WriteFile(folder + "/b/" + std::to_string(k) + ".png",
              EncodePng(PatternImage(6, 6, 3, k)));
    WriteFile(folder + "/a/" + std::to_string(k) + ".jpg",
              EncodeJpeg(PatternImage(8, 8, 3, k)));
  }
  ExpectLazyEqualsPreload("image_folder", folder, "train");
  ExpectLazyEqualsPreload("image_folder:per_class=2,limit=3", folder, "train");
  auto subset = Open("image_folder:per_class=1", folder, "train");
  ASSERT_TRUE(subset.ok()) << subset.status();
  ASSERT_EQ((*subset)->size(), 2);
  EXPECT_EQ((*subset)->Get(1)->label, 1);
  EXPECT_EQ((*subset)->Get(1)->image.pixels, PatternImage(6, 6, 3, 0).pixels);
}

// A corrupt image found only when the loader's workers reach it: Next()
// returns one line naming the example and the file; nothing crashes, and the
// batches before it were fine.
TEST(LazyReadersTest, BadFileFoundByTheLoaderNamesItsPath) {
  const std::string dir = NewTempDir();
  for (int k = 0; k < 12; ++k) {
    WriteFile(dir + "/cls/" + std::to_string(10 + k) + ".jpg",
              EncodeJpeg(PatternImage(16, 16, 3, k)));
  }
  const std::string bad = dir + "/cls/19.jpg";  // example 9, in batch 2
  const std::string jpeg = EncodeJpeg(PatternImage(16, 16, 3, 9));
  WriteFile(bad, jpeg.substr(0, jpeg.size() / 2));
  auto dataset = Open("image_folder", dir, "train");
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  LoaderOptions options;
  options.batch_size = 4;
  options.num_workers = 2;
  options.shuffle = false;
  auto loader = DataLoader::Create(std::move(*dataset), options);
  ASSERT_TRUE(loader.ok()) << loader.status();
  (*loader)->StartEpoch(0);
  for (int b = 0; b < 2; ++b) {
    auto batch = (*loader)->Next();
    ASSERT_TRUE(batch.ok()) << batch.status();
    ASSERT_TRUE(batch->has_value());
  }
  const absl::Status error = (*loader)->Next().status();
  EXPECT_EQ(error.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(error.message()),
              HasSubstr("loader: reading example 9: '" + bad +
                        "' is not a decodable JPEG"));
  EXPECT_THAT(std::string(error.message()), Not(HasSubstr("\n")));
  EXPECT_EQ((*loader)->Next().status(), error);
}

}  // namespace
}  // namespace kd
