// FileListDataset: the lazy Dataset of the image-file readers (image_folder,
// tinyimagenet), as torchvision's ImageFolder works: at start-up only the
// list of paths, labels and class names is built; Get() reads and decodes
// one file on the calling thread (the loader's workers), optionally through
// a bounded LRU cache of decoded images (ImageCache). OpenFileList chooses
// between it and the eager path (preload=true: every file decoded at
// start-up into an InMemoryDataset).
//
// Bad files: a file that cannot be read or decoded fails Get() with the
// decoder's error, which names the file ("'<path>' is not a decodable JPEG:
// ..."; DATA_LOSS, or NOT_FOUND for a file removed since the listing). The
// loader returns it from Next() and the tools exit with it; nothing is
// skipped, so a run never trains silently on a different data set.
//
//   KD_ASSIGN_OR_RETURN(FileListOptions list_options,
//                       FileListOptions::FromOptions(options, "image_folder"));
//   return OpenFileList("image_folder " + root, paths, labels, classes,
//                       list_options);
#ifndef KD_DATA_FILE_LIST_DATASET_H_
#define KD_DATA_FILE_LIST_DATASET_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kd/data/dataset.h"
#include "kd/data/image_cache.h"
#include "kd/options.h"

namespace kd {

// The options every file-list reader takes ("preload", "threads",
// "cache_mb"), read from a reader's Options.
struct FileListOptions {
  bool preload = false;  // decode every file at start-up (errors at start-up)
  int threads = 0;       // threads decoding at start-up (0: one per core)
  int64_t cache_mb = 0;  // LRU cache of decoded images in MiB (0: none)

  // Negative values, and cache_mb with preload, are INVALID_ARGUMENT naming
  // `dataset`.
  static absl::StatusOr<FileListOptions> FromOptions(
      const Options& options, const std::string& dataset);
};

// Appends the FileListOptions options to a reader's schema.
OptionSchema WithFileListOptions(OptionSchema schema);

// Thread-safe: paths, labels and names are read-only after construction and
// the cache locks itself.
class FileListDataset : public Dataset {
 public:
  // `labels` is empty (all unlabelled) or has one entry per path; `name`
  // ("image_folder <root>") is used in error messages. `cache_bytes` > 0
  // caches up to that many decoded pixel bytes.
  FileListDataset(std::string name, std::vector<std::string> paths,
                  std::vector<int64_t> labels,
                  std::vector<std::string> class_names, int64_t cache_bytes);

  int64_t size() const override { return static_cast<int64_t>(paths_.size()); }
  // Reads and decodes the file (or copies the cached image); errors name it.
  absl::StatusOr<Example> Get(int64_t index) const override;
  int64_t num_classes() const override {
    return static_cast<int64_t>(class_names_.size());
  }
  std::vector<std::string> class_names() const override { return class_names_; }

  const std::string& name() const { return name_; }
  // The file of example `index` (in range).
  const std::string& path(int64_t index) const { return paths_[index]; }
  // The cache, or null without one.
  const ImageCache* cache() const { return cache_.get(); }

 private:
  int64_t label(int64_t index) const {
    return labels_.empty() ? -1 : labels_[index];
  }

  const std::string name_;
  const std::vector<std::string> paths_;
  const std::vector<int64_t> labels_;
  const std::vector<std::string> class_names_;
  const std::unique_ptr<ImageCache> cache_;
};

// A FileListDataset, or with options.preload every file read and decoded now
// on options.threads threads (the first failing path's error, in order)
// into an InMemoryDataset.
absl::StatusOr<std::unique_ptr<Dataset>> OpenFileList(
    std::string name, std::vector<std::string> paths,
    std::vector<int64_t> labels, std::vector<std::string> class_names,
    const FileListOptions& options);

}  // namespace kd

#endif  // KD_DATA_FILE_LIST_DATASET_H_
