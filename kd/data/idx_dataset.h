// Shared reader of the MNIST-family layout: <prefix>-images-idx3-ubyte and
// <prefix>-labels-idx1-ubyte (each optionally gzipped, with or without a .gz
// suffix) with prefix "train" or "t10k". Used by the mnist and fashion_mnist
// plugins. Layout: see idx_format.h.
#ifndef KD_DATA_IDX_DATASET_H_
#define KD_DATA_IDX_DATASET_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kd/data/dataset.h"
#include "kd/data/in_memory_dataset.h"

namespace kd {
namespace data_internal {

// Loads split "train" or "test" from `dir` as 1-channel images. `plugin`
// names the data set in errors; labels must be < class_names.size().
absl::StatusOr<std::unique_ptr<Dataset>> LoadIdxDataset(
    const std::string& plugin, const std::string& dir, const std::string& split,
    const SubsetSpec& subset, std::vector<std::string> class_names);

// Decodes an IDX image/label file pair given as bytes (already inflated).
// The fuzz target's entry point.
absl::Status ParseIdxPair(const std::string& images_bytes,
                          const std::string& labels_bytes, int64_t num_classes,
                          std::vector<Image>* images,
                          std::vector<int64_t>* labels);

}  // namespace data_internal
}  // namespace kd

#endif  // KD_DATA_IDX_DATASET_H_
