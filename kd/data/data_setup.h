// Data sets and views as the tools use them: open a registered data set
// split (optionally a class-balanced subset or a subset of classes), and
// derive the student / teacher / evaluation views from the image size.
#ifndef KD_DATA_DATA_SETUP_H_
#define KD_DATA_DATA_SETUP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "kd/data/dataset.h"
#include "kd/data/transforms.h"

namespace kd {

// A view of some examples of another data set, re-indexed 0..n-1 (the
// loader's indices, and CRD's memory rows, refer to the subset). Labels can
// be remapped (a class subset becomes classes 0..k-1).
class SubsetDataset : public Dataset {
 public:
  SubsetDataset(std::shared_ptr<const Dataset> base,
                std::vector<int64_t> indices,
                std::vector<int64_t> label_map = {},
                std::vector<std::string> class_names = {});
  int64_t size() const override;
  absl::StatusOr<Example> Get(int64_t index) const override;
  int64_t num_classes() const override;
  std::vector<std::string> class_names() const override;

 private:
  std::shared_ptr<const Dataset> base_;
  std::vector<int64_t> indices_;
  std::vector<int64_t> label_map_;  // empty: labels unchanged
  std::vector<std::string> class_names_;
};

struct DataSelection {
  std::string dataset;   // registered name, may carry options ("cifar100:...")
  std::string data_dir;  // empty: the reader's default
  std::string split = "train";
  // > 0: the first ceil(n / classes) examples of each class, in data-set
  // order, up to n in all (deterministic, class-balanced).
  int64_t subset = 0;
  // Non-empty: only these classes (by index or name), relabelled 0..k-1 in
  // the order given.
  std::vector<std::string> classes;
};

// Opens the split. Errors: unknown data set (listing the known ones), missing
// or malformed files (the reader's message), unknown class, empty result.
absl::StatusOr<std::shared_ptr<const Dataset>> OpenDataset(
    const DataSelection& selection);

// The labels of every example, in order (reads the whole data set).
absl::StatusOr<std::vector<int64_t>> DatasetLabels(const Dataset& dataset);

// Geometry of the network input: images of side `image_side` become
// `input_size` (0: image_side, zero-padded up to 32 when smaller), 3
// channels. `augment` adds the reference crop (4 px padding at 32) + flip.
absl::StatusOr<ViewTransform> MakeView(int image_side, int input_size,
                                       bool augment,
                                       const std::string& normalize);

// The side a view produces for `image_side` (after MakeView's rules).
int ResolvedInputSize(int image_side, int input_size);

// Side length of the data set's first image.
absl::StatusOr<int> ImageSide(const Dataset& dataset);

}  // namespace kd

#endif  // KD_DATA_DATA_SETUP_H_
