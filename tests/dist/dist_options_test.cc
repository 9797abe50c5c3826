#include "kd/dist/dist_options.h"

#include <map>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kd {
namespace {

using ::testing::HasSubstr;

EnvLookup Env(std::map<std::string, std::string> values) {
  return [values](const char* name) -> std::optional<std::string> {
    auto it = values.find(name);
    if (it == values.end()) return std::nullopt;
    return it->second;
  };
}

TEST(DistOptionsTest, DefaultsToOneProcess) {
  absl::StatusOr<DistOptions> options = ResolveDistOptions({}, Env({}));
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->world_size, 1);
  EXPECT_EQ(options->rank, 0);
  EXPECT_FALSE(options->distributed());
  EXPECT_EQ(options->master_addr, "127.0.0.1");
  EXPECT_EQ(options->master_port, 29500);
}

TEST(DistOptionsTest, ReadsTorchrunEnvironment) {
  absl::StatusOr<DistOptions> options =
      ResolveDistOptions({}, Env({{"RANK", "3"},
                                  {"WORLD_SIZE", "4"},
                                  {"LOCAL_RANK", "1"},
                                  {"LOCAL_WORLD_SIZE", "2"},
                                  {"MASTER_ADDR", "node7"},
                                  {"MASTER_PORT", "1234"}}));
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->rank, 3);
  EXPECT_EQ(options->world_size, 4);
  EXPECT_EQ(options->local_rank, 1);
  EXPECT_EQ(options->local_world_size, 2);
  EXPECT_EQ(options->master_addr, "node7");
  EXPECT_EQ(options->master_port, 1234);
  EXPECT_TRUE(options->distributed());
  EXPECT_EQ(DescribeDistOptions(*options),
            "rank 3 of 4 (local rank 1), gloo, rendezvous node7:1234");
}

TEST(DistOptionsTest, FlagsOverrideTheEnvironment) {
  DistRequest request;
  request.rank = 0;
  request.world_size = 2;
  request.master_addr = "10.0.0.1";
  request.master_port = 4321;
  absl::StatusOr<DistOptions> options =
      ResolveDistOptions(request, Env({{"RANK", "1"},
                                       {"WORLD_SIZE", "8"},
                                       {"MASTER_ADDR", "x"},
                                       {"MASTER_PORT", "1"}}));
  ASSERT_TRUE(options.ok()) << options.status();
  EXPECT_EQ(options->rank, 0);
  EXPECT_EQ(options->world_size, 2);
  EXPECT_EQ(options->local_rank, 0);  // the rank, without LOCAL_RANK
  EXPECT_EQ(options->master_addr, "10.0.0.1");
  EXPECT_EQ(options->master_port, 4321);
}

TEST(DistOptionsTest, BadValuesAreOneLineErrors) {
  EXPECT_THAT(
      ResolveDistOptions({}, Env({{"WORLD_SIZE", "two"}})).status().message(),
      HasSubstr("WORLD_SIZE='two' is not a non-negative integer"));
  EXPECT_THAT(
      ResolveDistOptions({}, Env({{"RANK", "2"}, {"WORLD_SIZE", "2"}}))
          .status()
          .message(),
      HasSubstr("rank 2 (--rank or RANK) is not below the world size 2"));
  EXPECT_THAT(ResolveDistOptions({}, Env({{"MASTER_PORT", "70000"}}))
                  .status()
                  .message(),
              HasSubstr("expected 1..65535"));
  DistRequest request;
  request.backend = "mpi";
  EXPECT_THAT(ResolveDistOptions(request, Env({})).status().message(),
              HasSubstr("valid backends: gloo, nccl"));
  request.backend = "gloo";
  request.timeout_s = 0;
  EXPECT_THAT(ResolveDistOptions(request, Env({})).status().message(),
              HasSubstr("--dist_timeout_s=0"));
}

}  // namespace
}  // namespace kd
