#include "kd/train/metrics_log.h"

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "tests/testing/paths.h"

namespace kd {
namespace {

using ::kd::testing::TestTempDir;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(MetricsLogTest, AppendsCsvAndJsonlAndTruncatesForResume) {
  const std::string dir = TestTempDir();
  MetricsLog log(dir);
  ASSERT_TRUE(log.TruncateTo(0).ok());
  for (int e = 1; e <= 3; ++e) {
    ASSERT_TRUE(
        log.Append({e, {{"train_loss", 1.0 / e}, {"test_top1", 10.0 * e}}})
            .ok());
  }
  EXPECT_EQ(Read(log.csv_path()),
            "epoch,train_loss,test_top1\n1,1,10\n2,0.5,20\n3,0.33333333,30\n");
  EXPECT_EQ(Read(log.jsonl_path()).substr(0, 46),
            "{\"epoch\":1,\"train_loss\":1.0,\"test_top1\":10.0}\n");
  ASSERT_TRUE(log.TruncateTo(2).ok());
  auto records = log.ReadAll();
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ(records->back().epoch, 2);
  EXPECT_DOUBLE_EQ(records->back().Get("test_top1"), 20.0);
  EXPECT_EQ(Read(log.csv_path()),
            "epoch,train_loss,test_top1\n1,1,10\n2,0.5,20\n");
}

}  // namespace
}  // namespace kd
