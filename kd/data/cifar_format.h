// Parser of the CIFAR-10/100 binary record format (no file access, so it can
// be fuzzed).
//
// Layout, from https://www.cs.toronto.edu/~kriz/cifar.html ("Binary version"):
//   CIFAR-10  record: <1 x label><3072 x pixel>
//   CIFAR-100 record: <1 x coarse label><1 x fine label><3072 x pixel>
// "The first 1024 bytes are the red channel values, the next 1024 the green,
// and the final 1024 the blue. The values are stored in row-major order, so
// the first 32 bytes are the red channel values of the first row of the
// image." A file is records back to back with no header.
#ifndef KD_DATA_CIFAR_FORMAT_H_
#define KD_DATA_CIFAR_FORMAT_H_

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "kd/data/dataset.h"

namespace kd {
namespace data_internal {

inline constexpr int kCifarSide = 32;
inline constexpr int kCifarPixelBytes = 3 * kCifarSide * kCifarSide;  // 3072

// Size of one record with `label_bytes` leading label bytes.
inline constexpr int64_t CifarRecordBytes(int label_bytes) {
  return label_bytes + kCifarPixelBytes;
}

// label_columns[k][i]: label byte k of record i (CIFAR-100: k=0 coarse, k=1
// fine).
using CifarLabelColumns = std::vector<std::vector<int64_t>>;

// Validates a file of records with `label_bytes` (1 or 2) leading label bytes
// and returns their labels, without decoding any image. The size must be a
// positive multiple of the record size; label byte k must be below
// num_classes[k]. At most `max_records` records are read (the size is checked
// anyway). `name` (the file) is used in errors.
absl::StatusOr<CifarLabelColumns> ParseCifarLabels(
    absl::string_view bytes, int label_bytes,
    const std::vector<int64_t>& num_classes, absl::string_view name,
    int64_t max_records = std::numeric_limits<int64_t>::max());

// Decodes the 3072 planar pixel bytes of one record (after its label bytes)
// into a 32x32x3 HWC image.
void DecodeCifarImage(const uint8_t* planes, Image* image);

struct CifarRecords {
  std::vector<Image> images;  // 32x32x3 HWC
  CifarLabelColumns label_columns;
};

// ParseCifarLabels, then every record's image decoded (DecodeCifarImage).
absl::StatusOr<CifarRecords> ParseCifarRecords(
    absl::string_view bytes, int label_bytes,
    const std::vector<int64_t>& num_classes, absl::string_view name,
    int64_t max_records = std::numeric_limits<int64_t>::max());

}  // namespace data_internal
}  // namespace kd

#endif  // KD_DATA_CIFAR_FORMAT_H_
