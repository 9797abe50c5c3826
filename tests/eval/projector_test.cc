// Projector TSVs and t-SNE CSV: exact file contents.
#include "kd/eval/projector.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/paths.h"

namespace kd {
namespace eval {
namespace {

using ::kd::testing::TestTempPath;

using ::testing::HasSubstr;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(ProjectorTest, TwoColumnMetadataHasAHeader) {
  const std::string v = TestTempPath("vectors.tsv"),
                    m = TestTempPath("metadata.tsv");
  ASSERT_TRUE(WriteProjectorTsv(v, m, {1.5f, -2.f, 0.1f, 3.f}, 2, 2, {1, 0},
                                {"cat", "dog"})
                  .ok());
  EXPECT_EQ(Read(v), "1.5\t-2\n0.100000001\t3\n");
  EXPECT_EQ(Read(m), "label\tclass_name\n1\tdog\n0\tcat\n");
}

TEST(ProjectorTest, SingleColumnMetadataHasNoHeader) {
  const std::string v = TestTempPath("v1.tsv"), m = TestTempPath("m1.tsv");
  ASSERT_TRUE(WriteProjectorTsv(v, m, {1, 2, 3}, 3, 1, {4, 0, 7}, {}).ok());
  EXPECT_EQ(Read(v), "1\n2\n3\n");
  EXPECT_EQ(Read(m), "4\n0\n7\n");
}

TEST(ProjectorTest, BadInputIsAClearError) {
  const std::string v = TestTempPath("v2.tsv"), m = TestTempPath("m2.tsv");
  EXPECT_THAT(WriteProjectorTsv(v, m, {1, 2, 3}, 2, 2, {0, 0}, {}).message(),
              HasSubstr("expected n*dim = 2*2"));
  EXPECT_THAT(WriteProjectorTsv(v, m, {1, 2}, 2, 1, {0}, {}).message(),
              HasSubstr("2 points but 1 labels"));
  EXPECT_THAT(
      WriteProjectorTsv(v, m, {1, 2}, 2, 1, {0, 2}, {"a", "b"}).message(),
      HasSubstr("label 2 of point 1 is outside [0, 2)"));
  EXPECT_THAT(
      WriteProjectorTsv(v, m, {1, 2}, 2, 1, {0, 1}, {"a", "b\tc"}).message(),
      HasSubstr("class name 1 contains a tab"));
  EXPECT_THAT(WriteProjectorTsv(v, m, {1, NAN}, 2, 1, {0, 1}, {}).message(),
              HasSubstr("point 1 dimension 0 is not finite"));
  struct stat st;
  EXPECT_NE(stat(v.c_str(), &st), 0);
}

TEST(TsneCsvTest, ExactContentsWithQuoting) {
  const std::string path = TestTempPath("tsne.csv");
  ASSERT_TRUE(WriteTsneCsv(path, {{0.5, -1.25}, {3, 4}}, {0, 1},
                           {"plain", "with, comma \"q\""})
                  .ok());
  EXPECT_EQ(Read(path),
            "x,y,label,class_name\n0.5,-1.25,0,plain\n"
            "3,4,1,\"with, comma \"\"q\"\"\"\n");
  ASSERT_TRUE(WriteTsneCsv(path, {{1, 2}}, {5}, {}).ok());
  EXPECT_EQ(Read(path), "x,y,label\n1,2,5\n");
  EXPECT_FALSE(WriteTsneCsv(path, {}, {}, {}).ok());
}

}  // namespace
}  // namespace eval
}  // namespace kd
