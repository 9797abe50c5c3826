// Writes the seed corpora of the fuzz targets (fuzz_targets.h): a few small
// valid inputs per target, in the input layout each FuzzOne expects, built
// with the test-file writers of tests/data/test_files.h (and TurboJPEG
// options EncodeJpeg does not take).
//
//   bazel run //tests/data:make_fuzz_corpus -- "$PWD/tests/data/fuzz/corpus"
//
// writes <dir>/<target>/<name> for target in cifar, stl, idx, jpeg, png. The
// output is deterministic; the files are committed (see docs/data.md).
#include <turbojpeg.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "glog/logging.h"
#include "tests/data/test_files.h"

namespace kd {
namespace {

using testing_data::CifarRecord;
using testing_data::EncodeJpeg;
using testing_data::EncodePng;
using testing_data::EncodePngWithLibpng;
using testing_data::Gzip;
using testing_data::IdxFile;
using testing_data::PatternImage;
using testing_data::PngSpec;
using testing_data::StlImage;
using testing_data::WriteFile;

// ------------------------------------------------------------------ JPEG ---
// `channels` 1 (grey) or 3, TurboJPEG subsampling and flags.
std::string Jpeg(int height, int width, int channels, int subsampling,
                 int flags, int quality) {
  const Image image = PatternImage(height, width, channels, height + width);
  tjhandle handle = tjInitCompress();
  CHECK(handle != nullptr);
  unsigned char* out = nullptr;
  unsigned long size = 0;
  CHECK_EQ(tjCompress2(handle, image.pixels.data(), width, 0, height,
                       channels == 1 ? TJPF_GRAY : TJPF_RGB, &out, &size,
                       subsampling, quality, flags),
           0)
      << tjGetErrorStr2(handle);
  std::string bytes(reinterpret_cast<char*>(out), size);
  tjFree(out);
  tjDestroy(handle);
  return bytes;
}

std::string IdxPair(const std::string& images, const std::string& labels) {
  const uint32_t n = images.size();
  return std::string({static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                      static_cast<char>(n >> 8), static_cast<char>(n)}) +
         images + labels;
}

void WriteCorpus(const std::string& dir) {
  // CIFAR: byte 0 even = CIFAR-10 (1 label byte), odd = CIFAR-100 (2).
  WriteFile(dir + "/cifar/cifar10_1record",
            std::string(1, 0) + CifarRecord({3}, PatternImage(32, 32, 3, 0)));
  WriteFile(dir + "/cifar/cifar10_2records",
            std::string(1, 0) + CifarRecord({0}, PatternImage(32, 32, 3, 1)) +
                CifarRecord({9}, PatternImage(32, 32, 3, 2)));
  WriteFile(
      dir + "/cifar/cifar100_1record",
      std::string(1, 1) + CifarRecord({19, 99}, PatternImage(32, 32, 3, 3)));

  // STL-10: byte 0 even = *_X.bin images, odd = *_y.bin labels (1..10).
  WriteFile(dir + "/stl/images_1",
            std::string(1, 0) + StlImage(PatternImage(96, 96, 3, 4)));
  WriteFile(dir + "/stl/labels_3", std::string(1, 1) + std::string({1, 10, 5}));
  WriteFile(dir + "/stl/labels_10",
            std::string(1, 1) + std::string({1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));

  // IDX: 4-byte big-endian length of the images file, images, labels.
  std::string pixels;
  for (int i = 0; i < 2 * 4 * 5; ++i) pixels.push_back(i * 3);
  const std::string images = IdxFile({2, 4, 5}, pixels);
  const std::string labels = IdxFile({2}, {7, 1});
  WriteFile(dir + "/idx/plain_2x4x5", IdxPair(images, labels));
  WriteFile(dir + "/idx/gzip_2x4x5", IdxPair(Gzip(images), Gzip(labels)));
  std::string mnist_like;
  for (int i = 0; i < 3 * 28 * 28; ++i) mnist_like.push_back(i % 251);
  WriteFile(
      dir + "/idx/gzip_images_3x28x28",
      IdxPair(Gzip(IdxFile({3, 28, 28}, mnist_like)), IdxFile({3}, {0, 9, 4})));

  // JPEG: baseline 4:4:4 (the test writer), 4:2:0 progressive, grey.
  WriteFile(dir + "/jpeg/rgb_444.jpg", EncodeJpeg(PatternImage(16, 24, 3, 0)));
  WriteFile(dir + "/jpeg/rgb_420_progressive.jpg",
            Jpeg(20, 12, 3, TJSAMP_420, TJFLAG_PROGRESSIVE, 80));
  WriteFile(dir + "/jpeg/grey.jpg", Jpeg(9, 14, 1, TJSAMP_GRAY, 0, 90));
  WriteFile(dir + "/jpeg/rgb_422_optimized.jpg",
            Jpeg(8, 40, 3, TJSAMP_422, 0, 50));

  // PNG: the test writer's (stb_image_write) RGB and grey, then every colour
  // type and bit depth, interlacing, tRNS and ancillary chunks (libpng).
  WriteFile(dir + "/png/stbiw_rgb.png", EncodePng(PatternImage(6, 5, 3, 0)));
  WriteFile(dir + "/png/stbiw_grey.png", EncodePng(PatternImage(9, 5, 1, 5)));
  const struct {
    const char* name;
    PngSpec spec;
  } pngs[] = {
      {"grey1", {9, 4, PngSpec::kGrey, 1}},
      {"grey2", {7, 3, PngSpec::kGrey, 2}},
      {"grey4", {5, 3, PngSpec::kGrey, 4}},
      {"grey16_trns", {4, 3, PngSpec::kGrey, 16, false, true}},
      {"grey_alpha8", {4, 4, PngSpec::kGreyAlpha, 8}},
      {"grey_alpha16", {3, 2, PngSpec::kGreyAlpha, 16}},
      {"rgb8_trns_ancillary", {5, 4, PngSpec::kRgb, 8, false, true, true}},
      {"rgb16", {3, 3, PngSpec::kRgb, 16}},
      {"rgba8", {4, 3, PngSpec::kRgba, 8}},
      {"rgba16", {2, 3, PngSpec::kRgba, 16}},
      {"palette1", {10, 2, PngSpec::kPalette, 1}},
      {"palette4_trns", {6, 5, PngSpec::kPalette, 4, false, true}},
      {"palette8", {4, 4, PngSpec::kPalette, 8}},
      {"rgb8_interlaced", {11, 9, PngSpec::kRgb, 8, true}},
      {"grey2_interlaced", {10, 10, PngSpec::kGrey, 2, true}},
  };
  for (const auto& png : pngs) {
    WriteFile(dir + "/png/" + png.name + ".png", EncodePngWithLibpng(png.spec));
  }
}

}  // namespace
}  // namespace kd

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  kd::WriteCorpus(argv[1]);
  std::printf("wrote the seed corpora under %s\n", argv[1]);
  return 0;
}
