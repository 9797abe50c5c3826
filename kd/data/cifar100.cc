#include "kd/data/cifar100.h"

#include <limits>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"
#include "kd/data/cifar_format.h"
#include "kd/data/dataset.h"
#include "kd/data/file_io.h"
#include "kd/data/in_memory_dataset.h"
#include "kd/registry.h"

namespace kd {

namespace {

std::vector<std::unique_ptr<data_internal::MappedFile>> OneFile(
    std::unique_ptr<data_internal::MappedFile> file) {
  std::vector<std::unique_ptr<data_internal::MappedFile>> files;
  files.push_back(std::move(file));
  return files;
}

}  // namespace

Cifar100Dataset::Cifar100Dataset(
    std::string name, std::unique_ptr<data_internal::MappedFile> file,
    std::vector<const uint8_t*> records, std::vector<int64_t> fine_labels,
    std::vector<int64_t> coarse_labels, bool use_coarse,
    std::vector<std::string> fine_names, std::vector<std::string> coarse_names)
    : MappedRecordDataset(std::move(name), OneFile(std::move(file)),
                          std::move(records),
                          use_coarse ? coarse_labels : fine_labels,
                          use_coarse ? coarse_names : fine_names,
                          &data_internal::DecodeCifarImage),
      fine_labels_(std::move(fine_labels)),
      coarse_labels_(std::move(coarse_labels)),
      fine_names_(std::move(fine_names)),
      coarse_names_(std::move(coarse_names)) {}

const std::vector<std::string>& Cifar100FineNames() {
  // Alphabetical, as in the official meta file.
  static const auto* const names = new std::vector<std::string>{
      "apple",    "aquarium_fish", "baby",       "bear",         "beaver",
      "bed",      "bee",           "beetle",     "bicycle",      "bottle",
      "bowl",     "boy",           "bridge",     "bus",          "butterfly",
      "camel",    "can",           "castle",     "caterpillar",  "cattle",
      "chair",    "chimpanzee",    "clock",      "cloud",        "cockroach",
      "couch",    "crab",          "crocodile",  "cup",          "dinosaur",
      "dolphin",  "elephant",      "flatfish",   "forest",       "fox",
      "girl",     "hamster",       "house",      "kangaroo",     "keyboard",
      "lamp",     "lawn_mower",    "leopard",    "lion",         "lizard",
      "lobster",  "man",           "maple_tree", "motorcycle",   "mountain",
      "mouse",    "mushroom",      "oak_tree",   "orange",       "orchid",
      "otter",    "palm_tree",     "pear",       "pickup_truck", "pine_tree",
      "plain",    "plate",         "poppy",      "porcupine",    "possum",
      "rabbit",   "raccoon",       "ray",        "road",         "rocket",
      "rose",     "sea",           "seal",       "shark",        "shrew",
      "skunk",    "skyscraper",    "snail",      "snake",        "spider",
      "squirrel", "streetcar",     "sunflower",  "sweet_pepper", "table",
      "tank",     "telephone",     "television", "tiger",        "tractor",
      "train",    "trout",         "tulip",      "turtle",       "wardrobe",
      "whale",    "willow_tree",   "wolf",       "woman",        "worm"};
  return *names;
}

const std::vector<std::string>& Cifar100CoarseNames() {
  static const auto* const names =
      new std::vector<std::string>{"aquatic_mammals",
                                   "fish",
                                   "flowers",
                                   "food_containers",
                                   "fruit_and_vegetables",
                                   "household_electrical_devices",
                                   "household_furniture",
                                   "insects",
                                   "large_carnivores",
                                   "large_man-made_outdoor_things",
                                   "large_natural_outdoor_scenes",
                                   "large_omnivores_and_herbivores",
                                   "medium_mammals",
                                   "non-insect_invertebrates",
                                   "people",
                                   "reptiles",
                                   "small_mammals",
                                   "trees",
                                   "vehicles_1",
                                   "vehicles_2"};
  return *names;
}

namespace {

using data_internal::JoinPath;

constexpr int64_t kFineClasses = 100;
constexpr int64_t kCoarseClasses = 20;

class Cifar100Reader {
 public:
  static constexpr char kDoc[] =
      "CIFAR-100, binary version (data_dir: cifar-100-binary or its parent); "
      "splits train (train.bin), test (test.bin)";
  static OptionSchema Schema() {
    return WithSubsetOptions(
        {{"labels", OptionType::kString, "fine",
          "which label is Example::label: fine (100 classes) or coarse (20)"}});
  }

  static absl::StatusOr<std::unique_ptr<Dataset>> Create(
      const Options& options, const DatasetConfig& config) {
    KD_ASSIGN_OR_RETURN(SubsetSpec subset,
                        SubsetSpec::FromOptions(options, "cifar100"));
    const std::string& which = options.GetString("labels");
    if (which != "fine" && which != "coarse") {
      return absl::InvalidArgumentError(absl::StrCat(
          "cifar100 option labels is '", which, "', expected fine or coarse"));
    }
    const bool use_coarse = which == "coarse";
    if (config.data_dir.empty()) {
      return absl::InvalidArgumentError(
          "cifar100 needs data_dir: the folder with train.bin and test.bin "
          "(cifar-100-binary) or its parent");
    }
    std::string dir = config.data_dir;
    if (data_internal::IsDirectory(JoinPath(dir, "cifar-100-binary"))) {
      dir = JoinPath(dir, "cifar-100-binary");
    }
    if (config.split != "train" && config.split != "test") {
      return absl::InvalidArgumentError(absl::StrCat(
          "cifar100 has no split '", config.split, "'; valid: train, test"));
    }
    const std::string file = JoinPath(dir, config.split + ".bin");
    if (!data_internal::PathExists(file)) {
      return absl::NotFoundError(absl::StrCat(
          "cifar100 ", config.split, ": file '", file,
          "' does not exist (expected the official binary version, "
          "cifar-100-binary.tar.gz)"));
    }
    KD_ASSIGN_OR_RETURN(std::unique_ptr<data_internal::MappedFile> map,
                        data_internal::MappedFile::Open(file));
    KD_ASSIGN_OR_RETURN(
        data_internal::CifarLabelColumns columns,
        data_internal::ParseCifarLabels(
            map->bytes(), 2, {kCoarseClasses, kFineClasses}, file,
            subset.ReadBound(std::numeric_limits<int64_t>::max())));
    map->DropResidentPages();  // the label scan touched every page
    constexpr int64_t kRecord = data_internal::CifarRecordBytes(2);
    const int64_t official = config.split == "train" ? 50000 : 10000;
    const int64_t count = map->size() / kRecord;
    LOG_IF(WARNING, count != official)
        << "cifar100: '" << file << "' has " << count
        << " records; the official file has " << official;
    std::vector<int64_t> coarse = std::move(columns[0]);
    std::vector<int64_t> fine = std::move(columns[1]);
    std::vector<const uint8_t*> records(fine.size());
    for (size_t i = 0; i < records.size(); ++i) {
      records[i] = map->data() + i * kRecord + 2;
    }
    KD_ASSIGN_OR_RETURN(std::vector<int64_t> keep,
                        KeptIndices(subset, use_coarse ? coarse : fine,
                                    records.size(), "cifar100"));
    records = Gather(std::move(records), keep);
    fine = Gather(std::move(fine), keep);
    coarse = Gather(std::move(coarse), keep);
    KD_ASSIGN_OR_RETURN(
        std::vector<std::string> fine_names,
        ClassNamesFromFileOr(JoinPath(dir, "fine_label_names.txt"),
                             kFineClasses, Cifar100FineNames()));
    KD_ASSIGN_OR_RETURN(
        std::vector<std::string> coarse_names,
        ClassNamesFromFileOr(JoinPath(dir, "coarse_label_names.txt"),
                             kCoarseClasses, Cifar100CoarseNames()));
    return std::unique_ptr<Dataset>(new Cifar100Dataset(
        absl::StrCat("cifar100 ", config.split), std::move(map),
        std::move(records), std::move(fine), std::move(coarse), use_coarse,
        std::move(fine_names), std::move(coarse_names)));
  }
};

KD_REGISTER(Dataset, Cifar100Reader, "cifar100");

}  // namespace
}  // namespace kd
