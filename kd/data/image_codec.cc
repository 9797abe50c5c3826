#include "kd/data/image_codec.h"

#include <png.h>
#include <turbojpeg.h>

#include <algorithm>
#include <atomic>
#include <csetjmp>
#include <cstdio>
#include <cstring>
#include <memory>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "kd/data/file_io.h"

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

// --- PNG (libpng) ---
// libpng reports errors by longjmp()ing to the last setjmp(). The Png*
// functions below each set their own jump point and hold no C++ objects
// (nothing to destroy is skipped); the error callback copies the message
// into a fixed buffer first.
struct PngError {
  char message[200] = "unknown libpng error";
};

// libpng inflates the image data row by row into buffers sized by the
// header, but after the last row it inflates whatever compressed data is
// left (into a small buffer, so without memory cost) just to find the
// stream's end: up to ~1000x the input in CPU time. PngRead stops that: a
// valid stream ends a few bytes after the last row.
constexpr size_t kMaxIdatBytesAfterImage = 4096;
constexpr png_uint_32 kIdat = 0x49444154;  // "IDAT"

struct PngInput {
  const unsigned char* data;
  size_t size;
  size_t pos = 0;
  // Set once the header is read.
  bool header_read = false;
  bool interlaced = false;
  png_uint_32 height = 0;
  size_t idat_bytes_after_image = 0;
};

[[noreturn]] void PngOnError(png_structp png, png_const_charp message) {
  auto* error = static_cast<PngError*>(png_get_error_ptr(png));
  std::snprintf(error->message, sizeof(error->message), "%s", message);
  png_longjmp(png, 1);
}

void PngOnWarning(png_structp, png_const_charp) {}

// True once every row of the image has been decoded (libpng's sequential
// reader: all 7 passes done, or row `height` reached).
bool PngImageComplete(png_structp png, const PngInput& input) {
  return input.interlaced ? png_get_current_pass_number(png) >= 7
                          : png_get_current_row_number(png) >= input.height;
}

void PngRead(png_structp png, png_bytep out, size_t n) {
  auto* input = static_cast<PngInput*>(png_get_io_ptr(png));
  if (n > input->size - input->pos) {
    png_error(png, "unexpected end of file");
  }
  if (input->header_read && png_get_io_chunk_type(png) == kIdat &&
      PngImageComplete(png, *input)) {
    input->idat_bytes_after_image += n;
    if (input->idat_bytes_after_image > kMaxIdatBytesAfterImage) {
      png_error(png,
                "the image data goes on for more than 4096 bytes after the "
                "last row");
    }
  }
  std::memcpy(out, input->data + input->pos, n);
  input->pos += n;
}

// Owns a libpng read struct that reads `bytes` from memory.
struct PngReader {
  explicit PngReader(absl::string_view bytes)
      : input{reinterpret_cast<const unsigned char*>(bytes.data()),
              bytes.size()} {
    png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &error, &PngOnError,
                                 &PngOnWarning);
    if (png != nullptr) info = png_create_info_struct(png);
  }
  ~PngReader() { png_destroy_read_struct(&png, &info, nullptr); }
  PngReader(const PngReader&) = delete;
  PngReader& operator=(const PngReader&) = delete;

  PngError error;
  PngInput input;
  png_structp png = nullptr;
  png_infop info = nullptr;
};

// Reads the chunks up to the image data (IHDR, PLTE, tRNS). Refuses widths
// and heights above `max_dimension`.
bool PngReadHeader(png_structp png, png_infop info, PngInput* input,
                   png_uint_32 max_dimension) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_set_read_fn(png, input, &PngRead);
  png_set_user_limits(png, max_dimension, max_dimension);
  // The memory bound: libpng inflates the image data row by row into
  // buffers sized by the header, reading IDAT data in 8 KiB pieces whatever
  // a chunk's length field says. Ancillary chunks (text, ICC profiles, ...:
  // all but tRNS) are skipped unread, so no chunk is decompressed or
  // buffered whole; the caps are a backstop.
  png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, nullptr, -1);
  png_set_chunk_malloc_max(png, 1 << 20);
  png_set_chunk_cache_max(png, 128);
  png_read_info(png, info);
  return true;
}

// Asks for 8-bit RGB rows whatever the file's format, as stb_image's
// req_comp=3 gave: palette and grey expanded (grey bit depths < 8 scaled to
// 0..255), 16-bit samples cut to their high byte, alpha (and tRNS) dropped
// without compositing, gamma and colour chunks ignored, interlacing undone.
bool PngSetRgb8(png_structp png, png_infop info) {
  if (setjmp(png_jmpbuf(png))) return false;
  const png_byte color_type = png_get_color_type(png, info);
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if ((color_type & PNG_COLOR_MASK_COLOR) == 0) {
    png_set_expand_gray_1_2_4_to_8(png);
    png_set_gray_to_rgb(png);
  }
  png_set_strip_16(png);
  png_set_strip_alpha(png);
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  return true;
}

// Decodes the image into `rows` and reads the chunks after it up to IEND
// (a CRC error in a critical chunk is an error, as before the image).
bool PngReadRows(png_structp png, png_bytepp rows) {
  if (setjmp(png_jmpbuf(png))) return false;
  png_read_image(png, rows);
  png_read_end(png, nullptr);
  return true;
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
  PngReader reader(bytes);
  if (reader.png == nullptr || reader.info == nullptr) {
    return absl::InternalError("png_create_read_struct failed");
  }
  auto error = [&] {
    return absl::DataLossError(absl::StrCat(
        "'", name, "' is not a decodable PNG: ", reader.error.message));
  };
  // A width or height above max_pixels cannot pass CheckDimensions; libpng's
  // default limit (1,000,000) would refuse valid one-row images.
  const png_uint_32 max_dimension = static_cast<png_uint_32>(
      std::min<int64_t>(std::max<int64_t>(max_pixels, 1), PNG_UINT_31_MAX));
  if (!PngReadHeader(reader.png, reader.info, &reader.input, max_dimension)) {
    return error();
  }
  const int64_t width = png_get_image_width(reader.png, reader.info);
  const int64_t height = png_get_image_height(reader.png, reader.info);
  absl::Status dims = CheckDimensions(width, height, max_pixels, name, "PNG");
  if (!dims.ok()) return dims;
  reader.input.height = static_cast<png_uint_32>(height);
  reader.input.interlaced =
      png_get_interlace_type(reader.png, reader.info) != PNG_INTERLACE_NONE;
  reader.input.header_read = true;
  if (!PngSetRgb8(reader.png, reader.info)) return error();
  const size_t row_bytes = static_cast<size_t>(width) * 3;
  if (png_get_rowbytes(reader.png, reader.info) != row_bytes) {
    return absl::InternalError(
        absl::StrCat("'", name, "': PNG rows are ",
                     png_get_rowbytes(reader.png, reader.info),
                     " bytes after conversion to RGB, expected ", row_bytes));
  }
  Image image;
  image.width = static_cast<int>(width);
  image.height = static_cast<int>(height);
  image.channels = 3;
  image.pixels.resize(row_bytes * height);
  std::vector<png_bytep> rows(height);
  for (int64_t y = 0; y < height; ++y) {
    rows[y] = image.pixels.data() + y * row_bytes;
  }
  if (!PngReadRows(reader.png, rows.data())) return error();
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
