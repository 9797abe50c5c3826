// The "tinyimagenet" data set: the official directory layout of
// tiny-imagenet-200.zip (http://cs231n.stanford.edu/tiny-imagenet-200.zip):
//   wnids.txt                          the 200 class WordNet ids, one a line
//   words.txt                          "<wnid>\t<names>" for all synsets
//   train/<wnid>/images/<wnid>_<k>.JPEG   500 images per class
//   val/images/val_<k>.JPEG, val/val_annotations.txt
//                                      "<file>\t<wnid>\t<x0>\t<y0>\t<x1>\t<y1>"
//   test/images/test_<k>.JPEG          unlabelled
// All images are 64x64 JPEGs, some grey (decoded to RGB here).
// Class index = position of the wnid in sorted order, which is what
// torchvision's ImageFolder over train/ gives, so models trained with it
// agree on the indices. Only the file list is built at start-up; images are
// decoded by Get() (FileListDataset), or all at once with preload=true.
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "glog/logging.h"
#include "kd/data/dataset.h"
#include "kd/data/file_io.h"
#include "kd/data/file_list_dataset.h"
#include "kd/data/in_memory_dataset.h"
#include "kd/registry.h"

namespace kd {
namespace {

using data_internal::JoinPath;

bool IsJpegName(const std::string& name) {
  const std::string lower = absl::AsciiStrToLower(name);
  return absl::EndsWith(lower, ".jpeg") || absl::EndsWith(lower, ".jpg");
}

// JPEG files of a directory (sorted); an empty directory is an error.
absl::StatusOr<std::vector<std::string>> JpegsIn(const std::string& dir) {
  KD_ASSIGN_OR_RETURN(std::vector<std::string> names,
                      data_internal::ListDirectory(dir));
  std::vector<std::string> paths;
  for (const std::string& name : names) {
    if (IsJpegName(name)) paths.push_back(JoinPath(dir, name));
  }
  if (paths.empty()) {
    return absl::DataLossError(absl::StrCat("tinyimagenet: '", dir,
                                            "' has no .JPEG images (found ",
                                            names.size(), " other entries)"));
  }
  return paths;
}

class TinyImageNetReader {
 public:
  static constexpr char kDoc[] =
      "Tiny ImageNet (200 classes, 64x64), official directory layout "
      "(data_dir: tiny-imagenet-200 or its parent); splits train, val, test "
      "(unlabelled)";
  static OptionSchema Schema() {
    return WithSubsetOptions(WithFileListOptions({}));
  }

  static absl::StatusOr<std::unique_ptr<Dataset>> Create(
      const Options& options, const DatasetConfig& config) {
    KD_ASSIGN_OR_RETURN(SubsetSpec subset,
                        SubsetSpec::FromOptions(options, "tinyimagenet"));
    KD_ASSIGN_OR_RETURN(FileListOptions list_options,
                        FileListOptions::FromOptions(options, "tinyimagenet"));
    if (config.data_dir.empty()) {
      return absl::InvalidArgumentError(
          "tinyimagenet needs data_dir: the folder with wnids.txt, train/, "
          "val/ (tiny-imagenet-200) or its parent");
    }
    const std::string& split = config.split;
    if (split != "train" && split != "val" && split != "test") {
      return absl::InvalidArgumentError(absl::StrCat(
          "tinyimagenet has no split '", split, "'; valid: train, val, test"));
    }
    std::string dir = config.data_dir;
    if (data_internal::IsDirectory(JoinPath(dir, "tiny-imagenet-200"))) {
      dir = JoinPath(dir, "tiny-imagenet-200");
    }
    const std::string wnids_file = JoinPath(dir, "wnids.txt");
    KD_ASSIGN_OR_RETURN(std::vector<std::string> wnids,
                        data_internal::ReadLines(wnids_file));
    if (wnids.empty()) {
      return absl::DataLossError(absl::StrCat(
          "'", wnids_file, "' lists no classes, expected 200 WordNet ids"));
    }
    LOG_IF(WARNING, wnids.size() != 200)
        << "tinyimagenet: '" << wnids_file << "' lists " << wnids.size()
        << " classes; the official file lists 200";
    std::sort(wnids.begin(), wnids.end());
    std::map<std::string, int64_t> class_of;
    for (size_t i = 0; i < wnids.size(); ++i) {
      if (!class_of.emplace(wnids[i], i).second) {
        return absl::DataLossError(absl::StrCat(
            "'", wnids_file, "' lists class '", wnids[i], "' twice"));
      }
    }

    std::vector<std::string> paths;
    std::vector<int64_t> labels;  // empty for the test split
    if (split == "train") {
      for (size_t c = 0; c < wnids.size(); ++c) {
        KD_ASSIGN_OR_RETURN(
            std::vector<std::string> files,
            JpegsIn(JoinPath(JoinPath(JoinPath(dir, "train"), wnids[c]),
                             "images")));
        for (std::string& file : files) {
          paths.push_back(std::move(file));
          labels.push_back(c);
        }
      }
    } else if (split == "val") {
      const std::string annotations_file =
          JoinPath(JoinPath(dir, "val"), "val_annotations.txt");
      KD_ASSIGN_OR_RETURN(std::vector<std::string> lines,
                          data_internal::ReadLines(annotations_file));
      if (lines.empty()) {
        return absl::DataLossError(
            absl::StrCat("'", annotations_file, "' has no annotations"));
      }
      const std::string images_dir = JoinPath(JoinPath(dir, "val"), "images");
      // Every annotated image must exist (checked against one listing, not
      // file by file; the images are decoded later).
      KD_ASSIGN_OR_RETURN(std::vector<std::string> listed,
                          data_internal::ListDirectory(images_dir));
      const std::set<std::string> present(listed.begin(), listed.end());
      for (size_t i = 0; i < lines.size(); ++i) {
        std::vector<std::string> fields = absl::StrSplit(lines[i], '\t');
        if (fields.size() < 2) {
          return absl::DataLossError(absl::StrCat(
              "'", annotations_file, "' line ", i + 1, " is '", lines[i],
              "', expected '<file>\\t<wnid>\\t<x0>\\t<y0>\\t<x1>\\t<y1>'"));
        }
        auto it = class_of.find(fields[1]);
        if (it == class_of.end()) {
          return absl::DataLossError(
              absl::StrCat("'", annotations_file, "' line ", i + 1, ": class '",
                           fields[1], "' is not in wnids.txt"));
        }
        const std::string path = JoinPath(images_dir, fields[0]);
        if (present.count(fields[0]) == 0 && !data_internal::PathExists(path)) {
          return absl::NotFoundError(
              absl::StrCat("file '", path, "' does not exist (named on line ",
                           i + 1, " of '", annotations_file, "')"));
        }
        paths.push_back(path);
        labels.push_back(it->second);
      }
      // Images without an annotation are not part of the split; say so.
      LOG_IF(WARNING, listed.size() != paths.size())
          << "tinyimagenet: '" << images_dir << "' has " << listed.size()
          << " entries but '" << annotations_file << "' annotates "
          << paths.size() << " images; only annotated images are read";
    } else {
      KD_ASSIGN_OR_RETURN(paths,
                          JpegsIn(JoinPath(JoinPath(dir, "test"), "images")));
    }

    KD_ASSIGN_OR_RETURN(
        std::vector<int64_t> keep,
        KeptIndices(subset, labels, paths.size(), "tinyimagenet"));
    paths = Gather(std::move(paths), keep);
    labels = Gather(std::move(labels), keep);

    // Class names from words.txt when present, else the wnids.
    std::vector<std::string> names = wnids;
    const std::string words_file = JoinPath(dir, "words.txt");
    if (data_internal::PathExists(words_file)) {
      KD_ASSIGN_OR_RETURN(std::vector<std::string> lines,
                          data_internal::ReadLines(words_file));
      for (const std::string& line : lines) {
        std::vector<std::string> fields =
            absl::StrSplit(line, absl::MaxSplits('\t', 1));
        if (fields.size() != 2) continue;
        auto it = class_of.find(fields[0]);
        if (it != class_of.end()) names[it->second] = fields[1];
      }
    }
    return OpenFileList(absl::StrCat("tinyimagenet ", split), std::move(paths),
                        std::move(labels), std::move(names), list_options);
  }
};

KD_REGISTER(Dataset, TinyImageNetReader, "tinyimagenet");

}  // namespace
}  // namespace kd
