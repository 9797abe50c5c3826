#include "tests/data/test_files.h"

#include <png.h>
#include <turbojpeg.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "glog/logging.h"
#include "stb/stb_image_write.h"
#include "tests/testing/paths.h"

namespace kd {
namespace testing_data {

std::string NewTempDir() {
  static std::atomic<int> counter{0};
  std::filesystem::path dir =
      std::filesystem::path(::kd::testing::TestTempDir()) /
      ("kd_data_" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(
      std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), bytes.size());
  CHECK(out.good()) << "cannot write " << path;
}

uint8_t PatternPixel(int y, int x, int c, int seed) {
  return static_cast<uint8_t>((y * 7 + x * 13 + c * 31 + seed) % 256);
}

Image PatternImage(int height, int width, int channels, int seed) {
  Image image{height, width, channels, {}};
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      for (int c = 0; c < channels; ++c) {
        image.pixels.push_back(PatternPixel(y, x, c, seed));
      }
    }
  }
  return image;
}

Image FlatImage(int height, int width, uint8_t r, uint8_t g, uint8_t b) {
  Image image{height, width, 3, {}};
  for (int i = 0; i < height * width; ++i) {
    image.pixels.insert(image.pixels.end(), {r, g, b});
  }
  return image;
}

std::string CifarRecord(const std::vector<uint8_t>& label_bytes,
                        const Image& image) {
  CHECK_EQ(image.height, 32);
  CHECK_EQ(image.width, 32);
  CHECK_EQ(image.channels, 3);
  std::string record(label_bytes.begin(), label_bytes.end());
  for (int c = 0; c < 3; ++c) {
    for (int row = 0; row < 32; ++row) {
      for (int col = 0; col < 32; ++col) {
        record.push_back(
            static_cast<char>(image.pixels[(row * 32 + col) * 3 + c]));
      }
    }
  }
  return record;
}

std::string StlImage(const Image& image) {
  CHECK_EQ(image.height, 96);
  CHECK_EQ(image.width, 96);
  CHECK_EQ(image.channels, 3);
  std::string bytes;
  for (int c = 0; c < 3; ++c) {
    for (int col = 0; col < 96; ++col) {
      for (int row = 0; row < 96; ++row) {
        bytes.push_back(
            static_cast<char>(image.pixels[(row * 96 + col) * 3 + c]));
      }
    }
  }
  return bytes;
}

std::string IdxFile(const std::vector<uint32_t>& dims,
                    const std::string& data) {
  std::string bytes = {0, 0, 0x08, static_cast<char>(dims.size())};
  for (uint32_t d : dims) {
    for (int shift = 24; shift >= 0; shift -= 8) {
      bytes.push_back(static_cast<char>((d >> shift) & 0xff));
    }
  }
  return bytes + data;
}

std::string Gzip(const std::string& bytes) {
  z_stream stream;
  std::memset(&stream, 0, sizeof(stream));
  CHECK_EQ(deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8,
                        Z_DEFAULT_STRATEGY),
           Z_OK);
  std::string out(deflateBound(&stream, bytes.size()) + 64, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  stream.avail_in = bytes.size();
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = out.size();
  CHECK_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

std::string EncodeJpeg(const Image& image) {
  CHECK_EQ(image.channels, 3);
  tjhandle handle = tjInitCompress();
  unsigned char* jpeg = nullptr;
  unsigned long size = 0;
  CHECK_EQ(tjCompress2(handle, image.pixels.data(), image.width, 0,
                       image.height, TJPF_RGB, &jpeg, &size, TJSAMP_444, 95, 0),
           0)
      << tjGetErrorStr2(handle);
  std::string bytes(reinterpret_cast<char*>(jpeg), size);
  tjFree(jpeg);
  tjDestroy(handle);
  return bytes;
}

std::string EncodePng(const Image& image) {
  std::string bytes;
  auto append = [](void* context, void* data, int size) {
    static_cast<std::string*>(context)->append(static_cast<char*>(data), size);
  };
  CHECK(stbi_write_png_to_func(append, &bytes, image.width, image.height,
                               image.channels, image.pixels.data(),
                               image.width * image.channels));
  return bytes;
}

namespace {

using ::kd::testing::TestTempDir;

void AppendPngBytes(png_structp png, png_bytep data, size_t n) {
  static_cast<std::string*>(png_get_io_ptr(png))
      ->append(reinterpret_cast<char*>(data), n);
}

int PngChannels(int color_type) {
  switch (color_type) {
    case PngSpec::kGrey:
    case PngSpec::kPalette:
      return 1;
    case PngSpec::kGreyAlpha:
      return 2;
    case PngSpec::kRgb:
      return 3;
    default:
      return 4;
  }
}

}  // namespace

std::string EncodePngWithLibpng(const PngSpec& spec) {
  const int channels = PngChannels(spec.color_type);
  const int max_sample = (1 << spec.bit_depth) - 1;
  const int num_palette = spec.color_type == PngSpec::kPalette
                              ? std::min(1 << spec.bit_depth, 16)
                              : 0;
  std::vector<std::vector<png_byte>> rows(spec.height);
  for (int y = 0; y < spec.height; ++y) {
    std::vector<int> samples;
    for (int x = 0; x < spec.width; ++x) {
      for (int c = 0; c < channels; ++c) {
        int v = PatternPixel(y, x, c, spec.width * 3 + spec.height);
        if (spec.bit_depth == 16) v = v * 257 + (x * 5 + y) % 256;
        if (num_palette > 0) v %= num_palette;
        samples.push_back(spec.bit_depth < 8 ? v & max_sample : v);
      }
    }
    std::vector<png_byte>& row = rows[y];
    if (spec.bit_depth < 8) {  // packed, most significant bits first
      row.assign((samples.size() * spec.bit_depth + 7) / 8, 0);
      for (size_t i = 0; i < samples.size(); ++i) {
        const size_t bit = i * spec.bit_depth;
        row[bit / 8] |= samples[i] << (8 - spec.bit_depth - bit % 8);
      }
    } else {
      for (int v : samples) {
        if (spec.bit_depth == 16) row.push_back(v >> 8);
        row.push_back(v & 255);
      }
    }
  }
  std::vector<png_color> palette;
  for (int i = 0; i < num_palette; ++i) {
    palette.push_back({static_cast<png_byte>(i * 37 % 256),
                       static_cast<png_byte>(255 - i * 11),
                       static_cast<png_byte>(i * 90 % 256)});
  }
  std::vector<png_byte> alpha;
  for (int i = 0; i < num_palette / 2; ++i) alpha.push_back(i * 30);
  png_color_16 trans_color{};
  trans_color.gray = 1;
  trans_color.red = 1;
  trans_color.green = 2;
  trans_color.blue = 3;
  char key1[] = "Comment", text1[] = "kd test file";
  char key2[] = "Description", text2[] = "compressed text chunk";
  png_text texts[2] = {{PNG_TEXT_COMPRESSION_NONE, key1, text1, 0},
                       {PNG_TEXT_COMPRESSION_zTXt, key2, text2, 0}};
  std::vector<png_bytep> row_pointers;
  for (auto& row : rows) row_pointers.push_back(row.data());

  // Everything libpng may longjmp over is set up above; an error is fatal.
  std::string out;
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  CHECK(png != nullptr && info != nullptr);
  if (setjmp(png_jmpbuf(png))) LOG(FATAL) << "libpng write error";
  png_set_write_fn(png, &out, &AppendPngBytes, nullptr);
  png_set_user_limits(png, PNG_UINT_31_MAX, PNG_UINT_31_MAX);
  png_set_compression_level(png, 9);
  png_set_IHDR(png, info, spec.width, spec.height, spec.bit_depth,
               spec.color_type,
               spec.interlaced ? PNG_INTERLACE_ADAM7 : PNG_INTERLACE_NONE,
               PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  if (num_palette > 0) png_set_PLTE(png, info, palette.data(), num_palette);
  if (spec.trns && num_palette > 0) {
    png_set_tRNS(png, info, alpha.data(), alpha.size(), nullptr);
  } else if (spec.trns) {
    png_set_tRNS(png, info, nullptr, 0, &trans_color);
  }
  if (spec.ancillary) {
    png_set_gAMA(png, info, 1 / 2.2);
    png_set_text(png, info, texts, 2);
  }
  png_write_info(png, info);
  png_write_image(png, row_pointers.data());
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

}  // namespace testing_data
}  // namespace kd
