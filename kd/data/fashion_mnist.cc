// The "fashion_mnist" data set: IDX files (gzipped or plain), see
// idx_format.h. With an empty data_dir it reads the Debian package
// dataset-fashion-mnist.
#include <memory>

#include "kd/data/idx_dataset.h"
#include "kd/registry.h"

namespace kd {
namespace {

constexpr char kDebianFashionMnistDir[] = "/usr/share/datasets/fashion-mnist";

class FashionMnistReader {
 public:
  static constexpr char kDoc[] =
      "Fashion-MNIST, IDX files gzipped or plain (default data_dir: "
      "/usr/share/datasets/fashion-mnist); splits train, test";
  static OptionSchema Schema() { return WithSubsetOptions({}); }

  static absl::StatusOr<std::unique_ptr<Dataset>> Create(
      const Options& options, const DatasetConfig& config) {
    KD_ASSIGN_OR_RETURN(SubsetSpec subset,
                        SubsetSpec::FromOptions(options, "fashion_mnist"));
    const std::string dir =
        config.data_dir.empty() ? kDebianFashionMnistDir : config.data_dir;
    // Class names from https://github.com/zalandoresearch/fashion-mnist
    // ("Labels").
    return data_internal::LoadIdxDataset(
        "fashion_mnist", dir, config.split, subset,
        {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal",
         "Shirt", "Sneaker", "Bag", "Ankle boot"});
  }
};

KD_REGISTER(Dataset, FashionMnistReader, "fashion_mnist");

}  // namespace
}  // namespace kd
