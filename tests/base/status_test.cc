#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kd/status_macros.h"

namespace kd {
namespace {

absl::StatusOr<int> Half(int x) {
  if (x % 2) return absl::InvalidArgumentError("odd");
  return x / 2;
}

absl::StatusOr<int> Quarter(int x) {
  KD_ASSIGN_OR_RETURN(const int half, Half(x));
  KD_RETURN_IF_ERROR(WithPrefix("second half: ", Half(half).status()));
  return half / 2;
}

TEST(StatusTest, WithPrefixKeepsTheCodeAndOk) {
  const absl::Status s =
      WithPrefix("--teacher: ", absl::NotFoundError("no such file"));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "--teacher: no such file");
  EXPECT_TRUE(WithPrefix("ignored: ", absl::OkStatus()).ok());
}

TEST(StatusTest, MacrosReturnEarly) {
  EXPECT_EQ(*Quarter(8), 2);
  EXPECT_EQ(Quarter(3).status().message(), "odd");
  EXPECT_EQ(Quarter(6).status().message(), "second half: odd");
}

}  // namespace
}  // namespace kd
