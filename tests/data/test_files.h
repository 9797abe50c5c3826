// Writers of small data set files in the official byte layouts, for the
// reader tests. They are written from the data sets' documentation,
// independently of the parsers in kd/data (see each function's comment).
#ifndef KD_TESTS_DATA_TEST_FILES_H_
#define KD_TESTS_DATA_TEST_FILES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "kd/data/dataset.h"

namespace kd {
namespace testing_data {

// A fresh, empty directory under the test's TEST_TMPDIR.
std::string NewTempDir();

// Writes `bytes` to `path`, creating parent directories.
void WriteFile(const std::string& path, const std::string& bytes);

// An image whose pixel (y, x, c) is (y * 7 + x * 13 + c * 31 + seed) % 256.
Image PatternImage(int height, int width, int channels, int seed);
uint8_t PatternPixel(int y, int x, int c, int seed);

// One CIFAR record (https://www.cs.toronto.edu/~kriz/cifar.html, "Binary
// version"): the label byte(s), then 1024 red, 1024 green, 1024 blue bytes,
// each plane row-major (byte 32 * row + column). `image` is 32x32x3 HWC.
std::string CifarRecord(const std::vector<uint8_t>& label_bytes,
                        const Image& image);

// One STL-10 image (https://cs.stanford.edu/~acoates/stl10/, "column-major
// order, one channel at a time"): for each channel, for each column x, the
// 96 rows y. `image` is 96x96x3 HWC.
std::string StlImage(const Image& image);

// An unsigned-byte IDX file (http://yann.lecun.com/exdb/mnist/): 00 00 08
// <rank>, then each dimension as a big-endian uint32, then the data.
std::string IdxFile(const std::vector<uint32_t>& dims, const std::string& data);

// gzip (RFC 1952) of `bytes`, with zlib.
std::string Gzip(const std::string& bytes);

// Encodes a 3-channel image with libjpeg-turbo (quality 95, 4:4:4).
std::string EncodeJpeg(const Image& image);
// Encodes a 1- or 3-channel image as PNG with stb_image_write.
std::string EncodePng(const Image& image);

// A PNG of any colour type and bit depth the PNG spec allows, written with
// libpng: samples from PatternPixel, cut to the bit depth (palette indices
// cycle through a palette of min(2^depth, 16) colours).
struct PngSpec {
  // PNG colour types (IHDR byte 9).
  static constexpr int kGrey = 0, kRgb = 2, kPalette = 3, kGreyAlpha = 4,
                       kRgba = 6;
  int width;
  int height;
  int color_type;
  int bit_depth;            // 1, 2, 4, 8 or 16 where the type allows it
  bool interlaced = false;  // Adam7
  bool trns = false;        // a tRNS chunk (colour key or palette alpha)
  bool ancillary = false;   // gAMA, tEXt and zTXt chunks
};
std::string EncodePngWithLibpng(const PngSpec& spec);

// Bytes of an image filled with one colour (JPEG-friendly: decodes almost
// exactly).
Image FlatImage(int height, int width, uint8_t r, uint8_t g, uint8_t b);

}  // namespace testing_data
}  // namespace kd

#endif  // KD_TESTS_DATA_TEST_FILES_H_
