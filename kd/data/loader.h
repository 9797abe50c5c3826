// DataLoader: shuffles a Dataset per epoch from a seed, decodes and augments
// examples on worker threads ahead of the trainer, and assembles batches of
// tensors. Optionally each example yields a second, independently augmented
// view for the teacher (the reference EGA setup: 32x32 student view, 224x224
// bicubic teacher view).
#ifndef KD_DATA_LOADER_H_
#define KD_DATA_LOADER_H_

#include <cstdint>
#include <memory>
#include <optional>

#include <torch/types.h>

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
  int num_workers = 2;
  uint64_t seed = 0;
  // Data-parallel sharding: this process sees every world_size-th example of
  // the shuffled order, starting at rank.
  int rank = 0;
  int world_size = 1;
  ViewTransform student_view;
  std::optional<ViewTransform> teacher_view;
};

class DataLoader {
 public:
  static absl::StatusOr<std::unique_ptr<DataLoader>> Create(
      std::shared_ptr<const Dataset> dataset, LoaderOptions options);
  virtual ~DataLoader() = default;

  // Starts epoch `epoch`: the order depends only on (seed, epoch), and so do
  // the augmentations, whatever the number of workers.
  virtual void StartEpoch(int64_t epoch) = 0;
  // The next batch of the epoch, std::nullopt at its end, or the error of a
  // failed read/augmentation.
  virtual absl::StatusOr<std::optional<Batch>> Next() = 0;
  virtual int64_t batches_per_epoch() const = 0;
  virtual const Dataset& dataset() const = 0;
};

}  // namespace kd

#endif  // KD_DATA_LOADER_H_
