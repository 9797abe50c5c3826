#include "kd/data/cifar_format.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace kd {
namespace data_internal {

absl::StatusOr<CifarLabelColumns> ParseCifarLabels(
    absl::string_view bytes, int label_bytes,
    const std::vector<int64_t>& num_classes, absl::string_view name,
    int64_t max_records) {
  if (label_bytes < 1 || label_bytes > 2 ||
      static_cast<int>(num_classes.size()) != label_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("CIFAR parser: bad label layout (", label_bytes,
                     " label bytes, ", num_classes.size(), " class counts)"));
  }
  const size_t record = CifarRecordBytes(label_bytes);
  if (bytes.empty() || bytes.size() % record != 0) {
    return absl::DataLossError(absl::StrCat(
        "'", name, "' has ", bytes.size(),
        " bytes, expected a positive multiple of the CIFAR record size ",
        record, " (", label_bytes, " label byte(s) + 3072 pixel bytes); ",
        "the file is truncated or not a CIFAR binary batch"));
  }
  const int64_t count = std::min<int64_t>(bytes.size() / record,
                                          std::max<int64_t>(max_records, 0));
  CifarLabelColumns columns(label_bytes, std::vector<int64_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    const uint8_t* p =
        reinterpret_cast<const uint8_t*>(bytes.data()) + i * record;
    for (int k = 0; k < label_bytes; ++k) {
      if (p[k] >= num_classes[k]) {
        return absl::DataLossError(
            absl::StrCat("'", name, "': record ", i, " (byte offset ",
                         i * record + k, ") has label ", static_cast<int>(p[k]),
                         ", expected [0, ", num_classes[k], ")"));
      }
      columns[k][i] = p[k];
    }
  }
  return columns;
}

void DecodeCifarImage(const uint8_t* planes, Image* image) {
  constexpr int kPlane = kCifarSide * kCifarSide;
  image->height = image->width = kCifarSide;
  image->channels = 3;
  image->pixels.resize(kCifarPixelBytes);
  uint8_t* out = image->pixels.data();
  // Planar R, G, B (each row-major) -> interleaved HWC.
  for (int j = 0; j < kPlane; ++j) {
    out[3 * j + 0] = planes[j];
    out[3 * j + 1] = planes[kPlane + j];
    out[3 * j + 2] = planes[2 * kPlane + j];
  }
}

absl::StatusOr<CifarRecords> ParseCifarRecords(
    absl::string_view bytes, int label_bytes,
    const std::vector<int64_t>& num_classes, absl::string_view name,
    int64_t max_records) {
  CifarRecords out;
  absl::StatusOr<CifarLabelColumns> labels =
      ParseCifarLabels(bytes, label_bytes, num_classes, name, max_records);
  if (!labels.ok()) return labels.status();
  out.label_columns = *std::move(labels);
  const int64_t count = out.label_columns[0].size();
  const int64_t record = CifarRecordBytes(label_bytes);
  out.images.resize(count);
  for (int64_t i = 0; i < count; ++i) {
    DecodeCifarImage(reinterpret_cast<const uint8_t*>(bytes.data()) +
                         i * record + label_bytes,
                     &out.images[i]);
  }
  return out;
}

}  // namespace data_internal
}  // namespace kd
