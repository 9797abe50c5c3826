#include "kd/dist/gradient_buckets.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace kd {
namespace {

// The first bucket is small, as in DistributedDataParallel, so the first
// all-reduce starts early in the backward pass.
constexpr int64_t kFirstBucketBytes = 1 << 20;

}  // namespace

GradientBuckets::GradientBuckets(DistGroup& group,
                                 std::vector<torch::Tensor> params,
                                 int64_t bucket_bytes, std::string what)
    : group_(group), params_(std::move(params)), what_(std::move(what)) {
  bucket_of_.resize(params_.size());
  slot_of_.resize(params_.size());
  seen_.assign(params_.size(), false);
  int64_t bytes = 0, cap = std::min(kFirstBucketBytes, bucket_bytes);
  for (size_t k = params_.size(); k-- > 0;) {
    const torch::Tensor& p = params_[k];
    const int64_t size = p.numel() * p.element_size();
    const bool new_bucket =
        buckets_.empty() || bytes + size > cap ||
        params_[buckets_.back().params.front()].scalar_type() !=
            p.scalar_type();
    if (new_bucket) {
      if (!buckets_.empty()) cap = bucket_bytes;
      buckets_.emplace_back();
      bytes = 0;
    }
    Bucket& bucket = buckets_.back();
    bucket_of_[k] = buckets_.size() - 1;
    slot_of_[k] = bucket.params.size();
    bucket.offsets.push_back(bucket.params.empty()
                                 ? 0
                                 : bucket.offsets.back() +
                                       params_[bucket.params.back()].numel());
    bucket.params.push_back(k);
    bytes += size;
  }
  for (Bucket& bucket : buckets_) {
    const torch::Tensor& last = params_[bucket.params.back()];
    bucket.flat = torch::zeros({bucket.offsets.back() + last.numel()},
                               last.options().requires_grad(false));
  }
  for (size_t k = 0; k < params_.size(); ++k) {
    hooks_.push_back(params_[k].register_hook(
        [this, k](const torch::Tensor& grad) { OnGradient(k, grad); }));
  }
}

GradientBuckets::~GradientBuckets() {
  for (size_t k = 0; k < params_.size(); ++k) {
    params_[k].remove_hook(hooks_[k]);
  }
}

void GradientBuckets::StartStep() {
  std::lock_guard<std::mutex> lock(mutex_);
  std::fill(seen_.begin(), seen_.end(), false);
  for (Bucket& bucket : buckets_) {
    bucket.pending = bucket.params.size();
    bucket.work.reset();
  }
  next_launch_ = 0;
  armed_ = true;
  error_.clear();
}

void GradientBuckets::OnGradient(size_t param, const torch::Tensor& grad) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!armed_ || seen_[param]) return;  // a backward outside a step
  seen_[param] = true;
  Bucket& bucket = buckets_[bucket_of_[param]];
  torch::NoGradGuard no_grad;
  bucket.flat.narrow(0, bucket.offsets[slot_of_[param]], grad.numel())
      .copy_(grad.reshape({-1}));
  if (--bucket.pending == 0) LaunchReadyBuckets();
}

void GradientBuckets::Launch(Bucket& bucket) {
  std::vector<at::Tensor> tensors{bucket.flat};
  try {
    bucket.work = group_.gradients()->allreduce(tensors);
  } catch (const std::exception& e) {
    if (error_.empty()) {
      error_ =
          std::string(group_.Failure("all-reduce of " + what_, e).message());
    }
  }
}

void GradientBuckets::LaunchReadyBuckets() {
  while (next_launch_ < buckets_.size() &&
         buckets_[next_launch_].pending == 0) {
    Launch(buckets_[next_launch_++]);
  }
}

absl::Status GradientBuckets::Finish() {
  std::lock_guard<std::mutex> lock(mutex_);
  armed_ = false;
  torch::NoGradGuard no_grad;
  // Parameters without a gradient this step contribute zeros.
  for (size_t k = 0; k < params_.size(); ++k) {
    if (seen_[k]) continue;
    Bucket& bucket = buckets_[bucket_of_[k]];
    bucket.flat.narrow(0, bucket.offsets[slot_of_[k]], params_[k].numel())
        .zero_();
    bucket.pending = 0;
  }
  LaunchReadyBuckets();
  if (!error_.empty()) return absl::UnavailableError(error_);
  const auto start = std::chrono::steady_clock::now();
  for (Bucket& bucket : buckets_) {
    try {
      bucket.work->wait();
    } catch (const std::exception& e) {
      return group_.Failure("all-reduce of " + what_, e);
    }
  }
  ++wait_stats_.steps;
  wait_stats_.wait_seconds +=
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  const double scale = 1.0 / group_.world_size();
  for (Bucket& bucket : buckets_) {
    bucket.flat.mul_(scale);
    for (size_t s = 0; s < bucket.params.size(); ++s) {
      torch::Tensor& p = params_[bucket.params[s]];
      const torch::Tensor average =
          bucket.flat.narrow(0, bucket.offsets[s], p.numel()).view(p.sizes());
      if (p.grad().defined()) {
        p.mutable_grad().copy_(average);
      } else {
        p.mutable_grad() = average.clone(at::MemoryFormat::Preserve);
      }
    }
  }
  return absl::OkStatus();
}

int64_t GradientBuckets::bytes_per_step() const {
  int64_t bytes = 0;
  for (const Bucket& bucket : buckets_) {
    bytes += bucket.flat.numel() * bucket.flat.element_size();
  }
  return bytes;
}

GradientBuckets::WaitStats GradientBuckets::TakeWaitStats() {
  std::lock_guard<std::mutex> lock(mutex_);
  const WaitStats stats = wait_stats_;
  wait_stats_ = WaitStats();
  return stats;
}

}  // namespace kd
