#include "kd/data/in_memory_dataset.h"

#include <algorithm>
#include <map>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "kd/data/file_io.h"

namespace kd {

InMemoryDataset::InMemoryDataset(std::string name, std::vector<Image> images,
                                 std::vector<int64_t> labels,
                                 std::vector<std::string> class_names)
    : name_(std::move(name)),
      images_(std::move(images)),
      labels_(std::move(labels)),
      class_names_(std::move(class_names)) {
  CHECK(labels_.empty() || labels_.size() == images_.size())
      << name_ << ": " << labels_.size() << " labels for " << images_.size()
      << " images";
}

absl::StatusOr<Example> InMemoryDataset::Get(int64_t index) const {
  if (index < 0 || index >= size()) {
    return absl::OutOfRangeError(absl::StrCat(
        name_, ": example ", index, " is out of range [0, ", size(), ")"));
  }
  Example example;
  example.image = images_[index];
  example.label = label(index);
  return example;
}

OptionSchema WithSubsetOptions(OptionSchema schema) {
  schema.push_back({"limit", OptionType::kInt, "0",
                    "keep only the first N examples of the split (0: all)"});
  schema.push_back({"per_class", OptionType::kInt, "0",
                    "keep only the first N examples of each class (0: all)"});
  return schema;
}

absl::StatusOr<SubsetSpec> SubsetSpec::FromOptions(const Options& options,
                                                   const std::string& dataset) {
  SubsetSpec spec;
  spec.limit = options.GetInt("limit");
  spec.per_class = options.GetInt("per_class");
  if (spec.limit < 0 || spec.per_class < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        dataset, ": limit and per_class must be >= 0, got limit=", spec.limit,
        ", per_class=", spec.per_class));
  }
  return spec;
}

int64_t SubsetSpec::ReadBound(int64_t total) const {
  if (limit > 0 && per_class == 0) return std::min(limit, total);
  return total;
}

absl::StatusOr<std::vector<int64_t>> SelectSubset(
    const SubsetSpec& spec, const std::vector<int64_t>& labels,
    const std::string& dataset) {
  std::vector<int64_t> keep;
  std::map<int64_t, int64_t> taken_per_class;
  for (int64_t i = 0; i < static_cast<int64_t>(labels.size()); ++i) {
    if (spec.limit > 0 && static_cast<int64_t>(keep.size()) >= spec.limit) {
      break;
    }
    if (spec.per_class > 0) {
      if (labels[i] < 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(dataset, ": per_class=", spec.per_class,
                         " needs labels, but example ", i, " is unlabelled"));
      }
      if (taken_per_class[labels[i]]++ >= spec.per_class) continue;
    }
    keep.push_back(i);
  }
  return keep;
}

absl::StatusOr<std::vector<int64_t>> KeptIndices(
    const SubsetSpec& spec, const std::vector<int64_t>& labels, int64_t count,
    const std::string& dataset) {
  if (spec.empty()) {
    std::vector<int64_t> all(count);
    for (int64_t i = 0; i < count; ++i) all[i] = i;
    return all;
  }
  if (labels.empty()) {
    return SelectSubset(spec, std::vector<int64_t>(count, -1), dataset);
  }
  return SelectSubset(spec, labels, dataset);
}

absl::Status ApplySubset(const SubsetSpec& spec, const std::string& dataset,
                         std::vector<Image>* images,
                         std::vector<int64_t>* labels) {
  if (spec.empty()) return absl::OkStatus();
  absl::StatusOr<std::vector<int64_t>> keep =
      KeptIndices(spec, *labels, images->size(), dataset);
  if (!keep.ok()) return keep.status();
  *images = Gather(std::move(*images), *keep);
  *labels = Gather(std::move(*labels), *keep);
  return absl::OkStatus();
}

absl::Status CheckLabels(const std::vector<int64_t>& labels,
                         int64_t num_classes, const std::string& source) {
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= num_classes) {
      return absl::DataLossError(
          absl::StrCat(source, ": example ", i, " has label ", labels[i],
                       ", expected a label in [0, ", num_classes, ")"));
    }
  }
  return absl::OkStatus();
}

std::vector<std::string> NumberedClassNames(int64_t num_classes) {
  std::vector<std::string> names;
  for (int64_t i = 0; i < num_classes; ++i) {
    names.push_back(absl::StrCat("class_", i));
  }
  return names;
}

absl::StatusOr<std::vector<std::string>> ClassNamesFromFileOr(
    const std::string& path, int64_t num_classes,
    std::vector<std::string> fallback) {
  if (!data_internal::PathExists(path)) return fallback;
  absl::StatusOr<std::vector<std::string>> names =
      data_internal::ReadLines(path);
  if (!names.ok()) return names.status();
  if (static_cast<int64_t>(names->size()) != num_classes) {
    return absl::DataLossError(
        absl::StrCat("'", path, "' lists ", names->size(),
                     " class names, expected ", num_classes));
  }
  return names;
}

}  // namespace kd
