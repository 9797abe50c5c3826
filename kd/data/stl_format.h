// Parser of the STL-10 binary format (no file access, so it can be fuzzed).
//
// Layout, from https://cs.stanford.edu/~acoates/stl10/ ("Binary files"):
// "The images are stored in column-major order, one channel at a time. That
// is, the first 96*96 values are the red channel, the next 96*96 are green,
// and the last are blue. The labels are in the range 1 to 10." *_X.bin is
// uint8 images back to back (no header), *_y.bin one uint8 label per image.
// So byte c*96*96 + x*96 + y of an image is channel c at row y, column x:
// read as [N, 3, 96, 96] the last two axes are (column, row), which is why
// the reference loaders transpose H and W.
#ifndef KD_DATA_STL_FORMAT_H_
#define KD_DATA_STL_FORMAT_H_

#include <cstdint>
#include <limits>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kd/data/dataset.h"

namespace kd {
namespace data_internal {

inline constexpr int kStlSide = 96;
inline constexpr int kStlImageBytes = 3 * kStlSide * kStlSide;  // 27648
inline constexpr int kStlNumClasses = 10;

// Number of images in a *_X.bin file of `size` bytes; a size that is not a
// positive multiple of 27648 is an error naming `name`.
absl::StatusOr<int64_t> StlImageCount(uint64_t size, absl::string_view name);

// Decodes one image's 27648 bytes (column-major planes) into 96x96x3 HWC.
void DecodeStlImage(const uint8_t* src, Image* image);

// Images of a *_X.bin file as 96x96x3 HWC (StlImageCount, then
// DecodeStlImage for each). At most `max_images` are decoded.
absl::StatusOr<std::vector<Image>> ParseStlImages(
    absl::string_view bytes, absl::string_view name,
    int64_t max_images = std::numeric_limits<int64_t>::max());

// Labels of a *_y.bin file, mapped from 1..10 to 0..9. Any other byte is an
// error naming its position.
absl::StatusOr<std::vector<int64_t>> ParseStlLabels(absl::string_view bytes,
                                                    absl::string_view name);

}  // namespace data_internal
}  // namespace kd

#endif  // KD_DATA_STL_FORMAT_H_
