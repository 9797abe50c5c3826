// InMemoryDataset: a Dataset of decoded 8-bit HWC images and labels held in
// memory (the IDX readers; the image readers with preload=true) -- plus the
// subset options every reader accepts ("limit" = first N examples,
// "per_class" = first N of each class) for quick runs, and the helpers that
// apply them (KeptIndices, Gather).
#ifndef KD_DATA_IN_MEMORY_DATASET_H_
#define KD_DATA_IN_MEMORY_DATASET_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "kd/data/dataset.h"
#include "kd/options.h"

namespace kd {

// Read-only after construction, so Get() may be called from many threads.
class InMemoryDataset : public Dataset {
 public:
  // `labels` is empty or has one entry per image; -1 marks an unlabelled
  // example. `name` ("cifar10 train") is used in error messages.
  InMemoryDataset(std::string name, std::vector<Image> images,
                  std::vector<int64_t> labels,
                  std::vector<std::string> class_names);

  int64_t size() const override { return static_cast<int64_t>(images_.size()); }
  absl::StatusOr<Example> Get(int64_t index) const override;
  int64_t num_classes() const override {
    return static_cast<int64_t>(class_names_.size());
  }
  std::vector<std::string> class_names() const override { return class_names_; }

  const std::string& name() const { return name_; }
  // Direct access without copying (the image at `index`, which must be in
  // range).
  const Image& image(int64_t index) const { return images_[index]; }
  int64_t label(int64_t index) const {
    return labels_.empty() ? -1 : labels_[index];
  }

 private:
  std::string name_;
  std::vector<Image> images_;
  std::vector<int64_t> labels_;
  std::vector<std::string> class_names_;
};

// The "limit" and "per_class" options, appended to a reader's own schema.
OptionSchema WithSubsetOptions(OptionSchema schema);

// Which examples to keep, chosen from the "limit"/"per_class" options.
struct SubsetSpec {
  int64_t limit = 0;      // keep the first `limit` examples; 0: all
  int64_t per_class = 0;  // keep the first `per_class` of each class; 0: all

  static absl::StatusOr<SubsetSpec> FromOptions(const Options& options,
                                                const std::string& dataset);
  bool empty() const { return limit == 0 && per_class == 0; }
  // Index of the first example a fixed-record reader can skip reading:
  // `limit` when only a limit is set, else `total`.
  int64_t ReadBound(int64_t total) const;
};

// Positions (into `labels`, in order) of the examples `spec` keeps.
// per_class on unlabelled data (-1 labels) is INVALID_ARGUMENT.
absl::StatusOr<std::vector<int64_t>> SelectSubset(
    const SubsetSpec& spec, const std::vector<int64_t>& labels,
    const std::string& dataset);

// Positions in [0, count) of the examples `spec` keeps, in order: all of
// them when `spec` is empty. `labels` is empty (all unlabelled) or has
// `count` entries.
absl::StatusOr<std::vector<int64_t>> KeptIndices(
    const SubsetSpec& spec, const std::vector<int64_t>& labels, int64_t count,
    const std::string& dataset);

// values[keep[0]], values[keep[1]], ... (moved out of `values`); an empty
// `values` stays empty (e.g. the labels of an unlabelled split).
template <typename T>
std::vector<T> Gather(std::vector<T> values, const std::vector<int64_t>& keep) {
  if (values.empty()) return values;
  std::vector<T> kept;
  kept.reserve(keep.size());
  for (int64_t i : keep) kept.push_back(std::move(values[i]));
  return kept;
}

// Applies `spec` to parallel vectors of images and labels (labels may be
// empty: all unlabelled).
absl::Status ApplySubset(const SubsetSpec& spec, const std::string& dataset,
                         std::vector<Image>* images,
                         std::vector<int64_t>* labels);

// Checks every label is in [0, num_classes): the error names `source`, the
// example and the label found.
absl::Status CheckLabels(const std::vector<int64_t>& labels,
                         int64_t num_classes, const std::string& source);

// "class_0", "class_1", ...
std::vector<std::string> NumberedClassNames(int64_t num_classes);

// Class names from a text file with one name per line when it exists and has
// exactly `num_classes` lines; `fallback` when the file is absent. A file with
// the wrong number of names is an error.
absl::StatusOr<std::vector<std::string>> ClassNamesFromFileOr(
    const std::string& path, int64_t num_classes,
    std::vector<std::string> fallback);

}  // namespace kd

#endif  // KD_DATA_IN_MEMORY_DATASET_H_
