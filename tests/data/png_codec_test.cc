// PNG decoding (kd/data/image_codec.h, libpng): the pixels stb_image gave for
// every kind of PNG, and memory bounded by the header for hostile files (the
// regression files in fuzz/regressions/png).
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kd/data/image_codec.h"
#include "stb/stb_image.h"
#include "tests/data/test_files.h"

// The largest single heap request (malloc, calloc, realloc) made while
// g_track_allocations is set: glibc's allocator behind a counting front, so
// that allocations inside libpng and zlib are seen too.
extern "C" void* __libc_malloc(size_t);
extern "C" void* __libc_calloc(size_t, size_t);
extern "C" void* __libc_realloc(void*, size_t);

namespace {
std::atomic<bool> g_track_allocations{false};
std::atomic<size_t> g_largest_allocation{0};

void Track(size_t size) {
  if (!g_track_allocations.load(std::memory_order_relaxed)) return;
  size_t seen = g_largest_allocation.load(std::memory_order_relaxed);
  while (size > seen &&
         !g_largest_allocation.compare_exchange_weak(seen, size)) {
  }
}
}  // namespace

extern "C" void* malloc(size_t size) {
  Track(size);
  return __libc_malloc(size);
}
extern "C" void* calloc(size_t n, size_t size) {
  Track(n * size);
  return __libc_calloc(n, size);
}
extern "C" void* realloc(void* p, size_t size) {
  Track(size);
  return __libc_realloc(p, size);
}

namespace kd {
namespace {

using data_internal::DecodePng;
using testing::HasSubstr;
using testing_data::EncodePngWithLibpng;
using testing_data::PngSpec;

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

// Files of a directory of the source tree (the test's runfiles), sorted.
std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

// Decodes with DecodePng, returning the largest heap request made meanwhile.
absl::StatusOr<Image> DecodeTracked(const std::string& bytes,
                                    size_t* largest_allocation) {
  g_largest_allocation = 0;
  g_track_allocations = true;
  absl::StatusOr<Image> image = DecodePng(bytes, "test.png");
  g_track_allocations = false;
  *largest_allocation = g_largest_allocation;
  return image;
}

// The reference: stb_image's 3-channel decoding, which DecodePng used before.
void ExpectSameAsStbImage(const std::string& bytes, const std::string& name) {
  SCOPED_TRACE(name);
  int width = 0, height = 0, components = 0;
  stbi_uc* expected =
      stbi_load_from_memory(reinterpret_cast<const stbi_uc*>(bytes.data()),
                            bytes.size(), &width, &height, &components, 3);
  ASSERT_NE(expected, nullptr) << stbi_failure_reason();
  const std::vector<uint8_t> expected_pixels(expected,
                                             expected + width * height * 3);
  stbi_image_free(expected);
  absl::StatusOr<Image> image = DecodePng(bytes, name);
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->width, width);
  EXPECT_EQ(image->height, height);
  EXPECT_EQ(image->channels, 3);
  EXPECT_TRUE(image->pixels == expected_pixels);
}

TEST(PngCodecTest, CorpusFilesDecodeAsWithStbImage) {
  // Every colour type and bit depth, interlaced, tRNS, ancillary chunks.
  const std::vector<std::string> files = FilesIn("tests/data/fuzz/corpus/png");
  ASSERT_GE(files.size(), 15u);
  for (const std::string& path : files) {
    ExpectSameAsStbImage(ReadBytes(path), path);
  }
}

TEST(PngCodecTest, LargerImagesDecodeAsWithStbImage) {
  // Many IDAT chunks (libpng writes 8 KiB each), several row filters.
  ExpectSameAsStbImage(
      EncodePngWithLibpng({300, 200, PngSpec::kRgb, 8, /*interlaced=*/false}),
      "rgb 300x200");
  ExpectSameAsStbImage(
      EncodePngWithLibpng({301, 199, PngSpec::kRgba, 16, /*interlaced=*/true}),
      "rgba16 interlaced 301x199");
  ExpectSameAsStbImage(
      EncodePngWithLibpng({1, 1, PngSpec::kPalette, 2, /*interlaced=*/true}),
      "palette 1x1 interlaced");
}

TEST(PngCodecTest, WideOneRowImage) {
  // Wider than libpng's default limit of 1,000,000 columns.
  absl::StatusOr<Image> image =
      DecodePng(EncodePngWithLibpng({1100000, 1, PngSpec::kGrey, 1}), "wide");
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->width, 1100000);
  EXPECT_EQ(image->height, 1);
}

// The file a seeded libFuzzer run found: IHDR 16x12 grey, then an IDAT
// chunk whose length field says 1.6 GB. stb_image allocated 2 GiB for it.
TEST(PngCodecTest, RegressionIdatLengthBomb) {
  const std::string bytes =
      ReadBytes("tests/data/fuzz/regressions/png/oom_2gib_idat_16x12_grey.png");
  ASSERT_EQ(bytes.size(), 514u);
  size_t largest = 0;
  absl::StatusOr<Image> image = DecodeTracked(bytes, &largest);
  EXPECT_EQ(image.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(image.status().message(),
              HasSubstr("'test.png' is not a decodable PNG: "));
  EXPECT_LT(largest, size_t{1} << 20);
}

std::string Chunk(const std::string& type, const std::string& data) {
  auto be32 = [](uint32_t v) {
    return std::string({static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                        static_cast<char>(v >> 8), static_cast<char>(v)});
  };
  const std::string body = type + data;
  return be32(data.size()) + body +
         be32(crc32(0, reinterpret_cast<const Bytef*>(body.data()),
                    body.size()));
}

std::string Deflate(const std::string& bytes) {
  uLongf size = compressBound(bytes.size());
  std::string out(size, '\0');
  EXPECT_EQ(
      compress2(reinterpret_cast<Bytef*>(out.data()), &size,
                reinterpret_cast<const Bytef*>(bytes.data()), bytes.size(), 9),
      Z_OK);
  out.resize(size);
  return out;
}

// A 16x12 8-bit grey PNG with the given (zlib) image data, CRCs correct.
std::string GreyPng16x12(const std::string& idat) {
  const std::string ihdr = {0, 0, 0, 16, 0, 0, 0, 12, 8, 0, 0, 0, 0};
  return std::string("\x89PNG\r\n\x1a\n", 8) + Chunk("IHDR", ihdr) +
         Chunk("IDAT", idat) + Chunk("IEND", "");
}

std::string Rows16x12() {
  std::string rows;
  for (int y = 0; y < 12; ++y) {
    rows.push_back(0);  // filter type None
    for (int x = 0; x < 16; ++x) rows.push_back(y * 16 + x);
  }
  return rows;
}

TEST(PngCodecTest, ValidHandMadeFile) {
  absl::StatusOr<Image> image =
      DecodePng(GreyPng16x12(Deflate(Rows16x12())), "x.png");
  ASSERT_TRUE(image.ok()) << image.status();
  EXPECT_EQ(image->pixels[3 * (5 * 16 + 7)], 5 * 16 + 7);
}

TEST(PngCodecTest, DeflateBombIsRefusedWithBoundedMemoryAndTime) {
  // The 16x12 rows, then 64 MiB of zeros in the same zlib stream (a 65 KB
  // file; stb_image inflated it all into one growing buffer).
  std::string data = Rows16x12() + std::string(size_t{64} << 20, '\0');
  const std::string bomb = GreyPng16x12(Deflate(data));
  data = std::string();
  EXPECT_LT(bomb.size(), 100000u);
  size_t largest = 0;
  absl::StatusOr<Image> image = DecodeTracked(bomb, &largest);
  EXPECT_EQ(image.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(image.status().message(),
              HasSubstr("image data goes on for more than 4096 bytes after "
                        "the last row"));
  EXPECT_LT(largest, size_t{1} << 20);
}

TEST(PngCodecTest, CorruptFilesAreDataLoss) {
  const std::string valid = GreyPng16x12(Deflate(Rows16x12()));
  struct Case {
    std::string name;
    std::string bytes;
    std::string message;
  };
  std::string bad_crc = valid;
  bad_crc[bad_crc.size() - 12 - 1] ^= 1;  // IDAT's CRC (IEND is 12 bytes)
  std::string huge_length = valid;
  huge_length[8 + 25] = 0x7f;  // IDAT length 0x7f0000xx, past the file's end
  const std::string too_big =
      std::string("\x89PNG\r\n\x1a\n", 8) +
      Chunk("IHDR", {0, 0, 0x40, 0, 0, 0, 0x40, 0, 8, 0, 0, 0, 0}) +
      Chunk("IDAT", Deflate("")) + Chunk("IEND", "");
  const std::vector<Case> cases = {
      {"truncated", valid.substr(0, valid.size() - 20), "decodable PNG"},
      {"bad crc", bad_crc, "CRC error"},
      {"huge length", huge_length, "decodable PNG"},
      {"too few rows", GreyPng16x12(Deflate(Rows16x12().substr(0, 100))),
       "Not enough image data"},
      {"16384x16384", too_big, "header declares 16384x16384 pixels"},
      {"signature only", valid.substr(0, 8), "decodable PNG"},
      {"not a png", "GIF89a", "is not a PNG file"},
  };
  for (const Case& c : cases) {
    size_t largest = 0;
    absl::StatusOr<Image> image = DecodeTracked(c.bytes, &largest);
    EXPECT_EQ(image.status().code(), absl::StatusCode::kDataLoss) << c.name;
    EXPECT_THAT(std::string(image.status().message()), HasSubstr(c.message))
        << c.name;
    EXPECT_LT(largest, size_t{1} << 20) << c.name;
  }
}

}  // namespace
}  // namespace kd
