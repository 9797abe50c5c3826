// Files: existence checks, directory creation, atomic writes (small,
// streamed, at offsets, through a library's own writer) that leave either
// the old file or the complete new one, never a temporary.
#include "kd/base/files.h"

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/paths.h"

namespace kd {
namespace {

using ::kd::testing::FreshTestTempPath;

using ::testing::HasSubstr;

std::string Read(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int Entries(const std::string& dir) {
  int n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    (void)entry;
    ++n;
  }
  return n;
}

TEST(PathTest, ExistsDirectoryRegularFile) {
  const std::string dir = FreshTestTempPath("paths");
  EXPECT_FALSE(PathExists(dir));
  ASSERT_TRUE(MakeDirectories(dir).ok());
  const std::string file = dir + "/f";
  std::ofstream(file) << "x";
  EXPECT_TRUE(PathExists(dir));
  EXPECT_TRUE(IsDirectory(dir));
  EXPECT_FALSE(IsRegularFile(dir));
  EXPECT_TRUE(IsRegularFile(file));
  EXPECT_FALSE(IsDirectory(file));
  EXPECT_FALSE(IsRegularFile(dir + "/missing"));
}

TEST(MakeDirectoriesTest, CreatesParentsAndAcceptsExisting) {
  const std::string root = FreshTestTempPath("mkdirs");
  ASSERT_TRUE(MakeDirectories(root + "/a/b/c").ok());
  EXPECT_TRUE(IsDirectory(root + "/a/b/c"));
  EXPECT_TRUE(MakeDirectories(root + "/a/b/c").ok());  // already there
  EXPECT_TRUE(MakeDirectories(root + "/a/b/c/").ok());
  std::ofstream(root + "/file") << "x";
  const absl::Status blocked = MakeDirectories(root + "/file/sub");
  EXPECT_FALSE(blocked.ok());
  EXPECT_THAT(blocked.message(), HasSubstr("mkdirs/file'"));
  EXPECT_EQ(MakeDirectories("").code(), absl::StatusCode::kInvalidArgument);
}

TEST(AtomicFileTest, ReplacesAndLeavesNoTemporaries) {
  const std::string dir = FreshTestTempPath("atomic");
  ASSERT_TRUE(MakeDirectories(dir).ok());
  const std::string path = dir + "/f.txt";
  ASSERT_TRUE(WriteFileAtomically(path, "first").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "second").ok());
  EXPECT_EQ(Read(path), "second");
  EXPECT_EQ(Entries(dir), 1);
  const absl::Status missing = WriteFileAtomically(dir + "/no/such/f", "x");
  EXPECT_EQ(missing.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(missing.message(), HasSubstr("no/such/f"));
  EXPECT_THAT(missing.message(), HasSubstr("No such file or directory"));
}

TEST(AtomicFileTest, StreamedAndOffsetWritesAppearOnlyAtCommit) {
  const std::string dir = FreshTestTempPath("streamed");
  ASSERT_TRUE(MakeDirectories(dir).ok());
  const std::string path = dir + "/data.bin";
  ASSERT_TRUE(WriteFileAtomically(path, "old").ok());
  absl::StatusOr<AtomicFile> file = AtomicFile::Create(path);
  ASSERT_TRUE(file.ok()) << file.status();
  EXPECT_EQ(file->path(), path);
  ASSERT_TRUE(file->Append("head:").ok());
  ASSERT_TRUE(file->Append("body").ok());
  ASSERT_TRUE(file->Resize(12).ok());
  ASSERT_TRUE(file->WriteAt(10, "!!", 2).ok());
  EXPECT_EQ(Read(path), "old");  // nothing visible before the commit
  EXPECT_EQ(Entries(dir), 2);    // the target and the temporary
  ASSERT_TRUE(file->Commit().ok());
  EXPECT_EQ(Read(path), std::string("head:body\0!!", 12));
  EXPECT_EQ(Entries(dir), 1);
  EXPECT_EQ(file->Commit().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(AtomicFileTest, AnUncommittedFileLeavesTheTargetAlone) {
  const std::string dir = FreshTestTempPath("uncommitted");
  ASSERT_TRUE(MakeDirectories(dir).ok());
  const std::string path = dir + "/kept.txt";
  ASSERT_TRUE(WriteFileAtomically(path, "kept").ok());
  {
    absl::StatusOr<AtomicFile> file = AtomicFile::Create(path);
    ASSERT_TRUE(file.ok());
    ASSERT_TRUE(file->Append("half written").ok());
    AtomicFile moved = *std::move(file);  // ownership moves with it
    EXPECT_EQ(Entries(dir), 2);
  }
  EXPECT_EQ(Read(path), "kept");
  EXPECT_EQ(Entries(dir), 1);
  EXPECT_EQ(AtomicFile::Create(dir + "/no/such/f").status().code(),
            absl::StatusCode::kUnavailable);
}

TEST(AtomicFileTest, ALibraryWriterGetsATemporaryPath) {
  const std::string dir = FreshTestTempPath("writer");
  ASSERT_TRUE(MakeDirectories(dir).ok());
  const std::string path = dir + "/lib.out";
  std::string seen;
  ASSERT_TRUE(WriteFileAtomically(path, [&](const std::string& temp) {
                seen = temp;
                std::ofstream(temp) << "library bytes";
                return absl::OkStatus();
              }).ok());
  EXPECT_NE(seen, path);
  EXPECT_EQ(std::filesystem::path(seen).parent_path(),
            std::filesystem::path(path).parent_path());
  EXPECT_EQ(Read(path), "library bytes");

  // A writer that fails or throws leaves the old file and no temporary.
  const absl::Status failed =
      WriteFileAtomically(path, [](const std::string& temp) {
        std::ofstream(temp) << "partial";
        return absl::DataLossError("disk on fire");
      });
  EXPECT_EQ(failed.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(failed.message(), HasSubstr("disk on fire"));
  EXPECT_THAT(failed.message(), HasSubstr(path));
  const absl::Status thrown =
      WriteFileAtomically(path, [](const std::string& temp) -> absl::Status {
        std::ofstream(temp) << "partial";
        throw std::runtime_error("serializer threw");
      });
  EXPECT_EQ(thrown.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(thrown.message(), HasSubstr("serializer threw"));
  EXPECT_EQ(Read(path), "library bytes");
  EXPECT_EQ(Entries(dir), 1);
}

}  // namespace
}  // namespace kd
