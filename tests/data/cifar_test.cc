// cifar10 and cifar100 readers on small files in the official binary layout
// (written by test_files.cc from the documentation, not by the parser).
#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kd/data/cifar100.h"
#include "kd/data/cifar_format.h"
#include "kd/data/dataset.h"
#include "kd/data/file_io.h"
#include "tests/data/test_files.h"

namespace kd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing_data::CifarRecord;
using testing_data::NewTempDir;
using testing_data::PatternImage;
using testing_data::PatternPixel;
using testing_data::WriteFile;

// Writes data_batch_1..5.bin with `per_batch` records each and test_batch.bin
// with 2; record k overall has label k % 10 and pattern seed k.
std::string WriteCifar10(int per_batch) {
  const std::string dir = NewTempDir() + "/cifar-10-batches-bin";
  int k = 0;
  for (int b = 1; b <= 5; ++b) {
    std::string bytes;
    for (int i = 0; i < per_batch; ++i, ++k) {
      bytes += CifarRecord({static_cast<uint8_t>(k % 10)},
                           PatternImage(32, 32, 3, k));
    }
    WriteFile(dir + "/data_batch_" + std::to_string(b) + ".bin", bytes);
  }
  WriteFile(dir + "/test_batch.bin",
            CifarRecord({7}, PatternImage(32, 32, 3, 100)) +
                CifarRecord({3}, PatternImage(32, 32, 3, 101)));
  return dir;
}

absl::StatusOr<std::unique_ptr<Dataset>> Open(const std::string& spec,
                                              const std::string& dir,
                                              const std::string& split) {
  return Dataset::Registry::Global().Create(spec, DatasetConfig{dir, split});
}

TEST(Cifar10Test, ReadsTrainBatchesInOrderWithPixelLayout) {
  const std::string dir = WriteCifar10(3);
  auto dataset = Open("cifar10", dir, "train");
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  ASSERT_EQ((*dataset)->size(), 15);
  EXPECT_EQ((*dataset)->num_classes(), 10);
  EXPECT_EQ((*dataset)->class_names()[1], "automobile");
  for (int k = 0; k < 15; ++k) {
    auto example = (*dataset)->Get(k);
    ASSERT_TRUE(example.ok());
    EXPECT_EQ(example->label, k % 10);
    const Image& image = example->image;
    ASSERT_EQ(image.height, 32);
    ASSERT_EQ(image.width, 32);
    ASSERT_EQ(image.channels, 3);
    EXPECT_EQ(image.pixels, PatternImage(32, 32, 3, k).pixels);
  }
  // Straight from the byte layout: record 4 (batch 2, second record) starts
  // at byte 3073 of data_batch_2.bin; its green value at row 2, column 5 is
  // byte 1 + 1024 + 2 * 32 + 5 of the record.
  auto example = (*dataset)->Get(4);
  EXPECT_EQ(example->image.pixels[(2 * 32 + 5) * 3 + 1],
            PatternPixel(2, 5, 1, 4));
}

TEST(Cifar10Test, AcceptsTheParentFolderAndReadsTestSplitAndNamesFile) {
  const std::string dir = WriteCifar10(1);
  WriteFile(dir + "/batches.meta.txt",
            "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n\n");  // official file ends "\n\n"
  const std::string parent = dir.substr(0, dir.rfind('/'));
  auto dataset = Open("cifar10", parent, "test");
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  ASSERT_EQ((*dataset)->size(), 2);
  EXPECT_EQ((*dataset)->Get(0)->label, 7);
  EXPECT_EQ((*dataset)->Get(1)->label, 3);
  EXPECT_EQ((*dataset)->class_names()[9], "j");
  EXPECT_EQ((*dataset)->Get(2).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(Cifar10Test, SubsetOptions) {
  const std::string dir = WriteCifar10(4);  // labels 0..9, 0..9
  auto first = Open("cifar10:limit=6", dir, "train");
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ((*first)->size(), 6);
  EXPECT_EQ((*first)->Get(5)->image.pixels, PatternImage(32, 32, 3, 5).pixels);
  auto per_class = Open("cifar10:per_class=1", dir, "train");
  ASSERT_TRUE(per_class.ok());
  ASSERT_EQ((*per_class)->size(), 10);
  for (int k = 0; k < 10; ++k) {
    EXPECT_EQ((*per_class)->Get(k)->label, k);
    EXPECT_EQ((*per_class)->Get(k)->image.pixels,
              PatternImage(32, 32, 3, k).pixels);
  }
  // Kept examples map to their records across the batch files (20 records
  // of labels 0..9 twice: per_class=2 keeps all, record 15 in batch 4).
  auto second = Open("cifar10:per_class=2", dir, "train");
  ASSERT_TRUE(second.ok());
  ASSERT_EQ((*second)->size(), 20);
  EXPECT_EQ((*second)->Get(15)->image.pixels,
            PatternImage(32, 32, 3, 15).pixels);
  auto both = Open("cifar10:per_class=2,limit=3", dir, "train");
  ASSERT_TRUE(both.ok());
  EXPECT_EQ((*both)->size(), 3);
  EXPECT_EQ((*both)->Get(2)->image.pixels, PatternImage(32, 32, 3, 2).pixels);
  EXPECT_THAT(Open("cifar10:limit=-1", dir, "train").status().ToString(),
              HasSubstr("must be >= 0"));
}

// The reader maps the files and decodes one record per Get(): the images
// are exactly those the whole-file parser (the reader before) gives.
TEST(Cifar10Test, MappedRecordsEqualTheParsedFiles) {
  const std::string dir = WriteCifar10(3);
  auto dataset = Open("cifar10", dir, "train");
  ASSERT_TRUE(dataset.ok()) << dataset.status();
  int64_t k = 0;
  for (int b = 1; b <= 5; ++b) {
    const std::string file = dir + "/data_batch_" + std::to_string(b) + ".bin";
    auto records = data_internal::ParseCifarRecords(
        *data_internal::ReadFile(file), 1, {10}, file);
    ASSERT_TRUE(records.ok()) << records.status();
    for (size_t i = 0; i < records->images.size(); ++i, ++k) {
      const Example example = *(*dataset)->Get(k);
      EXPECT_EQ(example.image.pixels, records->images[i].pixels) << k;
      EXPECT_EQ(example.label, records->label_columns[0][i]) << k;
    }
  }
  EXPECT_EQ(k, (*dataset)->size());
}

TEST(Cifar10Test, Errors) {
  const std::string dir = WriteCifar10(2);
  EXPECT_THAT(Open("cifar10", "", "train").status().ToString(),
              HasSubstr("needs data_dir"));
  EXPECT_THAT(Open("cifar10", dir, "val").status().ToString(),
              HasSubstr("no split 'val'; valid: train, test"));

  // A missing batch file: never a silently short data set.
  std::filesystem::remove(dir + "/data_batch_3.bin");
  auto missing = Open("cifar10", dir, "train");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().ToString(), HasSubstr("data_batch_3.bin"));

  // Truncated: one byte short of 2 records.
  const std::string truncated = NewTempDir();
  std::string bytes = CifarRecord({1}, PatternImage(32, 32, 3, 0)) +
                      CifarRecord({2}, PatternImage(32, 32, 3, 1));
  WriteFile(truncated + "/test_batch.bin", bytes.substr(0, bytes.size() - 1));
  auto short_file = Open("cifar10", truncated, "test");
  EXPECT_THAT(short_file.status().ToString(),
              HasSubstr("test_batch.bin' has 6145 bytes, expected a positive "
                        "multiple of the CIFAR record size 3073"));

  // Label out of range.
  WriteFile(truncated + "/test_batch.bin",
            CifarRecord({1}, PatternImage(32, 32, 3, 0)) +
                CifarRecord({10}, PatternImage(32, 32, 3, 1)));
  EXPECT_THAT(Open("cifar10", truncated, "test").status().ToString(),
              HasSubstr("record 1 (byte offset 3073) has label 10, expected "
                        "[0, 10)"));

  // Empty file.
  WriteFile(truncated + "/test_batch.bin", "");
  EXPECT_THAT(Open("cifar10", truncated, "test").status().ToString(),
              HasSubstr("has 0 bytes"));

  // Names file with the wrong count.
  WriteFile(truncated + "/test_batch.bin",
            CifarRecord({1}, PatternImage(32, 32, 3, 0)));
  WriteFile(truncated + "/batches.meta.txt", "a\nb\n");
  EXPECT_THAT(Open("cifar10", truncated, "test").status().ToString(),
              HasSubstr("lists 2 class names, expected 10"));
}

// CIFAR-100: <coarse><fine><3072 pixels>.
std::string WriteCifar100() {
  const std::string dir = NewTempDir() + "/cifar-100-binary";
  std::string train;
  for (int k = 0; k < 6; ++k) {
    train += CifarRecord(
        {static_cast<uint8_t>(k % 3), static_cast<uint8_t>(99 - k % 2)},
        PatternImage(32, 32, 3, k));
  }
  WriteFile(dir + "/train.bin", train);
  WriteFile(dir + "/test.bin",
            CifarRecord({19, 0}, PatternImage(32, 32, 3, 9)));
  return dir;
}

TEST(Cifar100Test, FineAndCoarseLabels) {
  const std::string dir = WriteCifar100();
  auto fine = Open("cifar100", dir, "train");
  ASSERT_TRUE(fine.ok()) << fine.status();
  ASSERT_EQ((*fine)->size(), 6);
  EXPECT_EQ((*fine)->num_classes(), 100);
  EXPECT_EQ((*fine)->Get(0)->label, 99);
  EXPECT_EQ((*fine)->Get(1)->label, 98);
  EXPECT_EQ((*fine)->class_names()[99], "worm");
  EXPECT_EQ((*fine)->Get(3)->image.pixels, PatternImage(32, 32, 3, 3).pixels);
  const auto* typed = dynamic_cast<const Cifar100Dataset*>(fine->get());
  ASSERT_NE(typed, nullptr);
  EXPECT_EQ(typed->coarse_label(2), 2);
  EXPECT_EQ(typed->fine_label(2), 99);
  EXPECT_EQ(typed->coarse_class_names()[19], "vehicles_2");

  auto coarse = Open("cifar100:labels=coarse", dir, "train");
  ASSERT_TRUE(coarse.ok()) << coarse.status();
  EXPECT_EQ((*coarse)->num_classes(), 20);
  EXPECT_EQ((*coarse)->Get(2)->label, 2);
  EXPECT_EQ((*coarse)->class_names()[0], "aquatic_mammals");

  auto test = Open("cifar100:labels=coarse", dir + "/..", "test");
  ASSERT_TRUE(test.ok()) << test.status();
  EXPECT_EQ((*test)->Get(0)->label, 19);

  // per_class counts the selected label kind: 3 coarse classes -> 3 kept.
  auto per_class = Open("cifar100:labels=coarse,per_class=1", dir, "train");
  ASSERT_TRUE(per_class.ok());
  EXPECT_EQ((*per_class)->size(), 3);
  const auto* subset = dynamic_cast<const Cifar100Dataset*>(per_class->get());
  EXPECT_EQ(subset->fine_label(1), 98);
  EXPECT_EQ((*per_class)->Get(2)->image.pixels,
            PatternImage(32, 32, 3, 2).pixels);
  auto limited = Open("cifar100:limit=4", dir, "train");
  ASSERT_TRUE(limited.ok());
  ASSERT_EQ((*limited)->size(), 4);
  EXPECT_EQ((*limited)->Get(3)->image.pixels,
            PatternImage(32, 32, 3, 3).pixels);
}

TEST(Cifar100Test, BuiltInNamesAreTheSortedOfficialLists) {
  const auto& fine = Cifar100FineNames();
  ASSERT_EQ(fine.size(), 100u);
  EXPECT_TRUE(std::is_sorted(fine.begin(), fine.end()));
  EXPECT_EQ(std::set<std::string>(fine.begin(), fine.end()).size(), 100u);
  const auto& coarse = Cifar100CoarseNames();
  ASSERT_EQ(coarse.size(), 20u);
  EXPECT_TRUE(std::is_sorted(coarse.begin(), coarse.end()));
}

TEST(Cifar100Test, Errors) {
  const std::string dir = NewTempDir();
  WriteFile(dir + "/train.bin",
            CifarRecord({20, 0}, PatternImage(32, 32, 3, 0)));
  EXPECT_THAT(
      Open("cifar100", dir, "train").status().ToString(),
      HasSubstr("record 0 (byte offset 0) has label 20, expected [0, 20)"));
  WriteFile(dir + "/train.bin",
            CifarRecord({0, 100}, PatternImage(32, 32, 3, 0)));
  EXPECT_THAT(Open("cifar100", dir, "train").status().ToString(),
              HasSubstr("(byte offset 1) has label 100, expected [0, 100)"));
  // A CIFAR-10 file read as CIFAR-100: sizes do not match the 3074 records.
  WriteFile(dir + "/train.bin",
            CifarRecord({0}, PatternImage(32, 32, 3, 0)) +
                CifarRecord({0}, PatternImage(32, 32, 3, 0)));
  EXPECT_THAT(Open("cifar100", dir, "train").status().ToString(),
              HasSubstr("record size 3074"));
  EXPECT_THAT(Open("cifar100:labels=medium", dir, "train").status().ToString(),
              HasSubstr("expected fine or coarse"));
  EXPECT_EQ(Open("cifar100", dir, "test").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace kd
