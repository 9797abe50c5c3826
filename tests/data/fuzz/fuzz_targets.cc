#include "tests/data/fuzz/fuzz_targets.h"

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "glog/logging.h"
#include "kd/data/cifar_format.h"
#include "kd/data/file_io.h"
#include "kd/data/idx_dataset.h"
#include "kd/data/image_codec.h"
#include "kd/data/stl_format.h"

namespace kd {
namespace {

absl::string_view Bytes(const uint8_t* data, size_t size) {
  return absl::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace

namespace fuzz_cifar {
absl::Status FuzzOne(const uint8_t* data, size_t size) {
  if (size == 0) return absl::InvalidArgumentError("empty input");
  const bool cifar100 = data[0] % 2 == 1;
  const absl::string_view file = Bytes(data + 1, size - 1);
  const int label_bytes = cifar100 ? 2 : 1;
  const std::vector<int64_t> classes =
      cifar100 ? std::vector<int64_t>{20, 100} : std::vector<int64_t>{10};
  absl::StatusOr<data_internal::CifarRecords> records =
      data_internal::ParseCifarRecords(file, label_bytes, classes, "fuzz");
  if (!records.ok()) return records.status();
  const size_t record = label_bytes + 3072;
  CHECK_EQ(file.size() % record, 0u);
  CHECK_EQ(records->images.size(), file.size() / record);
  for (size_t i = 0; i < records->images.size(); ++i) {
    CHECK_EQ(records->images[i].pixels.size(), 3072u);
    for (int k = 0; k < label_bytes; ++k) {
      CHECK_GE(records->label_columns[k][i], 0);
      CHECK_LT(records->label_columns[k][i], classes[k]);
    }
  }
  return absl::OkStatus();
}
}  // namespace fuzz_cifar

namespace fuzz_stl {
absl::Status FuzzOne(const uint8_t* data, size_t size) {
  if (size == 0) return absl::InvalidArgumentError("empty input");
  const absl::string_view file = Bytes(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    absl::StatusOr<std::vector<Image>> images =
        data_internal::ParseStlImages(file, "fuzz_X.bin");
    if (!images.ok()) return images.status();
    CHECK_EQ(images->size() * 27648, file.size());
    for (const Image& image : *images) CHECK_EQ(image.pixels.size(), 27648u);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<int64_t>> labels =
      data_internal::ParseStlLabels(file, "fuzz_y.bin");
  if (!labels.ok()) return labels.status();
  CHECK_EQ(labels->size(), file.size());
  for (int64_t label : *labels) {
    CHECK_GE(label, 0);
    CHECK_LT(label, 10);
  }
  return absl::OkStatus();
}
}  // namespace fuzz_stl

namespace fuzz_idx {
absl::Status FuzzOne(const uint8_t* data, size_t size) {
  if (size < 4) return absl::InvalidArgumentError("input shorter than 4 bytes");
  const uint64_t first = (uint64_t{data[0]} << 24) | (uint64_t{data[1]} << 16) |
                         (uint64_t{data[2]} << 8) | data[3];
  const absl::string_view rest = Bytes(data + 4, size - 4);
  if (first > rest.size()) {
    return absl::InvalidArgumentError("length prefix beyond the input");
  }
  std::string files[2] = {std::string(rest.substr(0, first)),
                          std::string(rest.substr(first))};
  for (std::string& file : files) {
    if (data_internal::LooksGzipped(file)) {
      // 64 MiB cap: a gzip bomb must fail, not exhaust memory.
      absl::StatusOr<std::string> inflated =
          data_internal::Gunzip(file, "fuzz.gz", uint64_t{64} << 20);
      if (!inflated.ok()) return inflated.status();
      file = *std::move(inflated);
    }
  }
  std::vector<Image> images;
  std::vector<int64_t> labels;
  absl::Status status =
      data_internal::ParseIdxPair(files[0], files[1], 10, &images, &labels);
  if (!status.ok()) return status;
  CHECK_EQ(images.size(), labels.size());
  CHECK(!images.empty());
  for (size_t i = 0; i < images.size(); ++i) {
    CHECK_EQ(images[i].pixels.size(),
             static_cast<size_t>(images[i].height) * images[i].width);
    CHECK_GE(labels[i], 0);
    CHECK_LT(labels[i], 10);
  }
  return absl::OkStatus();
}
}  // namespace fuzz_idx

namespace fuzz_jpeg {
absl::Status FuzzOne(const uint8_t* data, size_t size) {
  constexpr int64_t kMaxPixels = 1 << 20;
  absl::StatusOr<Image> image =
      data_internal::DecodeJpeg(Bytes(data, size), "fuzz.jpg", kMaxPixels);
  if (!image.ok()) return image.status();
  CHECK_GT(image->height, 0);
  CHECK_GT(image->width, 0);
  CHECK_LE(int64_t{image->height} * image->width, kMaxPixels);
  CHECK_EQ(image->channels, 3);
  CHECK_EQ(image->pixels.size(),
           static_cast<size_t>(image->height) * image->width * 3);
  return absl::OkStatus();
}
}  // namespace fuzz_jpeg

namespace fuzz_png {
absl::Status FuzzOne(const uint8_t* data, size_t size) {
  constexpr int64_t kMaxPixels = 1 << 20;
  absl::StatusOr<Image> image =
      data_internal::DecodePng(Bytes(data, size), "fuzz.png", kMaxPixels);
  if (!image.ok()) return image.status();
  CHECK_GT(image->height, 0);
  CHECK_GT(image->width, 0);
  CHECK_LE(int64_t{image->height} * image->width, kMaxPixels);
  CHECK_EQ(image->channels, 3);
  CHECK_EQ(image->pixels.size(),
           static_cast<size_t>(image->height) * image->width * 3);
  return absl::OkStatus();
}
}  // namespace fuzz_png

}  // namespace kd
