#include "kd/data/mapped_record_dataset.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace kd {

MappedRecordDataset::MappedRecordDataset(
    std::string name,
    std::vector<std::unique_ptr<data_internal::MappedFile>> files,
    std::vector<const uint8_t*> records, std::vector<int64_t> labels,
    std::vector<std::string> class_names, DecodeFn decode)
    : name_(std::move(name)),
      files_(std::move(files)),
      records_(std::move(records)),
      labels_(std::move(labels)),
      class_names_(std::move(class_names)),
      decode_(decode) {
  CHECK(decode_ != nullptr) << name_ << ": no record decoder";
  CHECK(labels_.empty() || labels_.size() == records_.size())
      << name_ << ": " << labels_.size() << " labels for " << records_.size()
      << " records";
}

absl::StatusOr<Example> MappedRecordDataset::Get(int64_t index) const {
  if (index < 0 || index >= size()) {
    return absl::OutOfRangeError(absl::StrCat(
        name_, ": example ", index, " is out of range [0, ", size(), ")"));
  }
  Example example;
  decode_(records_[index], &example.image);
  example.label = label(index);
  return example;
}

}  // namespace kd
