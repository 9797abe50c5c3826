#include "kd/compat/c10d.h"

#ifdef USE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace kd {

bool HaveNccl() {
#ifdef USE_C10D_NCCL
  return true;
#else
  return false;
#endif
}

c10::intrusive_ptr<CollectiveGroup> NewGlooGroup(
    const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
    std::chrono::milliseconds timeout,
    std::shared_ptr<gloo::transport::Device> device) {
  auto options = c10d::ProcessGroupGloo::Options::create(timeout);
  options->devices.push_back(std::move(device));
  return c10::make_intrusive<c10d::ProcessGroupGloo>(store, rank, size,
                                                     options);
}

absl::StatusOr<c10::intrusive_ptr<CollectiveGroup>> NewNcclGroup(
    const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
    std::chrono::milliseconds timeout) {
#ifdef USE_C10D_NCCL
  auto options = c10d::ProcessGroupNCCL::Options::create();
  options->timeout = timeout;
  return c10::intrusive_ptr<CollectiveGroup>(
      c10::make_intrusive<c10d::ProcessGroupNCCL>(store, rank, size, options));
#else
  (void)store, (void)rank, (void)size, (void)timeout;
  return absl::UnimplementedError(
      "this libtorch has no NCCL (a CPU-only build); use --dist_backend=gloo "
      "or build against a CUDA libtorch (docs/gpu.md)");
#endif
}

}  // namespace kd
