// Where this process stands in a data-parallel run: its rank, the world size
// and the rendezvous address, resolved as torchrun sets them (RANK,
// WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT in the
// environment), each overridable by a flag. Torch-free.
//
//   KD_ASSIGN_OR_RETURN(DistOptions options,
//                       ResolveDistOptions(requested, GetEnvironment));
//   if (options.world_size > 1) ... DistGroup::Connect(options) ...
#ifndef KD_DIST_DIST_OPTIONS_H_
#define KD_DIST_DIST_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace kd {

// What the command line asks for; "unset" values come from the environment.
struct DistRequest {
  int64_t rank = -1;        // -1: $RANK, else 0
  int64_t world_size = -1;  // -1: $WORLD_SIZE, else 1
  int64_t local_rank = -1;  // -1: $LOCAL_RANK, else the rank
  std::string master_addr;  // empty: $MASTER_ADDR, else 127.0.0.1
  int64_t master_port = 0;  // 0: $MASTER_PORT, else 29500
  std::string backend = "gloo";
  double timeout_s = 300;  // rendezvous and every collective
};

// The resolved settings of this process.
struct DistOptions {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;  // processes on this machine ($LOCAL_WORLD_SIZE)
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  std::string backend = "gloo";  // "gloo" or "nccl"
  double timeout_s = 300;

  bool distributed() const { return world_size > 1; }
};

// An environment variable's value, or nullopt when unset (std::getenv in
// production, a map in tests).
using EnvLookup = std::function<std::optional<std::string>(const char*)>;
std::optional<std::string> GetEnvironment(const char* name);

// Flags win over the environment. Errors (INVALID_ARGUMENT, one line naming
// the flag or variable): a value that is not an integer, rank outside
// [0, world_size), a port outside 1..65535, an unknown backend (lists the
// valid ones), nccl with a libtorch built without CUDA is reported by
// DistGroup::Connect.
absl::StatusOr<DistOptions> ResolveDistOptions(const DistRequest& request,
                                               const EnvLookup& env);

// "rank 1 of 2 (local rank 1), gloo, rendezvous 127.0.0.1:29500".
std::string DescribeDistOptions(const DistOptions& options);

}  // namespace kd

#endif  // KD_DIST_DIST_OPTIONS_H_
