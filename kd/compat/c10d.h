// The c10d process groups across libtorch versions: the one place that
// knows how 1.13 and 2.x differ here. In 1.13 ProcessGroupGloo and
// ProcessGroupNCCL are c10d::ProcessGroups; from 2.0 they are c10d::Backends
// (a ProcessGroup dispatches to one per device type). Both offer the same
// collectives (broadcast, allreduce, allgather, barrier), which is all this
// project calls, so it holds the implementation directly as a
// CollectiveGroup.
#ifndef KD_COMPAT_C10D_H_
#define KD_COMPAT_C10D_H_

#include <torch/version.h>

#include <chrono>
#include <memory>
#include <string>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/Store.hpp>

#include "absl/status/statusor.h"

namespace kd {

#if TORCH_VERSION_MAJOR >= 2
using CollectiveGroup = c10d::Backend;
#else
using CollectiveGroup = c10d::ProcessGroup;
#endif

// Whether this libtorch was built with NCCL (its USE_C10D_NCCL define).
bool HaveNccl();

// A Gloo group of `size` processes over `store`, its pairs on `device`.
c10::intrusive_ptr<CollectiveGroup> NewGlooGroup(
    const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
    std::chrono::milliseconds timeout,
    std::shared_ptr<gloo::transport::Device> device);

// An NCCL group on the current CUDA device; UNIMPLEMENTED without NCCL.
absl::StatusOr<c10::intrusive_ptr<CollectiveGroup>> NewNcclGroup(
    const c10::intrusive_ptr<c10d::Store>& store, int rank, int size,
    std::chrono::milliseconds timeout);

}  // namespace kd

#endif  // KD_COMPAT_C10D_H_
