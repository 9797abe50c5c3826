// MappedRecordDataset: the Dataset of the fixed-record binary readers (CIFAR,
// STL-10). The files stay memory-mapped (MappedFile) and each example is a
// pointer to its record's pixels plus a label; Get() decodes that one record
// into a fresh Image, so the process holds no decoded copy of the split and
// touches only the pages of the records it reads (with the loader's
// rank/world_size, only its shard).
#ifndef KD_DATA_MAPPED_RECORD_DATASET_H_
#define KD_DATA_MAPPED_RECORD_DATASET_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kd/data/dataset.h"
#include "kd/data/mapped_file.h"

namespace kd {

// Read-only after construction, so Get() may be called from many threads.
class MappedRecordDataset : public Dataset {
 public:
  // Decodes one record's pixel bytes (e.g. data_internal::DecodeCifarImage).
  using DecodeFn = void (*)(const uint8_t* record, Image* image);

  // `records[i]` points into one of `files` at example i's pixel bytes;
  // `labels` is empty (all unlabelled) or has one entry per record. `name`
  // ("cifar10 train") is used in error messages.
  MappedRecordDataset(
      std::string name,
      std::vector<std::unique_ptr<data_internal::MappedFile>> files,
      std::vector<const uint8_t*> records, std::vector<int64_t> labels,
      std::vector<std::string> class_names, DecodeFn decode);

  int64_t size() const override {
    return static_cast<int64_t>(records_.size());
  }
  absl::StatusOr<Example> Get(int64_t index) const override;
  int64_t num_classes() const override {
    return static_cast<int64_t>(class_names_.size());
  }
  std::vector<std::string> class_names() const override { return class_names_; }

  const std::string& name() const { return name_; }
  // The label of example `index` (in range), -1 if unlabelled.
  int64_t label(int64_t index) const {
    return labels_.empty() ? -1 : labels_[index];
  }

 private:
  const std::string name_;
  const std::vector<std::unique_ptr<data_internal::MappedFile>> files_;
  const std::vector<const uint8_t*> records_;
  const std::vector<int64_t> labels_;
  const std::vector<std::string> class_names_;
  const DecodeFn decode_;
};

}  // namespace kd

#endif  // KD_DATA_MAPPED_RECORD_DATASET_H_
