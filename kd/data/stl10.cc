// The "stl10" data set: the official binary version (stl10_binary). Layout:
// see stl_format.h. Splits: train (5000), test (8000), unlabeled (100000,
// Example::label -1). The images file is memory-mapped; Get() decodes one
// image, converting its column-major layout (MappedRecordDataset).
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "kd/data/dataset.h"
#include "kd/data/file_io.h"
#include "kd/data/in_memory_dataset.h"
#include "kd/data/mapped_file.h"
#include "kd/data/mapped_record_dataset.h"
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
    // Map the images file and check its size; Get() decodes one image at a
    // time out of the map (the unlabeled split is 2.7 GB).
    KD_ASSIGN_OR_RETURN(std::unique_ptr<data_internal::MappedFile> map,
                        data_internal::MappedFile::Open(images_file));
    KD_ASSIGN_OR_RETURN(const int64_t total,
                        data_internal::StlImageCount(map->size(), images_file));
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
    KD_ASSIGN_OR_RETURN(std::vector<int64_t> keep,
                        KeptIndices(subset, labels, total, "stl10"));
    std::vector<const uint8_t*> records;
    records.reserve(keep.size());
    for (int64_t i : keep) records.push_back(map->data() + i * kStlImageBytes);
    labels = Gather(std::move(labels), keep);
    KD_ASSIGN_OR_RETURN(
        std::vector<std::string> names,
        ClassNamesFromFileOr(JoinPath(dir, "class_names.txt"), 10,
                             {"airplane", "bird", "car", "cat", "deer", "dog",
                              "horse", "monkey", "ship", "truck"}));
    std::vector<std::unique_ptr<data_internal::MappedFile>> maps;
    maps.push_back(std::move(map));
    return std::unique_ptr<Dataset>(new MappedRecordDataset(
        absl::StrCat("stl10 ", split), std::move(maps), std::move(records),
        std::move(labels), std::move(names), &data_internal::DecodeStlImage));
  }
};

KD_REGISTER(Dataset, Stl10Reader, "stl10");

}  // namespace
}  // namespace kd
