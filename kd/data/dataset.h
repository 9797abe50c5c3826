// Dataset: a readable split of an image data set (CIFAR-10/100, STL-10,
// TinyImageNet, (Fashion-)MNIST, image folders), as a plugin. Get() may
// decode on demand (memory-mapped records, image files read lazily), so it
// may fail on a bad file found late; implementations are thread-safe.
// Deliberately torch-free: readers and augmentation work on plain 8-bit
// images; the loader turns batches into tensors.
#ifndef KD_DATA_DATASET_H_
#define KD_DATA_DATASET_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kd/registry.h"

namespace kd {

// An 8-bit image, rows of interleaved channels (HWC), as stored on disk after
// decoding. 1 channel (grey) or 3 (RGB).
struct Image {
  int height = 0;
  int width = 0;
  int channels = 0;
  std::vector<uint8_t> pixels;  // height * width * channels bytes
};

struct Example {
  Image image;
  int64_t label = -1;  // -1 for unlabelled data (STL-10's unlabeled split)
};

// Where a data set lives and which split to read.
struct DatasetConfig {
  std::string data_dir;  // empty: the reader's default location, if it has one
  std::string split = "train";  // "train", "test"; readers may add more
};

class Dataset {
 public:
  static constexpr char kPluginKind[] = "dataset";
  using Registry = ::kd::Registry<Dataset, const DatasetConfig&>;

  virtual ~Dataset() = default;

  virtual int64_t size() const = 0;
  // Example `index` in [0, size()); out of range is OUT_OF_RANGE. Called from
  // the loader's worker threads concurrently. A file that cannot be read or
  // decoded is an error whose message names it (docs/data.md, "bad files").
  virtual absl::StatusOr<Example> Get(int64_t index) const = 0;
  virtual int64_t num_classes() const = 0;
  // Human-readable class names (size num_classes()), or numbered names.
  virtual std::vector<std::string> class_names() const = 0;
};

}  // namespace kd

#endif  // KD_DATA_DATASET_H_
