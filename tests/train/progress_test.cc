#include "kd/train/progress.h"

#include <cstdio>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kd {
namespace {

using ::testing::HasSubstr;

TEST(ProgressTest, FormatsDurations) {
  EXPECT_EQ(ProgressReporter::FormatDuration(0), "00:00");
  EXPECT_EQ(ProgressReporter::FormatDuration(125), "02:05");
  EXPECT_EQ(ProgressReporter::FormatDuration(3725), "1:02:05");
  EXPECT_EQ(ProgressReporter::FormatDuration(-1), "--:--");
}

TEST(ProgressTest, BarOnTerminalPlainLinesOtherwise) {
  ProgressReporter bar(/*tty=*/true, stderr);
  bar.StartEpoch(3, 10, 20);
  const std::string line =
      bar.Line(10, {{"ce", 1.25}, {"ega/node", 0.5}}, 512, 65);
  EXPECT_THAT(line, HasSubstr("epoch 3/10 [##########..........] 10/20"));
  EXPECT_THAT(line, HasSubstr("ce 1.25 ega/node 0.5 | 512 img/s | ETA 01:05"));

  // Plain mode: about ten lines per epoch, each ending in a newline.
  std::FILE* f = std::tmpfile();
  ProgressReporter plain(/*tty=*/false, f);
  plain.StartEpoch(1, 1, 100);
  for (int s = 1; s <= 100; ++s) plain.Step(s, 8, {{"ce", 1.0}});
  plain.Finish();
  std::rewind(f);
  int lines = 0;
  for (int c; (c = std::fgetc(f)) != EOF;) lines += c == '\n';
  std::fclose(f);
  EXPECT_EQ(lines, 10);
}

}  // namespace
}  // namespace kd
