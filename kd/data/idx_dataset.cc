#include "kd/data/idx_dataset.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "kd/data/file_io.h"
#include "kd/data/idx_format.h"
#include "kd/status_macros.h"

namespace kd {
namespace data_internal {
namespace {

// The file for `base` ("train-images-idx3-ubyte"): plain or with .gz.
absl::StatusOr<std::string> FindIdxFile(const std::string& plugin,
                                        const std::string& dir,
                                        const std::string& base) {
  const std::string plain = JoinPath(dir, base);
  const std::string gz = plain + ".gz";
  if (PathExists(plain)) return plain;
  if (PathExists(gz)) return gz;
  return absl::NotFoundError(
      absl::StrCat(plugin, ": neither '", plain, "' nor '", gz, "' exists"));
}

absl::Status ParseIdxPairNamed(absl::string_view images_bytes,
                               absl::string_view labels_bytes,
                               int64_t num_classes,
                               const std::string& images_name,
                               const std::string& labels_name,
                               std::vector<Image>* images,
                               std::vector<int64_t>* labels) {
  KD_ASSIGN_OR_RETURN(IdxArray image_array,
                      ParseIdx(images_bytes, 3, images_name));
  KD_ASSIGN_OR_RETURN(IdxArray label_array,
                      ParseIdx(labels_bytes, 1, labels_name));
  const int64_t count = image_array.dims[0];
  const int64_t rows = image_array.dims[1];
  const int64_t cols = image_array.dims[2];
  if (count == 0 || rows == 0 || cols == 0) {
    return absl::DataLossError(absl::StrCat(
        "'", images_name, "' declares ", count, " images of ", rows, "x", cols,
        ", expected a non-empty set of non-empty images"));
  }
  if (label_array.dims[0] != count) {
    return absl::DataLossError(absl::StrCat(
        "'", labels_name, "' has ", label_array.dims[0], " labels but '",
        images_name, "' has ", count, " images; expected one label each"));
  }
  images->assign(count, Image());
  labels->assign(count, 0);
  const size_t image_bytes = rows * cols;
  for (int64_t i = 0; i < count; ++i) {
    const int label = static_cast<uint8_t>(label_array.data[i]);
    if (label >= num_classes) {
      return absl::DataLossError(absl::StrCat("'", labels_name, "': label ", i,
                                              " is ", label, ", expected [0, ",
                                              num_classes, ")"));
    }
    (*labels)[i] = label;
    Image& image = (*images)[i];
    image.height = rows;
    image.width = cols;
    image.channels = 1;
    const char* src = image_array.data.data() + i * image_bytes;
    image.pixels.assign(src, src + image_bytes);
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ParseIdxPair(const std::string& images_bytes,
                          const std::string& labels_bytes, int64_t num_classes,
                          std::vector<Image>* images,
                          std::vector<int64_t>* labels) {
  return ParseIdxPairNamed(images_bytes, labels_bytes, num_classes, "images",
                           "labels", images, labels);
}

absl::StatusOr<std::unique_ptr<Dataset>> LoadIdxDataset(
    const std::string& plugin, const std::string& dir, const std::string& split,
    const SubsetSpec& subset, std::vector<std::string> class_names) {
  std::string prefix;
  if (split == "train") {
    prefix = "train";
  } else if (split == "test") {
    prefix = "t10k";
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        plugin, " has no split '", split, "'; valid: train, test"));
  }
  KD_ASSIGN_OR_RETURN(std::string images_file,
                      FindIdxFile(plugin, dir, prefix + "-images-idx3-ubyte"));
  KD_ASSIGN_OR_RETURN(std::string labels_file,
                      FindIdxFile(plugin, dir, prefix + "-labels-idx1-ubyte"));
  KD_ASSIGN_OR_RETURN(std::string images_bytes, ReadMaybeGzipped(images_file));
  KD_ASSIGN_OR_RETURN(std::string labels_bytes, ReadMaybeGzipped(labels_file));
  std::vector<Image> images;
  std::vector<int64_t> labels;
  KD_RETURN_IF_ERROR(ParseIdxPairNamed(images_bytes, labels_bytes,
                                       class_names.size(), images_file,
                                       labels_file, &images, &labels));
  KD_RETURN_IF_ERROR(ApplySubset(subset, plugin, &images, &labels));
  return std::unique_ptr<Dataset>(
      new InMemoryDataset(absl::StrCat(plugin, " ", split), std::move(images),
                          std::move(labels), std::move(class_names)));
}

}  // namespace data_internal
}  // namespace kd
