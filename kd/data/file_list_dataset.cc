#include "kd/data/file_list_dataset.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "kd/data/image_codec.h"
#include "kd/data/in_memory_dataset.h"

namespace kd {
namespace {

constexpr int64_t kMaxCacheMb = int64_t{1} << 30;  // 1 PiB: no overflow

}  // namespace

absl::StatusOr<FileListOptions> FileListOptions::FromOptions(
    const Options& options, const std::string& dataset) {
  FileListOptions out;
  out.preload = options.GetBool("preload");
  const int64_t threads = options.GetInt("threads");
  out.cache_mb = options.GetInt("cache_mb");
  if (threads < 0 || threads > 4096 || out.cache_mb < 0 ||
      out.cache_mb > kMaxCacheMb) {
    return absl::InvalidArgumentError(
        absl::StrCat(dataset, ": threads (", threads,
                     ") must be in [0, 4096] and cache_mb (", out.cache_mb,
                     ") in [0, ", kMaxCacheMb, "]"));
  }
  out.threads = static_cast<int>(threads);
  if (out.preload && out.cache_mb > 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        dataset, ": cache_mb=", out.cache_mb,
        " with preload=true: a preloaded data set already holds every image; "
        "use one or the other"));
  }
  return out;
}

OptionSchema WithFileListOptions(OptionSchema schema) {
  schema.push_back({"preload", OptionType::kBool, "false",
                    "decode every image at start-up (bad files are found "
                    "then) instead of in the loader's workers"});
  schema.push_back({"threads", OptionType::kInt, "0",
                    "threads decoding images at start-up with preload=true "
                    "(0: one per core)"});
  schema.push_back({"cache_mb", OptionType::kInt, "0",
                    "keep up to this many MiB of decoded images in an LRU "
                    "cache (0: decode on every read)"});
  return schema;
}

FileListDataset::FileListDataset(std::string name,
                                 std::vector<std::string> paths,
                                 std::vector<int64_t> labels,
                                 std::vector<std::string> class_names,
                                 int64_t cache_bytes)
    : name_(std::move(name)),
      paths_(std::move(paths)),
      labels_(std::move(labels)),
      class_names_(std::move(class_names)),
      cache_(cache_bytes > 0 ? std::make_unique<ImageCache>(cache_bytes)
                             : nullptr) {
  CHECK(labels_.empty() || labels_.size() == paths_.size())
      << name_ << ": " << labels_.size() << " labels for " << paths_.size()
      << " files";
}

absl::StatusOr<Example> FileListDataset::Get(int64_t index) const {
  if (index < 0 || index >= size()) {
    return absl::OutOfRangeError(absl::StrCat(
        name_, ": example ", index, " is out of range [0, ", size(), ")"));
  }
  Example example;
  example.label = label(index);
  if (cache_ != nullptr) {
    if (std::shared_ptr<const Image> hit = cache_->Find(index)) {
      example.image = *hit;
      return example;
    }
  }
  absl::StatusOr<Image> image = data_internal::ReadImageFile(paths_[index]);
  if (!image.ok()) return image.status();
  if (cache_ != nullptr) cache_->Insert(index, *image);
  example.image = *std::move(image);
  return example;
}

absl::StatusOr<std::unique_ptr<Dataset>> OpenFileList(
    std::string name, std::vector<std::string> paths,
    std::vector<int64_t> labels, std::vector<std::string> class_names,
    const FileListOptions& options) {
  if (!options.preload) {
    return std::unique_ptr<Dataset>(new FileListDataset(
        std::move(name), std::move(paths), std::move(labels),
        std::move(class_names), options.cache_mb << 20));
  }
  absl::StatusOr<std::vector<Image>> images =
      data_internal::ReadImageFiles(paths, options.threads);
  if (!images.ok()) return images.status();
  return std::unique_ptr<Dataset>(
      new InMemoryDataset(std::move(name), *std::move(images),
                          std::move(labels), std::move(class_names)));
}

}  // namespace kd
