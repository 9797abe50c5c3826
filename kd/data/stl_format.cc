#include "kd/data/stl_format.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kd {
namespace data_internal {

absl::StatusOr<int64_t> StlImageCount(uint64_t size, absl::string_view name) {
  if (size == 0 || size % kStlImageBytes != 0) {
    return absl::DataLossError(absl::StrCat(
        "'", name, "' has ", size,
        " bytes, expected a positive multiple of the STL-10 image size ",
        kStlImageBytes,
        " (3 x 96 x 96); the file is truncated or not an "
        "STL-10 *_X.bin file"));
  }
  return static_cast<int64_t>(size / kStlImageBytes);
}

void DecodeStlImage(const uint8_t* src, Image* image) {
  constexpr int kPlane = kStlSide * kStlSide;
  image->height = image->width = kStlSide;
  image->channels = 3;
  image->pixels.resize(kStlImageBytes);
  uint8_t* dst = image->pixels.data();
  for (int c = 0; c < 3; ++c) {
    for (int x = 0; x < kStlSide; ++x) {    // column (slow axis on disk)
      for (int y = 0; y < kStlSide; ++y) {  // row (fast axis on disk)
        dst[(y * kStlSide + x) * 3 + c] = src[c * kPlane + x * kStlSide + y];
      }
    }
  }
}

absl::StatusOr<std::vector<Image>> ParseStlImages(absl::string_view bytes,
                                                  absl::string_view name,
                                                  int64_t max_images) {
  absl::StatusOr<int64_t> total = StlImageCount(bytes.size(), name);
  if (!total.ok()) return total.status();
  const int64_t count =
      std::min<int64_t>(*total, std::max<int64_t>(max_images, 0));
  std::vector<Image> images(count);
  for (int64_t i = 0; i < count; ++i) {
    DecodeStlImage(
        reinterpret_cast<const uint8_t*>(bytes.data()) + i * kStlImageBytes,
        &images[i]);
  }
  return images;
}

absl::StatusOr<std::vector<int64_t>> ParseStlLabels(absl::string_view bytes,
                                                    absl::string_view name) {
  if (bytes.empty()) {
    return absl::DataLossError(absl::StrCat(
        "'", name, "' is empty, expected one label byte per image"));
  }
  std::vector<int64_t> labels(bytes.size());
  for (size_t i = 0; i < bytes.size(); ++i) {
    const int value = static_cast<uint8_t>(bytes[i]);
    if (value < 1 || value > kStlNumClasses) {
      return absl::DataLossError(
          absl::StrCat("'", name, "': label ", i, " is ", value,
                       ", expected 1..10 (STL-10 labels are 1-based)"));
    }
    labels[i] = value - 1;
  }
  return labels;
}

}  // namespace data_internal
}  // namespace kd
