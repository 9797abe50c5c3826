// MappedFile: the bytes of a mapped file, empty files, and errors that name
// the file.
#include "kd/data/mapped_file.h"

#include <filesystem>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/data/test_files.h"

namespace kd {
namespace data_internal {
namespace {

using ::testing::HasSubstr;
using testing_data::NewTempDir;
using testing_data::WriteFile;

TEST(MappedFileTest, MapsTheFilesBytes) {
  const std::string path = NewTempDir() + "/records.bin";
  std::string bytes;
  for (int i = 0; i < 100000; ++i) bytes.push_back(static_cast<char>(i * 7));
  WriteFile(path, bytes);
  auto file = MappedFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->size(), bytes.size());
  EXPECT_EQ((*file)->path(), path);
  EXPECT_EQ((*file)->bytes(), bytes);
  EXPECT_EQ((*file)->data()[99999], static_cast<uint8_t>(99999 * 7));
  // Dropping the resident pages keeps the contents readable.
  (*file)->DropResidentPages();
  EXPECT_EQ((*file)->bytes(), bytes);
}

TEST(MappedFileTest, EmptyFileIsAnEmptyView) {
  const std::string path = NewTempDir() + "/empty.bin";
  WriteFile(path, "");
  auto file = MappedFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ((*file)->size(), 0u);
  EXPECT_TRUE((*file)->bytes().empty());
  (*file)->DropResidentPages();
}

TEST(MappedFileTest, ErrorsNameTheFile) {
  const std::string dir = NewTempDir();
  auto missing = MappedFile::Open(dir + "/missing.bin");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().ToString(), HasSubstr("missing.bin"));
  std::filesystem::create_directories(dir + "/folder");
  auto folder = MappedFile::Open(dir + "/folder");
  EXPECT_EQ(folder.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(folder.status().ToString(),
              HasSubstr("folder' is not a regular file"));
}

}  // namespace
}  // namespace data_internal
}  // namespace kd
