// DataLoader: shuffles a Dataset per epoch from a seed, decodes and augments
// examples on worker threads ahead of the trainer, and assembles batches of
// tensors. Optionally each example yields a second, independently augmented
// view for the teacher (the reference EGA setup: 32x32 student view, 224x224
// bicubic teacher view).
#ifndef KD_DATA_LOADER_H_
#define KD_DATA_LOADER_H_

#include <torch/types.h>

#include <cstdint>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "kd/data/dataset.h"
#include "kd/data/transforms.h"

namespace kd {

struct Batch {
  torch::Tensor images;          // [B, C, H, W] float, student view
  torch::Tensor teacher_images;  // [B, C, H', W'] float, or undefined
  torch::Tensor labels;          // [B] int64
  torch::Tensor indices;         // [B] int64 data-set indices
};

struct LoaderOptions {
  int64_t batch_size = 64;
  bool shuffle = true;
  bool drop_last = false;
  // Threads decoding and augmenting batches ahead of the trainer; 0 builds
  // each batch in Next() on the caller's thread.
  int num_workers = 2;
  // Batches built ahead of the one Next() returns (0: 2 * num_workers).
  int prefetch_batches = 0;
  uint64_t seed = 0;
  // Data-parallel sharding: this process sees every world_size-th example of
  // the shuffled order, starting at rank. As PyTorch's DistributedSampler,
  // the order is first padded by wrapping around to a multiple of
  // world_size, so that every rank gets the same number of batches.
  int rank = 0;
  int world_size = 1;
  // false: no padding, rank r sees the positions r, r + world_size, ... of
  // the order that exist, so the ranks' shards differ by at most one example
  // and together hold every example exactly once (sharded evaluation).
  bool pad_shards = true;
  // Batches in pinned (page-locked) host memory, for non-blocking copies to
  // a CUDA device. Needs a libtorch with CUDA.
  bool pin_memory = false;
  ViewTransform student_view;
  std::optional<ViewTransform> teacher_view;
};

// One consumer thread calls StartEpoch/Next; the loader's own workers are
// internal. The data set's Get() is called from the workers concurrently.
class DataLoader {
 public:
  static absl::StatusOr<std::unique_ptr<DataLoader>> Create(
      std::shared_ptr<const Dataset> dataset, LoaderOptions options);
  // Joins the worker threads, also in the middle of an epoch.
  virtual ~DataLoader() = default;

  // Starts epoch `epoch`: the order depends only on (seed, epoch), and so do
  // the augmentations, whatever the number of workers. (Each example's
  // augmentation generator is seeded from (seed, epoch, dataset index); the
  // teacher view draws after the student view from the same generator.)
  // Abandons what is left of the current epoch. Next() before the first
  // StartEpoch is FAILED_PRECONDITION.
  virtual void StartEpoch(int64_t epoch) = 0;
  // The next batch of the epoch, std::nullopt at its end, or the error of a
  // failed read/augmentation.
  virtual absl::StatusOr<std::optional<Batch>> Next() = 0;
  virtual int64_t batches_per_epoch() const = 0;
  virtual const Dataset& dataset() const = 0;
};

}  // namespace kd

#endif  // KD_DATA_LOADER_H_
