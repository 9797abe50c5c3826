// Decoding of compressed images into 8-bit RGB HWC Images: JPEG with
// libjpeg-turbo's TurboJPEG API (the same libjpeg defaults PIL uses: accurate
// integer DCT, fancy upsampling), PNG with libpng. Thread-safe. Memory use
// is bounded by what the header declares (plus small fixed buffers), however
// whatever the rest of the file holds.
#ifndef KD_DATA_IMAGE_CODEC_H_
#define KD_DATA_IMAGE_CODEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kd/data/dataset.h"

namespace kd {
namespace data_internal {

// Decoded images larger than this many pixels are refused (a corrupt header
// must not allocate gigabytes).
inline constexpr int64_t kMaxImagePixels = int64_t{1} << 26;

// Decodes a JPEG to 3-channel RGB (grey and CMYK JPEGs are converted). Any
// libjpeg warning (e.g. premature end of data) is an error: a partly decoded
// image is not silently accepted. `name` (the file) is used in errors.
absl::StatusOr<Image> DecodeJpeg(absl::string_view bytes,
                                 absl::string_view name,
                                 int64_t max_pixels = kMaxImagePixels);

// Decodes a PNG to 3-channel RGB (grey/alpha are converted, alpha dropped,
// 16-bit samples cut to their high byte: the pixels stb_image gave). Corrupt
// files (bad CRC, truncated, image data longer than the header implies) are
// DATA_LOSS errors.
absl::StatusOr<Image> DecodePng(absl::string_view bytes, absl::string_view name,
                                int64_t max_pixels = kMaxImagePixels);

// JPEG or PNG, chosen by the file's magic bytes (not its extension).
absl::StatusOr<Image> DecodeImage(absl::string_view bytes,
                                  absl::string_view name,
                                  int64_t max_pixels = kMaxImagePixels);

// Reads and decodes an image file.
absl::StatusOr<Image> ReadImageFile(const std::string& path);

// Reads and decodes many files on up to `num_threads` threads (0: one per
// core). The error, if any, is that of the first failing path in order.
absl::StatusOr<std::vector<Image>> ReadImageFiles(
    const std::vector<std::string>& paths, int num_threads = 0);

}  // namespace data_internal
}  // namespace kd

#endif  // KD_DATA_IMAGE_CODEC_H_
