// DistGroup: the processes of one data-parallel run, connected through
// libtorch's c10d (a TCPStore rendezvous at MASTER_ADDR:MASTER_PORT, hosted by
// rank 0, and ProcessGroupGloo; ProcessGroupNCCL where libtorch has CUDA).
// Two process groups: one for the gradient buckets, which run in the
// background during the backward pass, and one for the collectives inside
// the forward and backward passes (gathered embeddings, synchronised
// BatchNorm), so the two streams of operations never interleave.
//
// Every collective returns a status: a peer that died, never joined or stops
// answering within the timeout is an error naming this rank and the
// operation, never a hang.
//
//   KD_ASSIGN_OR_RETURN(std::unique_ptr<DistGroup> group,
//                       DistGroup::Connect(options));
//   KD_RETURN_IF_ERROR(group->Broadcast(model_tensors, "initial weights"));
#ifndef KD_DIST_DIST_GROUP_H_
#define KD_DIST_DIST_GROUP_H_

#include <torch/nn/module.h>
#include <torch/types.h>

#include <exception>
#include <functional>
#include <memory>
#include <string>
#include <torch/csrc/distributed/c10d/Store.hpp>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "kd/compat/c10d.h"
#include "kd/dist/dist_options.h"

namespace kd {

class DistGroup {
 public:
  // Joins the run: every rank of options.world_size must arrive within
  // options.timeout_s (else DEADLINE_EXCEEDED naming the ranks that did not;
  // an unreachable MASTER_ADDR:MASTER_PORT is UNAVAILABLE naming it).
  static absl::StatusOr<std::unique_ptr<DistGroup>> Connect(
      const DistOptions& options);
  ~DistGroup();

  int rank() const { return options_.rank; }
  int world_size() const { return options_.world_size; }
  bool is_main() const { return options_.rank == 0; }
  const DistOptions& options() const { return options_; }

  // The process group of the gradient buckets (GradientBuckets).
  const c10::intrusive_ptr<CollectiveGroup>& gradients() const {
    return gradients_;
  }
  // The process group of the collectives inside forward/backward passes.
  const c10::intrusive_ptr<CollectiveGroup>& activations() const {
    return activations_;
  }

  // Rank 0's values of `tensors`, in place on every rank (parameters,
  // buffers). `what` names them in errors.
  absl::Status Broadcast(const std::vector<torch::Tensor>& tensors,
                         const std::string& what);
  // Every parameter and buffer of `module` (and its submodules) broadcast.
  absl::Status BroadcastModule(torch::nn::Module& module,
                               const std::string& what);
  // The element-wise sum over ranks of each tensor, in place.
  absl::Status AllReduceSum(const std::vector<torch::Tensor>& tensors,
                            const std::string& what);
  // Sums of doubles (counts, metric sums) over ranks, in place.
  absl::Status SumDoubles(std::vector<double>& values, const std::string& what);
  absl::Status Barrier(const std::string& what);
  // FAILED_PRECONDITION unless every rank passes the same `value` (e.g. the
  // run's settings): ranks started with different flags would train
  // different things.
  absl::Status CheckSameOnEveryRank(const std::string& what,
                                    const std::string& value);
  // FAILED_PRECONDITION (on every rank) unless the named tensors hold the
  // same values on every rank, naming the first that differs: a guard that
  // the replicas of a data-parallel run never drift apart. Compares a
  // fingerprint of each tensor (float64 sum and sum of squares), so it costs
  // two small all-reduces.
  absl::Status CheckSameTensors(
      const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
      const std::string& what);

  // A collective's exception as one line naming this rank, `what` and the
  // likely cause: "rank 1: all-reduce of gradients failed: ... (a peer
  // process exited or stopped answering within 300 s)".
  absl::Status Failure(const std::string& what, const std::exception& e) const;

 private:
  explicit DistGroup(const DistOptions& options) : options_(options) {}
  // `tensors` flattened into one buffer per dtype, `collective` run on each
  // buffer (waiting for it), the results copied back; `what` names it.
  absl::Status OnFlatBuffers(
      const std::vector<torch::Tensor>& tensors, const std::string& what,
      const std::function<void(std::vector<at::Tensor>&)>& collective);

  DistOptions options_;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<CollectiveGroup> gradients_, activations_;
  // Where the tensors of collectives must be: the CPU for Gloo, this
  // rank's GPU for NCCL.
  torch::Device collective_device_{torch::kCPU};
};

}  // namespace kd

#endif  // KD_DIST_DIST_GROUP_H_
