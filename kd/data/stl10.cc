// The "stl10" data set: the official binary version (stl10_binary). Layout:
// see stl_format.h. Splits: train (5000), test (8000), unlabeled (100000,
// Example::label -1).
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "kd/data/dataset.h"
#include "kd/data/file_io.h"
#include "kd/data/in_memory_dataset.h"
#include "kd/data/stl_format.h"
#include "kd/registry.h"

namespace kd {
namespace {

using data_internal::JoinPath;
using data_internal::kStlImageBytes;

class Stl10Reader {
 public:
  static constexpr char kDoc[] =
      "STL-10, binary version (data_dir: stl10_binary or its parent); splits "
      "train, test, unlabeled";
  static OptionSchema Schema() { return WithSubsetOptions({}); }

  static absl::StatusOr<std::unique_ptr<Dataset>> Create(
      const Options& options, const DatasetConfig& config) {
    KD_ASSIGN_OR_RETURN(SubsetSpec subset,
                        SubsetSpec::FromOptions(options, "stl10"));
    if (config.data_dir.empty()) {
      return absl::InvalidArgumentError(
          "stl10 needs data_dir: the folder with train_X.bin ... "
          "(stl10_binary) or its parent");
    }
    const std::string& split = config.split;
    if (split != "train" && split != "test" && split != "unlabeled") {
      return absl::InvalidArgumentError(absl::StrCat(
          "stl10 has no split '", split, "'; valid: train, test, unlabeled"));
    }
    std::string dir = config.data_dir;
    if (data_internal::IsDirectory(JoinPath(dir, "stl10_binary"))) {
      dir = JoinPath(dir, "stl10_binary");
    }
    const std::string images_file = JoinPath(dir, split + "_X.bin");
    // Check the whole file's size, then read only what the subset needs (the
    // unlabeled split is 2.7 GB).
    KD_ASSIGN_OR_RETURN(const uint64_t size,
                        data_internal::FileSize(images_file));
    if (size == 0 || size % kStlImageBytes != 0) {
      return absl::DataLossError(absl::StrCat(
          "'", images_file, "' has ", size,
          " bytes, expected a positive multiple of the STL-10 image size ",
          kStlImageBytes, " (3 x 96 x 96)"));
    }
    const int64_t total = size / kStlImageBytes;
    const int64_t official = split == "train"  ? 5000
                             : split == "test" ? 8000
                                               : 100000;
    LOG_IF(WARNING, total != official)
        << "stl10: '" << images_file << "' has " << total
        << " images; the official file has " << official;

    std::vector<int64_t> labels;
    if (split != "unlabeled") {
      const std::string labels_file = JoinPath(dir, split + "_y.bin");
      KD_ASSIGN_OR_RETURN(std::string label_bytes,
                          data_internal::ReadFile(labels_file));
      KD_ASSIGN_OR_RETURN(
          labels, data_internal::ParseStlLabels(label_bytes, labels_file));
      if (static_cast<int64_t>(labels.size()) != total) {
        return absl::DataLossError(absl::StrCat(
            "'", labels_file, "' has ", labels.size(), " labels but '",
            images_file, "' has ", total, " images; expected one label each"));
      }
    }
    // Which images to decode.
    std::vector<int64_t> keep;
    if (subset.empty()) {
      keep.resize(total);
      for (int64_t i = 0; i < total; ++i) keep[i] = i;
    } else {
      KD_ASSIGN_OR_RETURN(
          keep,
          SelectSubset(
              subset, labels.empty() ? std::vector<int64_t>(total, -1) : labels,
              "stl10"));
    }
    const int64_t read = keep.empty() ? 0 : keep.back() + 1;
    std::vector<Image> images;
    if (read > 0) {
      KD_ASSIGN_OR_RETURN(
          std::string bytes,
          data_internal::ReadFilePrefix(images_file, read * kStlImageBytes));
      KD_ASSIGN_OR_RETURN(std::vector<Image> all,
                          data_internal::ParseStlImages(bytes, images_file));
      for (int64_t i : keep) images.push_back(std::move(all[i]));
    }
    std::vector<int64_t> kept_labels;
    for (int64_t i : keep) {
      if (!labels.empty()) kept_labels.push_back(labels[i]);
    }
    KD_ASSIGN_OR_RETURN(
        std::vector<std::string> names,
        ClassNamesFromFileOr(JoinPath(dir, "class_names.txt"), 10,
                             {"airplane", "bird", "car", "cat", "deer", "dog",
                              "horse", "monkey", "ship", "truck"}));
    return std::unique_ptr<Dataset>(
        new InMemoryDataset(absl::StrCat("stl10 ", split), std::move(images),
                            std::move(kept_labels), std::move(names)));
  }
};

KD_REGISTER(Dataset, Stl10Reader, "stl10");

}  // namespace
}  // namespace kd
