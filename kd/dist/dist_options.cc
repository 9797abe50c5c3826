#include "kd/dist/dist_options.h"

#include <algorithm>
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "kd/status_macros.h"

namespace kd {
namespace {

// The flag's value when set (>= 0), else the variable's, else `fallback`;
// the error names `flag` unless it is null (a variable without a flag).
absl::StatusOr<int64_t> IntSetting(int64_t flag_value, const char* flag,
                                   const char* variable, int64_t fallback,
                                   const EnvLookup& env) {
  if (flag_value >= 0) return flag_value;
  const std::optional<std::string> text = env(variable);
  if (!text || text->empty()) return fallback;
  int64_t value = 0;
  if (!absl::SimpleAtoi(*text, &value) || value < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "environment variable ", variable, "='", *text,
        "' is not a non-negative integer",
        flag ? absl::StrCat(" (or set --", flag, ")") : std::string()));
  }
  return value;
}

}  // namespace

std::optional<std::string> GetEnvironment(const char* name) {
  const char* value = std::getenv(name);
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

absl::StatusOr<DistOptions> ResolveDistOptions(const DistRequest& request,
                                               const EnvLookup& env) {
  DistOptions options;
  KD_ASSIGN_OR_RETURN(
      const int64_t world_size,
      IntSetting(request.world_size, "world_size", "WORLD_SIZE", 1, env));
  KD_ASSIGN_OR_RETURN(const int64_t rank,
                      IntSetting(request.rank, "rank", "RANK", 0, env));
  if (world_size < 1 || world_size > 65536) {
    return absl::InvalidArgumentError(
        absl::StrCat("world size ", world_size,
                     " (--world_size or WORLD_SIZE): expected "
                     "1..65536"));
  }
  if (rank >= world_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "rank ", rank, " (--rank or RANK) is not below the world size ",
        world_size, " (--world_size or WORLD_SIZE)"));
  }
  options.world_size = static_cast<int>(world_size);
  options.rank = static_cast<int>(rank);
  KD_ASSIGN_OR_RETURN(
      const int64_t local_rank,
      IntSetting(request.local_rank, "local_rank", "LOCAL_RANK", rank, env));
  options.local_rank = static_cast<int>(local_rank);
  KD_ASSIGN_OR_RETURN(
      const int64_t local_world,
      IntSetting(-1, nullptr, "LOCAL_WORLD_SIZE", world_size, env));
  options.local_world_size =
      static_cast<int>(std::max<int64_t>(1, local_world));

  options.master_addr = request.master_addr;
  if (options.master_addr.empty()) {
    options.master_addr = env("MASTER_ADDR").value_or("");
    if (options.master_addr.empty()) options.master_addr = "127.0.0.1";
  }
  KD_ASSIGN_OR_RETURN(
      const int64_t port,
      IntSetting(request.master_port > 0 ? request.master_port : -1,
                 "master_port", "MASTER_PORT", 29500, env));
  if (port < 1 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("master port ", port,
                     " (--master_port or MASTER_PORT): expected 1..65535"));
  }
  options.master_port = static_cast<int>(port);
  if (request.backend != "gloo" && request.backend != "nccl") {
    return absl::InvalidArgumentError(
        absl::StrCat("--dist_backend=", request.backend,
                     ": unknown backend; valid backends: gloo, nccl"));
  }
  options.backend = request.backend;
  if (!(request.timeout_s > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--dist_timeout_s=", request.timeout_s, ": expected > 0"));
  }
  options.timeout_s = request.timeout_s;
  return options;
}

std::string DescribeDistOptions(const DistOptions& options) {
  return absl::StrCat("rank ", options.rank, " of ", options.world_size,
                      " (local rank ", options.local_rank, "), ",
                      options.backend, ", rendezvous ", options.master_addr,
                      ":", options.master_port);
}

}  // namespace kd
