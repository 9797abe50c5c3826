// The "image_folder" data set: users' own images in one folder per class,
//   <root>/<class>/<image>.{jpg,jpeg,png}
// (case-insensitive extensions; other files and hidden entries are skipped,
// with a warning counting them). Classes are the sub-folders in sorted order,
// as torchvision's ImageFolder does. <root> is data_dir/<split> when that
// folder exists (data_dir/train/<class>/...), else data_dir itself for the
// default split "train". Only the file list is built at start-up; images are
// decoded by Get() (FileListDataset), or all at once with preload=true.
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "kd/data/dataset.h"
#include "kd/data/file_io.h"
#include "kd/data/file_list_dataset.h"
#include "kd/data/in_memory_dataset.h"
#include "kd/registry.h"

namespace kd {
namespace {

using data_internal::JoinPath;

bool IsImageName(const std::string& name) {
  const std::string lower = absl::AsciiStrToLower(name);
  return absl::EndsWith(lower, ".jpg") || absl::EndsWith(lower, ".jpeg") ||
         absl::EndsWith(lower, ".png");
}

class ImageFolderReader {
 public:
  static constexpr char kDoc[] =
      "a folder of images, one sub-folder per class: data_dir[/split]/"
      "<class>/*.{jpg,jpeg,png}";
  static OptionSchema Schema() {
    return WithSubsetOptions(WithFileListOptions({}));
  }

  static absl::StatusOr<std::unique_ptr<Dataset>> Create(
      const Options& options, const DatasetConfig& config) {
    KD_ASSIGN_OR_RETURN(SubsetSpec subset,
                        SubsetSpec::FromOptions(options, "image_folder"));
    KD_ASSIGN_OR_RETURN(FileListOptions list_options,
                        FileListOptions::FromOptions(options, "image_folder"));
    if (config.data_dir.empty()) {
      return absl::InvalidArgumentError(
          "image_folder needs data_dir: a folder with one sub-folder of "
          "images per class");
    }
    std::string root = JoinPath(config.data_dir, config.split);
    if (!data_internal::IsDirectory(root)) {
      if (config.split != "train") {
        return absl::NotFoundError(absl::StrCat("image_folder: split folder '",
                                                root, "' does not exist"));
      }
      root = config.data_dir;
    }
    KD_ASSIGN_OR_RETURN(std::vector<std::string> entries,
                        data_internal::ListDirectory(root));
    std::vector<std::string> classes;
    for (const std::string& entry : entries) {
      if (data_internal::IsDirectory(JoinPath(root, entry))) {
        classes.push_back(entry);
      }
    }
    if (classes.empty()) {
      return absl::NotFoundError(absl::StrCat(
          "image_folder: '", root,
          "' has no class sub-folders, expected <class>/<image>.jpg|png"));
    }
    std::vector<std::string> paths;
    std::vector<int64_t> labels;
    int64_t skipped = 0;
    for (size_t c = 0; c < classes.size(); ++c) {
      const std::string class_dir = JoinPath(root, classes[c]);
      KD_ASSIGN_OR_RETURN(std::vector<std::string> files,
                          data_internal::ListDirectory(class_dir));
      int64_t found = 0;
      for (const std::string& file : files) {
        if (IsImageName(file)) {
          paths.push_back(JoinPath(class_dir, file));
          labels.push_back(c);
          ++found;
        } else {
          ++skipped;
        }
      }
      if (found == 0) {
        return absl::DataLossError(
            absl::StrCat("image_folder: class folder '", class_dir,
                         "' has no .jpg/.jpeg/.png images (found ",
                         files.size(), " other entries)"));
      }
    }
    LOG_IF(WARNING, skipped > 0)
        << "image_folder: skipped " << skipped
        << " files without a .jpg/.jpeg/.png extension under '" << root << "'";
    KD_ASSIGN_OR_RETURN(
        std::vector<int64_t> keep,
        KeptIndices(subset, labels, paths.size(), "image_folder"));
    return OpenFileList(
        absl::StrCat("image_folder ", root), Gather(std::move(paths), keep),
        Gather(std::move(labels), keep), std::move(classes), list_options);
  }
};

KD_REGISTER(Dataset, ImageFolderReader, "image_folder");

}  // namespace
}  // namespace kd
