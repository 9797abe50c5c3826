#include "kd/data/loader.h"

#include <ATen/ATen.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <numeric>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "kd/status_macros.h"

namespace kd {
namespace {

// SplitMix64's finaliser (Steele, Lea, Flood 2014): a bijective 64-bit mixer.
uint64_t Mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Distinct streams for the epoch order and the per-example augmentations.
constexpr uint64_t kOrderStream = 0x6f72646572ull;        // "order"
constexpr uint64_t kAugmentStream = 0x6175676d656e74ull;  // "augment"

uint64_t StreamSeed(uint64_t seed, uint64_t stream, uint64_t epoch,
                    uint64_t index) {
  return Mix(Mix(Mix(Mix(seed) ^ stream) ^ epoch) ^ index);
}

// Output geometry of one view: [channels, side, side].
struct ViewShape {
  int channels = 0;
  int side = 0;
  int64_t numel() const { return int64_t{channels} * side * side; }
};

class ThreadedDataLoader : public DataLoader {
 public:
  ThreadedDataLoader(std::shared_ptr<const Dataset> dataset,
                     LoaderOptions options, ViewShape student,
                     ViewShape teacher, int64_t per_rank)
      : dataset_(std::move(dataset)),
        options_(std::move(options)),
        student_shape_(student),
        teacher_shape_(teacher),
        per_rank_(per_rank) {
    batches_ = options_.drop_last ? per_rank_ / options_.batch_size
                                  : (per_rank_ + options_.batch_size - 1) /
                                        options_.batch_size;
    prefetch_ = options_.prefetch_batches > 0 ? options_.prefetch_batches
                                              : 2 * options_.num_workers;
  }

  ~ThreadedDataLoader() override { StopWorkers(); }

  void StartEpoch(int64_t epoch) override {
    StopWorkers();
    epoch_ = epoch;
    indices_ = EpochIndices(epoch);
    started_ = true;
    next_to_return_ = 0;
    next_to_build_ = 0;
    results_.clear();
    error_ = absl::OkStatus();
    stop_ = false;
    for (int w = 0; w < options_.num_workers; ++w) {
      workers_.emplace_back([this] { WorkerLoop(); });
    }
  }

  absl::StatusOr<std::optional<Batch>> Next() override {
    if (!started_) {
      return absl::FailedPreconditionError(
          "DataLoader::Next called before StartEpoch");
    }
    if (!error_.ok()) return error_;
    if (next_to_return_ >= batches_) return std::optional<Batch>();
    absl::StatusOr<Batch> batch;
    if (options_.num_workers == 0) {
      batch = BuildBatch(next_to_return_);
    } else {
      std::unique_lock<std::mutex> lock(mutex_);
      ready_.wait(lock, [&] { return results_.count(next_to_return_) > 0; });
      auto it = results_.find(next_to_return_);
      batch = std::move(it->second);
      results_.erase(it);
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ++next_to_return_;
    }
    space_.notify_all();
    if (!batch.ok()) {
      error_ = batch.status();
      StopWorkers();
      return error_;
    }
    return std::optional<Batch>(*std::move(batch));
  }

  int64_t batches_per_epoch() const override { return batches_; }
  const Dataset& dataset() const override { return *dataset_; }

 private:
  // The dataset indices this rank visits in `epoch`, in order.
  std::vector<int64_t> EpochIndices(int64_t epoch) const {
    const int64_t n = dataset_->size();
    std::vector<int64_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    if (options_.shuffle) {
      std::mt19937_64 rng(StreamSeed(options_.seed, kOrderStream, epoch, 0));
      for (int64_t i = n - 1; i > 0; --i) {  // Fisher-Yates
        std::swap(order[i], order[UniformIndex(rng, i + 1)]);
      }
    }
    std::vector<int64_t> mine;
    mine.reserve(per_rank_);
    for (int64_t k = 0; k < per_rank_; ++k) {
      // Position in the padded order; padding wraps around to the start.
      const int64_t position = options_.rank + k * options_.world_size;
      mine.push_back(order[position % n]);
    }
    return mine;
  }

  absl::StatusOr<Batch> BuildBatch(int64_t batch_index) const {
    const int64_t begin = batch_index * options_.batch_size;
    const int64_t end =
        std::min<int64_t>(begin + options_.batch_size, indices_.size());
    const int64_t count = end - begin;
    const auto long_options =
        at::TensorOptions().dtype(at::kLong).pinned_memory(options_.pin_memory);
    Batch batch;
    batch.images = ImagesTensor(count, student_shape_);
    if (options_.teacher_view) {
      batch.teacher_images = ImagesTensor(count, teacher_shape_);
    }
    batch.labels = at::empty({count}, long_options);
    batch.indices = at::empty({count}, long_options);
    float* student = batch.images.data_ptr<float>();
    float* teacher = options_.teacher_view
                         ? batch.teacher_images.data_ptr<float>()
                         : nullptr;
    int64_t* labels = batch.labels.data_ptr<int64_t>();
    int64_t* indices = batch.indices.data_ptr<int64_t>();
    for (int64_t i = 0; i < count; ++i) {
      if (stop_) return absl::CancelledError("loader stopped");
      const int64_t index = indices_[begin + i];
      absl::StatusOr<Example> example = dataset_->Get(index);
      if (!example.ok()) {
        return WithPrefix(absl::StrCat("loader: reading example ", index, ": "),
                          example.status());
      }
      std::mt19937_64 rng(
          StreamSeed(options_.seed, kAugmentStream, epoch_, index));
      KD_RETURN_IF_ERROR(ApplyView(options_.student_view, student_shape_,
                                   example->image, index, rng,
                                   student + i * student_shape_.numel()));
      if (options_.teacher_view) {
        KD_RETURN_IF_ERROR(ApplyView(*options_.teacher_view, teacher_shape_,
                                     example->image, index, rng,
                                     teacher + i * teacher_shape_.numel()));
      }
      labels[i] = example->label;
      indices[i] = index;
    }
    return batch;
  }

  // A [count, C, side, side] float tensor for a batch of images. Full
  // batches reuse a pooled tensor nobody else references any more (neither
  // the tensor nor its storage: no views, no autograd saves): a 64x3x224x224
  // teacher batch is 38 MB, and a fresh one costs more in page faults than
  // its augmentation.
  at::Tensor ImagesTensor(int64_t count, const ViewShape& shape) const {
    const std::vector<int64_t> sizes = {count, shape.channels, shape.side,
                                        shape.side};
    // Pinned buffers are never pooled: the non-blocking copy of one may
    // still be running when the consumer drops the batch, and libtorch's
    // pinned-memory allocator keeps a freed block until its copies finish.
    const bool full = count == options_.batch_size && !options_.pin_memory;
    if (full) {
      std::lock_guard<std::mutex> lock(pool_mutex_);
      for (const at::Tensor& pooled : pool_) {
        if (pooled.sizes() == at::IntArrayRef(sizes) &&
            pooled.use_count() == 1 && pooled.storage().use_count() == 1) {
          return pooled;  // the copy makes use_count 2: taken
        }
      }
    }
    at::Tensor fresh =
        at::empty(sizes, at::TensorOptions()
                             .dtype(at::kFloat)
                             .pinned_memory(options_.pin_memory));
    if (full) {
      std::lock_guard<std::mutex> lock(pool_mutex_);
      // Enough for every batch in flight (prefetched, being built, held by
      // the consumer) of both views.
      if (static_cast<int>(pool_.size()) <
          2 * (prefetch_ + options_.num_workers + 2)) {
        pool_.push_back(fresh);
      }
    }
    return fresh;
  }

  // Applies one view, checking it has the batch's geometry.
  static absl::Status ApplyView(const ViewTransform& view,
                                const ViewShape& shape, const Image& image,
                                int64_t index, std::mt19937_64& rng,
                                float* out) {
    const int side =
        view.OutputSide(image.height == image.width ? image.height : -1);
    if (side != shape.side) {
      return absl::InvalidArgumentError(absl::StrCat(
          "loader: example ", index, " is ", image.height, "x", image.width,
          ", its view would not be ", shape.side, "x", shape.side,
          " like the rest of the batch; set crop_size or resize_to"));
    }
    absl::Status status = ApplyTransform(view, image, rng, out);
    if (!status.ok()) {
      return WithPrefix(absl::StrCat("loader: example ", index, ": "), status);
    }
    return absl::OkStatus();
  }

  void WorkerLoop() {
    while (true) {
      int64_t batch_index;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        space_.wait(lock, [&] {
          return stop_ || (next_to_build_ < batches_ &&
                           next_to_build_ < next_to_return_ + prefetch_);
        });
        if (stop_) return;
        batch_index = next_to_build_++;
      }
      absl::StatusOr<Batch> batch = BuildBatch(batch_index);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stop_) return;
        results_.emplace(batch_index, std::move(batch));
      }
      ready_.notify_all();
    }
  }

  void StopWorkers() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    space_.notify_all();
    for (std::thread& worker : workers_) worker.join();
    workers_.clear();
  }

  const std::shared_ptr<const Dataset> dataset_;
  const LoaderOptions options_;
  const ViewShape student_shape_;
  const ViewShape teacher_shape_;
  const int64_t per_rank_;  // examples this rank sees per epoch
  int64_t batches_ = 0;
  int prefetch_ = 0;

  // Set by StartEpoch while no worker runs; read-only for the workers.
  bool started_ = false;
  int64_t epoch_ = 0;
  std::vector<int64_t> indices_;

  std::mutex mutex_;
  std::condition_variable space_;  // a worker may claim another batch
  std::condition_variable ready_;  // a batch was finished
  std::atomic<bool> stop_{false};
  int64_t next_to_build_ = 0;   // guarded by mutex_
  int64_t next_to_return_ = 0;  // guarded by mutex_ (written by Next)
  std::map<int64_t, absl::StatusOr<Batch>> results_;  // guarded by mutex_
  absl::Status error_;  // sticky error of this epoch (consumer thread only)
  std::vector<std::thread> workers_;

  mutable std::mutex pool_mutex_;
  mutable std::vector<at::Tensor> pool_;  // see ImagesTensor
};

absl::StatusOr<ViewShape> CheckView(const ViewTransform& view,
                                    const Image& first, const char* which) {
  // Runs the view once on example 0: bad geometry is reported at Create.
  std::mt19937_64 rng(0);
  const int side =
      view.OutputSide(first.height == first.width ? first.height : -1);
  if (side <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "loader: the ", which, " view of the ", first.height, "x", first.width,
        " example 0 is not square; set crop_size or resize_to"));
  }
  std::vector<float> out(static_cast<size_t>(view.output_channels) * side *
                         side);
  absl::Status status = ApplyTransform(view, first, rng, out.data());
  if (!status.ok()) {
    return WithPrefix(absl::StrCat("loader: ", which, " view: "), status);
  }
  return ViewShape{view.output_channels, side};
}

}  // namespace

absl::StatusOr<std::unique_ptr<DataLoader>> DataLoader::Create(
    std::shared_ptr<const Dataset> dataset, LoaderOptions options) {
  if (dataset == nullptr) {
    return absl::InvalidArgumentError("DataLoader::Create: no data set");
  }
  if (dataset->size() == 0) {
    return absl::InvalidArgumentError(
        "DataLoader::Create: the data set is empty");
  }
  if (options.batch_size <= 0 || options.num_workers < 0 ||
      options.prefetch_batches < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "DataLoader::Create: batch_size (", options.batch_size,
        ") must be > 0, num_workers (", options.num_workers,
        ") and prefetch_batches (", options.prefetch_batches, ") >= 0"));
  }
  if (options.world_size < 1 || options.rank < 0 ||
      options.rank >= options.world_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "DataLoader::Create: rank ", options.rank, " of world_size ",
        options.world_size, "; expected 0 <= rank < world_size"));
  }
  KD_ASSIGN_OR_RETURN(Example first, dataset->Get(0));
  KD_ASSIGN_OR_RETURN(ViewShape student,
                      CheckView(options.student_view, first.image, "student"));
  ViewShape teacher;
  if (options.teacher_view) {
    KD_ASSIGN_OR_RETURN(
        teacher, CheckView(*options.teacher_view, first.image, "teacher"));
  }
  const int64_t per_rank =
      options.pad_shards
          ? (dataset->size() + options.world_size - 1) / options.world_size
          : (dataset->size() - options.rank + options.world_size - 1) /
                options.world_size;
  if (options.drop_last && per_rank < options.batch_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "DataLoader::Create: drop_last with batch_size ", options.batch_size,
        " leaves no batch: this rank sees only ", per_rank, " examples"));
  }
  return std::unique_ptr<DataLoader>(new ThreadedDataLoader(
      std::move(dataset), std::move(options), student, teacher, per_rank));
}

}  // namespace kd
