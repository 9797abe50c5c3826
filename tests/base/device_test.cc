// --device parsing against what this libtorch can use, the fp16-on-CUDA
// rule, and host-to-device copies.
#include "kd/base/device.h"

#include <torch/cuda.h>
#include <torch/torch.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kd {
namespace {

using ::testing::HasSubstr;

std::string Message(const absl::Status& status) {
  return std::string(status.message());
}

TEST(DeviceTest, CpuAlwaysParses) {
  absl::StatusOr<torch::Device> device = ParseDevice("cpu");
  ASSERT_TRUE(device.ok()) << device.status();
  EXPECT_TRUE(device->is_cpu());
}

TEST(DeviceTest, UnknownNamesListTheValidForms) {
  for (const char* name : {"gpu", "cuda:", "cuda:x", "cuda:-1", "CPU"}) {
    SCOPED_TRACE(name);
    const absl::Status status = ParseDevice(name).status();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Message(status),
                HasSubstr(std::string("unknown device '") + name +
                          "'; valid: cpu, cuda, cuda:N"));
  }
}

// Without CUDA every CUDA name is refused with the reason; with CUDA the
// devices that exist parse and the next index is out of range.
TEST(DeviceTest, CudaNamesAreCheckedAgainstTheDevicesThere) {
  if (!torch::cuda::is_available()) {
    for (const char* name : {"cuda", "cuda:0", "cuda:1"}) {
      SCOPED_TRACE(name);
      const absl::Status status = ParseDevice(name).status();
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
      EXPECT_THAT(Message(status),
                  HasSubstr("no CUDA device is available to this libtorch"));
    }
    return;
  }
  const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
  absl::StatusOr<torch::Device> first = ParseDevice("cuda");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(*first, torch::Device(torch::kCUDA, 0));
  absl::StatusOr<torch::Device> last =
      ParseDevice("cuda:" + std::to_string(count - 1));
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_THAT(Message(ParseDevice("cuda:" + std::to_string(count)).status()),
              HasSubstr("CUDA device(s)"));
}

TEST(DeviceTest, Fp16NeedsCuda) {
  EXPECT_TRUE(CheckPrecisionOnDevice(Precision::kFp32, torch::kCPU).ok());
  EXPECT_TRUE(CheckPrecisionOnDevice(Precision::kBf16, torch::kCPU).ok());
  EXPECT_THAT(Message(CheckPrecisionOnDevice(Precision::kFp16, torch::kCPU)),
              HasSubstr("precision fp16 needs a CUDA device (found cpu)"));
  EXPECT_TRUE(
      CheckPrecisionOnDevice(Precision::kFp16, torch::Device("cuda:0")).ok());
}

TEST(DeviceTest, ToDeviceMovesAndKeepsWhatIsThere) {
  const torch::Tensor t = torch::arange(6).view({2, 3});
  EXPECT_TRUE(ToDevice(t, torch::kCPU).is_same(t));
  EXPECT_FALSE(ToDevice(torch::Tensor(), torch::kMeta).defined());
  const torch::Tensor moved = ToDevice(t, torch::kMeta);
  EXPECT_TRUE(moved.is_meta());
  EXPECT_EQ(moved.sizes(), t.sizes());
  EXPECT_EQ(moved.scalar_type(), t.scalar_type());
}

TEST(DeviceTest, PinsOnlyForCuda) {
  const torch::Tensor t = torch::ones({4});
  EXPECT_TRUE(PinnedFor(t, torch::kCPU).is_same(t));
  EXPECT_TRUE(PinnedFor(t, torch::kMeta).is_same(t));
  if (torch::cuda::is_available()) {
    const torch::Tensor pinned = PinnedFor(t, torch::Device("cuda:0"));
    EXPECT_TRUE(pinned.is_pinned());
    EXPECT_TRUE(torch::equal(pinned, t));
  }
}

}  // namespace
}  // namespace kd
