// The "cifar10" data set: the official binary version (cifar-10-batches-bin).
// Layout: see cifar_format.h. The batch files are memory-mapped; Get()
// decodes one record (MappedRecordDataset).
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "kd/data/cifar_format.h"
#include "kd/data/dataset.h"
#include "kd/data/file_io.h"
#include "kd/data/in_memory_dataset.h"
#include "kd/data/mapped_file.h"
#include "kd/data/mapped_record_dataset.h"
#include "kd/registry.h"

namespace kd {
namespace {

using data_internal::JoinPath;

// Official record count per batch file (10000; 5 training batches).
constexpr int64_t kRecordsPerBatch = 10000;

class Cifar10Reader {
 public:
  static constexpr char kDoc[] =
      "CIFAR-10, binary version (data_dir: cifar-10-batches-bin or its "
      "parent); splits train (data_batch_1..5.bin), test (test_batch.bin)";
  static OptionSchema Schema() { return WithSubsetOptions({}); }

  static absl::StatusOr<std::unique_ptr<Dataset>> Create(
      const Options& options, const DatasetConfig& config) {
    KD_ASSIGN_OR_RETURN(SubsetSpec subset,
                        SubsetSpec::FromOptions(options, "cifar10"));
    if (config.data_dir.empty()) {
      return absl::InvalidArgumentError(
          "cifar10 needs data_dir: the folder with data_batch_1.bin ... "
          "test_batch.bin (cifar-10-batches-bin) or its parent");
    }
    std::string dir = config.data_dir;
    if (data_internal::IsDirectory(JoinPath(dir, "cifar-10-batches-bin"))) {
      dir = JoinPath(dir, "cifar-10-batches-bin");
    }
    std::vector<std::string> files;
    if (config.split == "train") {
      for (int i = 1; i <= 5; ++i) {
        files.push_back(JoinPath(dir, absl::StrCat("data_batch_", i, ".bin")));
      }
    } else if (config.split == "test") {
      files.push_back(JoinPath(dir, "test_batch.bin"));
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "cifar10 has no split '", config.split, "'; valid: train, test"));
    }
    // Every file must exist, even when a limit means not all are decoded.
    for (const std::string& file : files) {
      if (!data_internal::PathExists(file)) {
        return absl::NotFoundError(absl::StrCat(
            "cifar10 ", config.split, ": file '", file,
            "' does not exist (expected the official binary version, "
            "cifar-10-binary.tar.gz)"));
      }
    }
    // Map every file and validate its size and labels; the images stay in
    // the maps and are decoded one record at a time by Get().
    constexpr int64_t kRecord = data_internal::CifarRecordBytes(1);
    const int64_t bound = subset.ReadBound(std::numeric_limits<int64_t>::max());
    std::vector<std::unique_ptr<data_internal::MappedFile>> maps;
    std::vector<const uint8_t*> records;
    std::vector<int64_t> labels;
    for (const std::string& file : files) {
      KD_ASSIGN_OR_RETURN(std::unique_ptr<data_internal::MappedFile> map,
                          data_internal::MappedFile::Open(file));
      const int64_t wanted = bound - static_cast<int64_t>(records.size());
      KD_ASSIGN_OR_RETURN(
          data_internal::CifarLabelColumns columns,
          data_internal::ParseCifarLabels(map->bytes(), 1, {10}, file, wanted));
      map->DropResidentPages();  // the label scan touched every page
      const int64_t count = map->size() / kRecord;
      LOG_IF(WARNING, count != kRecordsPerBatch)
          << "cifar10: '" << file << "' has " << count
          << " records; the official batches have " << kRecordsPerBatch;
      for (size_t i = 0; i < columns[0].size(); ++i) {
        records.push_back(map->data() + i * kRecord + 1);
      }
      labels.insert(labels.end(), columns[0].begin(), columns[0].end());
      maps.push_back(std::move(map));
    }
    KD_ASSIGN_OR_RETURN(std::vector<int64_t> keep,
                        KeptIndices(subset, labels, records.size(), "cifar10"));
    records = Gather(std::move(records), keep);
    labels = Gather(std::move(labels), keep);
    KD_ASSIGN_OR_RETURN(
        std::vector<std::string> names,
        ClassNamesFromFileOr(JoinPath(dir, "batches.meta.txt"), 10,
                             {"airplane", "automobile", "bird", "cat", "deer",
                              "dog", "frog", "horse", "ship", "truck"}));
    return std::unique_ptr<Dataset>(new MappedRecordDataset(
        absl::StrCat("cifar10 ", config.split), std::move(maps),
        std::move(records), std::move(labels), std::move(names),
        &data_internal::DecodeCifarImage));
  }
};

KD_REGISTER(Dataset, Cifar10Reader, "cifar10");

}  // namespace
}  // namespace kd
