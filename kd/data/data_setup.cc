#include "kd/data/data_setup.h"

#include <algorithm>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "kd/status_macros.h"

namespace kd {

SubsetDataset::SubsetDataset(std::shared_ptr<const Dataset> base,
                             std::vector<int64_t> indices,
                             std::vector<int64_t> label_map,
                             std::vector<std::string> class_names)
    : base_(std::move(base)),
      indices_(std::move(indices)),
      label_map_(std::move(label_map)),
      class_names_(std::move(class_names)) {}

int64_t SubsetDataset::size() const {
  return static_cast<int64_t>(indices_.size());
}

absl::StatusOr<Example> SubsetDataset::Get(int64_t index) const {
  if (index < 0 || index >= size()) {
    return absl::OutOfRangeError(
        absl::StrCat("subset index ", index, " outside [0, ", size(), ")"));
  }
  KD_ASSIGN_OR_RETURN(Example example, base_->Get(indices_[index]));
  if (!label_map_.empty() && example.label >= 0) {
    example.label = label_map_[example.label];
  }
  return example;
}

int64_t SubsetDataset::num_classes() const {
  return class_names_.empty() ? base_->num_classes()
                              : static_cast<int64_t>(class_names_.size());
}

std::vector<std::string> SubsetDataset::class_names() const {
  return class_names_.empty() ? base_->class_names() : class_names_;
}

absl::StatusOr<std::vector<int64_t>> DatasetLabels(const Dataset& dataset) {
  std::vector<int64_t> labels(dataset.size());
  for (int64_t i = 0; i < dataset.size(); ++i) {
    KD_ASSIGN_OR_RETURN(Example example, dataset.Get(i));
    labels[i] = example.label;
  }
  return labels;
}

absl::StatusOr<std::shared_ptr<const Dataset>> OpenDataset(
    const DataSelection& selection) {
  DatasetConfig config;
  config.data_dir = selection.data_dir;
  config.split = selection.split;
  KD_ASSIGN_OR_RETURN(std::unique_ptr<Dataset> opened,
                      Dataset::Registry::Global().Create(
                          absl::string_view(selection.dataset), config));
  std::shared_ptr<const Dataset> dataset(std::move(opened));
  if (dataset->size() == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("data set ", selection.dataset, " split '",
                     selection.split, "' is empty"));
  }
  if (selection.classes.empty() && selection.subset <= 0) return dataset;

  KD_ASSIGN_OR_RETURN(std::vector<int64_t> labels, DatasetLabels(*dataset));
  const int64_t num_classes = dataset->num_classes();
  // Class subset: old label -> new label.
  std::vector<int64_t> label_map;
  std::vector<std::string> names;
  if (!selection.classes.empty()) {
    label_map.assign(num_classes, -1);
    const std::vector<std::string> all_names = dataset->class_names();
    for (const std::string& wanted : selection.classes) {
      int64_t c = -1;
      if (!absl::SimpleAtoi(wanted, &c)) {
        c = -1;  // SimpleAtoi leaves 0 behind: not class 0
        auto it = std::find(all_names.begin(), all_names.end(), wanted);
        if (it != all_names.end()) c = it - all_names.begin();
      }
      if (c < 0 || c >= num_classes) {
        return absl::InvalidArgumentError(absl::StrCat(
            "--classes: '", wanted, "' is not a class of ", selection.dataset,
            " (expected an index in [0, ", num_classes,
            ") or one of: ", absl::StrJoin(all_names, ", "), ")"));
      }
      if (label_map[c] >= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("--classes: class '", wanted, "' given twice"));
      }
      label_map[c] = static_cast<int64_t>(names.size());
      names.push_back(c < static_cast<int64_t>(all_names.size())
                          ? all_names[c]
                          : absl::StrCat(c));
    }
  }
  const int64_t kept_classes =
      label_map.empty() ? num_classes : static_cast<int64_t>(names.size());
  const int64_t per_class =
      selection.subset > 0
          ? (selection.subset + kept_classes - 1) / kept_classes
          : INT64_MAX;
  std::map<int64_t, int64_t> taken;
  std::vector<int64_t> indices;
  for (int64_t i = 0; i < static_cast<int64_t>(labels.size()); ++i) {
    const int64_t label = labels[i];
    if (!label_map.empty() && (label < 0 || label_map[label] < 0)) continue;
    if (taken[label] >= per_class) continue;
    if (selection.subset > 0 &&
        static_cast<int64_t>(indices.size()) >= selection.subset) {
      break;
    }
    ++taken[label];
    indices.push_back(i);
  }
  if (indices.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("no examples of the selected classes in ",
                     selection.dataset, " '", selection.split, "'"));
  }
  return std::shared_ptr<const Dataset>(std::make_shared<SubsetDataset>(
      dataset, std::move(indices), std::move(label_map), std::move(names)));
}

int ResolvedInputSize(int image_side, int input_size) {
  if (input_size > 0) return input_size;
  return std::max(image_side, 32);
}

absl::StatusOr<ViewTransform> MakeView(int image_side, int input_size,
                                       bool augment,
                                       const std::string& normalize) {
  ViewTransform view;
  view.output_channels = 3;
  const int side = ResolvedInputSize(image_side, input_size);
  const int pad = std::max(1, side / 8);  // 4 px at 32, as in the reference
  if (image_side <= side) {
    if (image_side < side) view.pad_to = side;
    if (augment) {
      view.crop_size = side;
      view.crop_padding = pad;
    }
  } else {
    if (augment) {
      view.crop_size = image_side;
      view.crop_padding = std::max(1, image_side / 8);
    }
    view.resize_to = side;
    view.resize_mode = ResizeMode::kBilinear;
  }
  view.horizontal_flip = augment;
  KD_ASSIGN_OR_RETURN(view.normalization, Normalization::FromName(normalize));
  return view;
}

absl::StatusOr<int> ImageSide(const Dataset& dataset) {
  KD_ASSIGN_OR_RETURN(Example first, dataset.Get(0));
  if (first.image.height != first.image.width) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected square images, found ", first.image.height, "x",
                     first.image.width));
  }
  return first.image.height;
}

}  // namespace kd
