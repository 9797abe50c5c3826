#include "kd/dist/dist_group.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "glog/logging.h"
#include "kd/base/torch_errors.h"

namespace kd {
namespace {

constexpr char kJoinedKey[] = "kd/joined";

std::chrono::milliseconds Timeout(const DistOptions& options) {
  return std::chrono::milliseconds(
      static_cast<int64_t>(options.timeout_s * 1000));
}

bool IsLoopback(const std::string& address) {
  return address == "localhost" || absl::StartsWith(address, "127.") ||
         address == "::1";
}

// The network device Gloo's pairs use: loopback for a one-machine run,
// $GLOO_SOCKET_IFNAME when set (as in PyTorch), else this host's address.
std::shared_ptr<gloo::transport::Device> GlooDevice(
    const DistOptions& options) {
  if (IsLoopback(options.master_addr)) {
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  }
  const std::optional<std::string> interface =
      GetEnvironment("GLOO_SOCKET_IFNAME");
  if (interface && !interface->empty()) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(*interface);
  }
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

std::vector<uint8_t> Bytes(const std::string& text) {
  return std::vector<uint8_t>(text.begin(), text.end());
}

std::vector<uint8_t> HostAndPid() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return Bytes(absl::StrCat(host, " pid ", getpid()));
}

// The tensors of one dtype, flattened into one buffer, so a collective is one
// message per dtype whatever the tensors' count and memory layout.
struct FlatBuffers {
  std::vector<std::vector<torch::Tensor>> groups;
  std::vector<torch::Tensor> flats;

  explicit FlatBuffers(const std::vector<torch::Tensor>& tensors) {
    std::vector<c10::ScalarType> types;
    for (const torch::Tensor& t : tensors) {
      size_t g = 0;
      while (g < types.size() && types[g] != t.scalar_type()) ++g;
      if (g == types.size()) {
        types.push_back(t.scalar_type());
        groups.emplace_back();
      }
      groups[g].push_back(t);
    }
    for (const auto& group : groups) {
      std::vector<torch::Tensor> pieces;
      for (const torch::Tensor& t : group) pieces.push_back(t.reshape({-1}));
      flats.push_back(torch::cat(pieces).contiguous());
    }
  }
  void CopyBack() {
    for (size_t g = 0; g < groups.size(); ++g) {
      int64_t offset = 0;
      for (torch::Tensor& t : groups[g]) {
        const int64_t n = t.numel();
        t.copy_(flats[g].narrow(0, offset, n).view(t.sizes()));
        offset += n;
      }
    }
  }
};

// c10d logs its own line (through glog) for every failed connection
// attempt; Connect returns the failure once, in its own words. Set-up is
// single-threaded, so the process-wide level can be raised meanwhile.
class QuietGlogScope {
 public:
  QuietGlogScope() : saved_(FLAGS_minloglevel) {
    FLAGS_minloglevel = google::GLOG_FATAL;
  }
  ~QuietGlogScope() { FLAGS_minloglevel = saved_; }

 private:
  int saved_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<DistGroup>> DistGroup::Connect(
    const DistOptions& options) {
  // A peer's socket closing must be an error of the collective, not a
  // SIGPIPE that kills this process without a word.
  signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<DistGroup> group(new DistGroup(options));
  const std::string where =
      absl::StrCat(options.master_addr, ":", options.master_port);
  const std::string me = absl::StrCat("rank ", options.rank);
  if (options.backend == "nccl" && !HaveNccl()) {
    return absl::UnimplementedError(absl::StrCat(
        me,
        ": --dist_backend=nccl needs a libtorch built with CUDA and NCCL; "
        "this one is CPU-only: use --dist_backend=gloo"));
  }
  c10d::TCPStoreOptions store_options;
  store_options.port = static_cast<uint16_t>(options.master_port);
  store_options.isServer = options.rank == 0;
  store_options.numWorkers = options.world_size;
  store_options.waitWorkers = false;  // joined below, naming who is missing
  store_options.timeout = Timeout(options);
  QuietGlogScope quiet;
  try {
    group->store_ =
        c10::make_intrusive<c10d::TCPStore>(options.master_addr, store_options);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat(
        me, ": cannot ", options.rank == 0 ? "host" : "reach",
        " the rendezvous at ", where, " (MASTER_ADDR:MASTER_PORT) within ",
        options.timeout_s, " s: ", ExceptionMessage(e)));
  }
  try {
    group->store_->set(absl::StrCat(kJoinedKey, "/", options.rank),
                       HostAndPid());
    group->store_->add(kJoinedKey, 1);
    const auto deadline = std::chrono::steady_clock::now() + Timeout(options);
    while (group->store_->add(kJoinedKey, 0) < options.world_size) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::vector<int> missing;
        for (int r = 0; r < options.world_size; ++r) {
          if (!group->store_->check({absl::StrCat(kJoinedKey, "/", r)})) {
            missing.push_back(r);
          }
        }
        return absl::DeadlineExceededError(absl::StrCat(
            me, ": rank", missing.size() > 1 ? "s " : " ",
            absl::StrJoin(missing, ", "), " of ", options.world_size,
            " did not join the run at ", where, " within ", options.timeout_s,
            " s (--dist_timeout_s)"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const auto timeout =
        std::chrono::duration_cast<std::chrono::milliseconds>(Timeout(options));
    const auto prefixed = [&](const char* name) {
      return c10::make_intrusive<c10d::PrefixStore>(name, group->store_);
    };
    if (options.backend == "nccl") {
      // One GPU per process: cuda:LOCAL_RANK. Tensors of host-side
      // collectives (settings, statistics) go through it.
      group->collective_device_ = torch::Device(
          torch::kCUDA, static_cast<c10::DeviceIndex>(options.local_rank));
      for (auto* target : {&group->gradients_, &group->activations_}) {
        absl::StatusOr<c10::intrusive_ptr<CollectiveGroup>> nccl = NewNcclGroup(
            prefixed(target == &group->gradients_ ? "kd/gradients"
                                                  : "kd/activations"),
            options.rank, options.world_size, timeout);
        if (!nccl.ok()) return nccl.status();
        *target = *std::move(nccl);
      }
    } else {
      group->gradients_ =
          NewGlooGroup(prefixed("kd/gradients"), options.rank,
                       options.world_size, timeout, GlooDevice(options));
      group->activations_ =
          NewGlooGroup(prefixed("kd/activations"), options.rank,
                       options.world_size, timeout, GlooDevice(options));
    }
  } catch (const std::exception& e) {
    return group->Failure("joining the run at " + where, e);
  }
  return group;
}

DistGroup::~DistGroup() = default;

absl::Status DistGroup::Failure(const std::string& what,
                                const std::exception& e) const {
  return absl::UnavailableError(absl::StrCat(
      "rank ", rank(), " of ", world_size(), ": ", what,
      " failed: ", ExceptionMessage(e),
      " (a peer process exited, was killed or did not answer within ",
      options_.timeout_s, " s)"));
}

absl::Status DistGroup::OnFlatBuffers(
    const std::vector<torch::Tensor>& tensors, const std::string& what,
    const std::function<void(std::vector<at::Tensor>&)>& collective) {
  if (tensors.empty()) return absl::OkStatus();
  torch::NoGradGuard no_grad;
  try {
    FlatBuffers buffers(tensors);
    for (torch::Tensor& flat : buffers.flats) {
      // NCCL: host tensors travel through this rank's GPU.
      std::vector<at::Tensor> one{flat.to(collective_device_)};
      collective(one);
      if (!one[0].is_same(flat)) flat.copy_(one[0]);
    }
    buffers.CopyBack();
  } catch (const std::exception& e) {
    return Failure(what, e);
  }
  return absl::OkStatus();
}

absl::Status DistGroup::Broadcast(const std::vector<torch::Tensor>& tensors,
                                  const std::string& what) {
  return OnFlatBuffers(tensors, "broadcast of " + what,
                       [&](std::vector<at::Tensor>& one) {
                         c10d::BroadcastOptions options;
                         options.rootRank = 0;
                         activations_->broadcast(one, options)->wait();
                       });
}

absl::Status DistGroup::BroadcastModule(torch::nn::Module& module,
                                        const std::string& what) {
  std::vector<torch::Tensor> state = module.parameters();
  for (const torch::Tensor& b : module.buffers()) state.push_back(b);
  return Broadcast(state, what);
}

absl::Status DistGroup::AllReduceSum(const std::vector<torch::Tensor>& tensors,
                                     const std::string& what) {
  return OnFlatBuffers(tensors, "all-reduce of " + what,
                       [&](std::vector<at::Tensor>& one) {
                         activations_->allreduce(one)->wait();
                       });
}

absl::Status DistGroup::SumDoubles(std::vector<double>& values,
                                   const std::string& what) {
  if (values.empty()) return absl::OkStatus();
  torch::Tensor t =
      torch::tensor(values, torch::TensorOptions().dtype(torch::kFloat64));
  if (absl::Status s = AllReduceSum({t}, what); !s.ok()) return s;
  for (size_t i = 0; i < values.size(); ++i) {
    values[i] = t[static_cast<int64_t>(i)].item<double>();
  }
  return absl::OkStatus();
}

absl::Status DistGroup::Barrier(const std::string& what) {
  try {
    activations_->barrier()->wait();
  } catch (const std::exception& e) {
    return Failure("waiting for every rank (" + what + ")", e);
  }
  return absl::OkStatus();
}

absl::Status DistGroup::CheckSameOnEveryRank(const std::string& what,
                                             const std::string& value) {
  const std::string key = "kd/same/" + what;
  try {
    if (is_main()) {
      store_->set(key, Bytes(value));
    }
    const std::vector<uint8_t> main = store_->get(key);
    if (std::string(main.begin(), main.end()) != value) {
      return absl::FailedPreconditionError(absl::StrCat(
          "rank ", rank(), ": its ", what,
          " differ from rank 0's: start every rank with the same flags"));
    }
  } catch (const std::exception& e) {
    return Failure("comparing " + what + " with rank 0", e);
  }
  return absl::OkStatus();
}

absl::Status DistGroup::CheckSameTensors(
    const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
    const std::string& what) {
  if (tensors.empty()) return absl::OkStatus();
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> prints;
  for (const auto& [name, t] : tensors) {
    const torch::Tensor d = t.detach().to(torch::kCPU, torch::kFloat64);
    prints.push_back(torch::stack({d.sum(), d.square().sum()}));
  }
  const torch::Tensor mine = torch::stack(prints);
  std::vector<at::Tensor> highest{mine.to(collective_device_, false, true)},
      lowest{mine.to(collective_device_, false, true)};
  try {
    c10d::AllreduceOptions max_options, min_options;
    max_options.reduceOp = c10d::ReduceOp::MAX;
    min_options.reduceOp = c10d::ReduceOp::MIN;
    activations_->allreduce(highest, max_options)->wait();
    activations_->allreduce(lowest, min_options)->wait();
  } catch (const std::exception& e) {
    return Failure("comparing " + what + " across ranks", e);
  }
  const torch::Tensor differs = highest[0].ne(lowest[0]).any(1).to(torch::kCPU);
  for (size_t i = 0; i < tensors.size(); ++i) {
    if (differs[static_cast<int64_t>(i)].item<bool>()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "rank ", rank(), ": ", what, " differ between ranks, first '",
          tensors[i].first, "': the replicas drifted apart"));
    }
  }
  return absl::OkStatus();
}

}  // namespace kd
