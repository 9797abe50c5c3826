#include "kd/data/image_codec.h"

#include <turbojpeg.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "kd/data/file_io.h"
#include "stb/stb_image.h"

namespace kd {
namespace data_internal {
namespace {

constexpr unsigned char kPngMagic[8] = {0x89, 'P',  'N',  'G',
                                        '\r', '\n', 0x1a, '\n'};

bool IsJpeg(absl::string_view bytes) {
  // SOI marker FF D8 followed by the next marker's FF (ITU T.81, B.1.1.3).
  return bytes.size() >= 3 && static_cast<uint8_t>(bytes[0]) == 0xff &&
         static_cast<uint8_t>(bytes[1]) == 0xd8 &&
         static_cast<uint8_t>(bytes[2]) == 0xff;
}

bool IsPng(absl::string_view bytes) {
  return bytes.size() >= 8 && std::memcmp(bytes.data(), kPngMagic, 8) == 0;
}

absl::Status CheckDimensions(int64_t width, int64_t height, int64_t max_pixels,
                             absl::string_view name, absl::string_view kind) {
  if (width <= 0 || height <= 0 || width * height > max_pixels) {
    return absl::DataLossError(
        absl::StrCat("'", name, "': ", kind, " header declares ", width, "x",
                     height, " pixels, expected a positive size of at most ",
                     max_pixels, " pixels"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Image> DecodeJpeg(absl::string_view bytes,
                                 absl::string_view name, int64_t max_pixels) {
  if (!IsJpeg(bytes)) {
    return absl::DataLossError(absl::StrCat(
        "'", name,
        "' is not a JPEG file (expected start-of-image bytes ff d8 "
        "ff, found ",
        bytes.size(), " bytes that do not start with them)"));
  }
  std::unique_ptr<void, int (*)(tjhandle)> handle(tjInitDecompress(),
                                                  &tjDestroy);
  if (handle == nullptr) {
    return absl::InternalError("tjInitDecompress failed");
  }
  auto* data = reinterpret_cast<const unsigned char*>(bytes.data());
  const unsigned long size = bytes.size();
  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(handle.get(), data, size, &width, &height,
                          &subsampling, &colorspace) != 0) {
    return absl::DataLossError(absl::StrCat(
        "'", name,
        "' is not a decodable JPEG: ", tjGetErrorStr2(handle.get())));
  }
  absl::Status dims = CheckDimensions(width, height, max_pixels, name, "JPEG");
  if (!dims.ok()) return dims;
  Image image;
  image.width = width;
  image.height = height;
  image.channels = 3;
  image.pixels.resize(static_cast<size_t>(width) * height * 3);
  // STOPONWARNING: a truncated or corrupt stream is an error, not a partly
  // grey image. LIMITSCANS: refuse progressive JPEGs with > 500 scans (a
  // known decompression-time bomb).
  if (tjDecompress2(handle.get(), data, size, image.pixels.data(), width,
                    /*pitch=*/0, height, TJPF_RGB,
                    TJFLAG_STOPONWARNING | TJFLAG_LIMITSCANS) != 0) {
    return absl::DataLossError(absl::StrCat(
        "'", name,
        "' is not a decodable JPEG: ", tjGetErrorStr2(handle.get())));
  }
  return image;
}

absl::StatusOr<Image> DecodePng(absl::string_view bytes, absl::string_view name,
                                int64_t max_pixels) {
  if (!IsPng(bytes)) {
    return absl::DataLossError(absl::StrCat(
        "'", name, "' is not a PNG file (expected the 8-byte PNG signature)"));
  }
  if (bytes.size() > static_cast<size_t>(INT32_MAX)) {
    return absl::ResourceExhaustedError(
        absl::StrCat("'", name, "' is too large for the PNG decoder"));
  }
  auto* data = reinterpret_cast<const stbi_uc*>(bytes.data());
  const int size = static_cast<int>(bytes.size());
  int width = 0, height = 0, components = 0;
  if (!stbi_info_from_memory(data, size, &width, &height, &components)) {
    return absl::DataLossError(absl::StrCat(
        "'", name, "' is not a decodable PNG: ", stbi_failure_reason()));
  }
  absl::Status dims = CheckDimensions(width, height, max_pixels, name, "PNG");
  if (!dims.ok()) return dims;
  std::unique_ptr<stbi_uc, void (*)(void*)> pixels(
      stbi_load_from_memory(data, size, &width, &height, &components, 3),
      &stbi_image_free);
  if (pixels == nullptr) {
    return absl::DataLossError(absl::StrCat(
        "'", name, "' is not a decodable PNG: ", stbi_failure_reason()));
  }
  Image image;
  image.width = width;
  image.height = height;
  image.channels = 3;
  image.pixels.assign(pixels.get(),
                      pixels.get() + static_cast<size_t>(width) * height * 3);
  return image;
}

absl::StatusOr<Image> DecodeImage(absl::string_view bytes,
                                  absl::string_view name, int64_t max_pixels) {
  if (IsJpeg(bytes)) return DecodeJpeg(bytes, name, max_pixels);
  if (IsPng(bytes)) return DecodePng(bytes, name, max_pixels);
  return absl::DataLossError(
      absl::StrCat("'", name, "' is neither a JPEG nor a PNG (", bytes.size(),
                   " bytes without a JPEG or PNG signature)"));
}

absl::StatusOr<Image> ReadImageFile(const std::string& path) {
  absl::StatusOr<std::string> bytes = ReadFile(path, uint64_t{1} << 30);
  if (!bytes.ok()) return bytes.status();
  return DecodeImage(*bytes, path);
}

absl::StatusOr<std::vector<Image>> ReadImageFiles(
    const std::vector<std::string>& paths, int num_threads) {
  const int64_t n = static_cast<int64_t>(paths.size());
  if (num_threads <= 0) {
    num_threads = std::max(1u, std::thread::hardware_concurrency());
  }
  num_threads = static_cast<int>(std::min<int64_t>(num_threads, n));
  std::vector<Image> images(n);
  std::vector<absl::Status> errors(n);
  std::atomic<int64_t> next{0};
  std::atomic<bool> failed{false};
  auto work = [&] {
    for (int64_t i = next++; i < n && !failed; i = next++) {
      absl::StatusOr<Image> image = ReadImageFile(paths[i]);
      if (image.ok()) {
        images[i] = *std::move(image);
      } else {
        errors[i] = image.status();
        failed = true;
      }
    }
  };
  std::vector<std::thread> threads;
  for (int t = 1; t < num_threads; ++t) threads.emplace_back(work);
  work();
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& error : errors) {
    if (!error.ok()) return error;
  }
  return images;
}

}  // namespace data_internal
}  // namespace kd
