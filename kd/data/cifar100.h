// The "cifar100" data set: the official binary version (cifar-100-binary:
// train.bin, test.bin, fine_label_names.txt, coarse_label_names.txt).
// Example::label is the fine label (100 classes) by default, or the coarse
// one (20 superclasses) with the option labels=coarse; both stay available.
// The file is memory-mapped; Get() decodes one record (MappedRecordDataset).
#ifndef KD_DATA_CIFAR100_H_
#define KD_DATA_CIFAR100_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kd/data/mapped_file.h"
#include "kd/data/mapped_record_dataset.h"

namespace kd {

class Cifar100Dataset : public MappedRecordDataset {
 public:
  // `records[i]` points at example i's pixel bytes inside `file`.
  Cifar100Dataset(std::string name,
                  std::unique_ptr<data_internal::MappedFile> file,
                  std::vector<const uint8_t*> records,
                  std::vector<int64_t> fine_labels,
                  std::vector<int64_t> coarse_labels, bool use_coarse,
                  std::vector<std::string> fine_names,
                  std::vector<std::string> coarse_names);

  int64_t fine_label(int64_t index) const { return fine_labels_[index]; }
  int64_t coarse_label(int64_t index) const { return coarse_labels_[index]; }
  const std::vector<std::string>& fine_class_names() const {
    return fine_names_;
  }
  const std::vector<std::string>& coarse_class_names() const {
    return coarse_names_;
  }

 private:
  std::vector<int64_t> fine_labels_;
  std::vector<int64_t> coarse_labels_;
  std::vector<std::string> fine_names_;
  std::vector<std::string> coarse_names_;
};

// The class names the official archive lists in fine_label_names.txt and
// coarse_label_names.txt, used when those files are absent.
const std::vector<std::string>& Cifar100FineNames();
const std::vector<std::string>& Cifar100CoarseNames();

}  // namespace kd

#endif  // KD_DATA_CIFAR100_H_
