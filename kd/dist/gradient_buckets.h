// GradientBuckets: data-parallel gradient averaging. The parameters are cut
// into buckets of about `bucket_bytes` (in reverse order, the order in which
// the backward pass produces their gradients); as soon as every gradient of
// a bucket is known, an asynchronous all-reduce of the bucket starts on the
// DistGroup's gradient process group, while the backward pass goes on.
// Finish() waits for the buckets, divides by the world size and writes the
// averages into the parameters' .grad. This is what PyTorch's
// DistributedDataParallel does with c10d::Reducer, whose header Debian's
// libtorch-dev 1.13 cannot compile (it includes distributed-autograd headers
// the package leaves out), built here on the same c10d collectives.
//
//   GradientBuckets buckets(group, params, 25 << 20);
//   buckets.StartStep();        // before backward()
//   loss.backward();            // buckets start all-reducing meanwhile
//   KD_RETURN_IF_ERROR(buckets.Finish());
//   optimizer.step();
//
// A parameter that gets no gradient in a step counts as a zero gradient (its
// bucket starts in Finish()), so every rank always runs the same collectives.
#ifndef KD_DIST_GRADIENT_BUCKETS_H_
#define KD_DIST_GRADIENT_BUCKETS_H_

#include <torch/types.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <torch/csrc/distributed/c10d/Work.hpp>
#include <vector>

#include "absl/status/status.h"
#include "kd/dist/dist_group.h"

namespace kd {

class GradientBuckets {
 public:
  // `params` must outlive this object (they are the model's parameters);
  // `what` names them in errors ("student gradients").
  GradientBuckets(DistGroup& group, std::vector<torch::Tensor> params,
                  int64_t bucket_bytes, std::string what);
  ~GradientBuckets();
  GradientBuckets(const GradientBuckets&) = delete;
  GradientBuckets& operator=(const GradientBuckets&) = delete;

  // Arms the hooks for one backward pass.
  void StartStep();
  // Waits for every bucket and writes the averaged gradients.
  absl::Status Finish();

  int64_t num_buckets() const { return static_cast<int64_t>(buckets_.size()); }
  // Bytes all-reduced per step (every bucket).
  int64_t bytes_per_step() const;

  // What the all-reduces cost since the last call: steps, and the seconds
  // Finish() waited for them after the backward pass (the communication the
  // backward pass did not hide).
  struct WaitStats {
    int64_t steps = 0;
    double wait_seconds = 0;
  };
  WaitStats TakeWaitStats();

 private:
  struct Bucket {
    std::vector<size_t> params;  // indices into params_
    std::vector<int64_t> offsets;
    torch::Tensor flat;  // float buffer of every gradient in the bucket
    size_t pending = 0;  // gradients not seen yet this step
    c10::intrusive_ptr<c10d::Work> work;
  };

  void OnGradient(size_t param, const torch::Tensor& grad);
  void LaunchReadyBuckets();  // in bucket order, as every rank does
  void Launch(Bucket& bucket);

  DistGroup& group_;
  std::vector<torch::Tensor> params_;
  std::string what_;
  std::vector<Bucket> buckets_;
  std::vector<size_t> bucket_of_;  // param -> bucket
  std::vector<size_t> slot_of_;    // param -> position in its bucket
  std::vector<bool> seen_;         // param's gradient arrived this step
  std::vector<unsigned> hooks_;
  size_t next_launch_ = 0;
  bool armed_ = false;
  std::mutex mutex_;   // hooks may run on autograd worker threads (CUDA)
  std::string error_;  // a failed launch inside a hook
  WaitStats wait_stats_;
};

}  // namespace kd

#endif  // KD_DIST_GRADIENT_BUCKETS_H_
