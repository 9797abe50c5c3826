// The "mnist" data set: IDX files (gzipped or plain), see idx_format.h.
#include <memory>

#include "absl/status/status.h"
#include "kd/data/idx_dataset.h"
#include "kd/registry.h"

namespace kd {
namespace {

class MnistReader {
 public:
  static constexpr char kDoc[] =
      "MNIST digits, IDX files gzipped or plain (train-images-idx3-ubyte[.gz] "
      "...); splits train, test";
  static OptionSchema Schema() { return WithSubsetOptions({}); }

  static absl::StatusOr<std::unique_ptr<Dataset>> Create(
      const Options& options, const DatasetConfig& config) {
    KD_ASSIGN_OR_RETURN(SubsetSpec subset,
                        SubsetSpec::FromOptions(options, "mnist"));
    if (config.data_dir.empty()) {
      return absl::InvalidArgumentError(
          "mnist needs data_dir: the folder with train-images-idx3-ubyte[.gz] "
          "and the other three IDX files");
    }
    return data_internal::LoadIdxDataset(
        "mnist", config.data_dir, config.split, subset,
        {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"});
  }
};

KD_REGISTER(Dataset, MnistReader, "mnist");

}  // namespace
}  // namespace kd
