#include "tests/data/test_files.h"

#include <turbojpeg.h>
#include <zlib.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "glog/logging.h"
#include "stb/stb_image_write.h"

namespace kd {
namespace testing_data {

std::string NewTempDir() {
  static std::atomic<int> counter{0};
  const char* root = std::getenv("TEST_TMPDIR");
  std::filesystem::path dir =
      std::filesystem::path(root != nullptr ? root : "/tmp") /
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

}  // namespace testing_data
}  // namespace kd
