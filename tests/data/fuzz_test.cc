// Runs each parser fuzz target (fuzz/fuzz_targets.h) over a bounded number of
// mutations of valid files: no crash (CHECK, sanitizer or signal), OK for the
// valid seeds, and an error status where the mutation certainly made the
// input invalid (truncation, bad magic, out-of-range label).
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/data/fuzz/fuzz_targets.h"
#include "tests/data/test_files.h"

namespace kd {
namespace {

using testing_data::CifarRecord;
using testing_data::EncodeJpeg;
using testing_data::EncodePng;
using testing_data::Gzip;
using testing_data::IdxFile;
using testing_data::PatternImage;
using testing_data::StlImage;

// Mutations per target: 2500 under `bazel test`; set KD_FUZZ_ITERATIONS for
// a longer run (e.g. bazel-bin/tests/data/fuzz_asan_test).
int Iterations() {
  const char* env = std::getenv("KD_FUZZ_ITERATIONS");
  return env != nullptr ? std::atoi(env) : 2500;
}
const int kIterations = Iterations();

using Target = std::function<absl::Status(const uint8_t*, size_t)>;

absl::Status RunTarget(const Target& target, const std::string& input) {
  return target(reinterpret_cast<const uint8_t*>(input.data()), input.size());
}

// One random mutation of `input` (libFuzzer-like: flips, overwrites,
// insertions, deletions, truncation, random tails).
std::string Mutate(std::string input, std::mt19937_64& rng,
                   size_t keep_prefix) {
  auto pick = [&](size_t n) { return n == 0 ? 0 : rng() % n; };
  const int mutations = 1 + pick(4);
  for (int m = 0; m < mutations; ++m) {
    const size_t editable =
        input.size() > keep_prefix ? input.size() - keep_prefix : 0;
    switch (pick(7)) {
      case 0:  // flip a bit
        if (editable) input[keep_prefix + pick(editable)] ^= 1 << pick(8);
        break;
      case 1:  // overwrite a byte
        if (editable) input[keep_prefix + pick(editable)] = rng();
        break;
      case 2:  // overwrite a header byte (magic, dimensions, markers)
        if (editable)
          input[keep_prefix + pick(std::min<size_t>(editable, 24))] = rng();
        break;
      case 3:  // truncate
        input.resize(keep_prefix + pick(editable + 1));
        break;
      case 4: {  // append random bytes
        const size_t n = 1 + pick(64);
        for (size_t i = 0; i < n; ++i) input.push_back(rng());
        break;
      }
      case 5: {  // delete a chunk
        if (editable) {
          const size_t at = keep_prefix + pick(editable);
          input.erase(at, 1 + pick(std::min<size_t>(64, input.size() - at)));
        }
        break;
      }
      case 6: {  // insert a chunk of random bytes
        const size_t at = keep_prefix + pick(editable + 1);
        input.insert(at, std::string(1 + pick(32), static_cast<char>(rng())));
        break;
      }
    }
  }
  return input;
}

// Runs `target` on the seeds (expected OK) and on kIterations mutations;
// returns how many mutations were rejected.
int Fuzz(const Target& target, const std::vector<std::string>& seeds,
         size_t keep_prefix, uint64_t seed) {
  for (const std::string& s : seeds) {
    const absl::Status status = RunTarget(target, s);
    EXPECT_TRUE(status.ok()) << status;
  }
  std::mt19937_64 rng(seed);
  int rejected = 0;
  for (int i = 0; i < kIterations; ++i) {
    const std::string input = Mutate(seeds[i % seeds.size()], rng, keep_prefix);
    const absl::Status status = RunTarget(target, input);
    if (!status.ok()) {
      ++rejected;
      EXPECT_FALSE(status.message().empty());
    }
  }
  // Random garbage of random lengths, too.
  for (int i = 0; i < 200; ++i) {
    std::string garbage(rng() % 200, '\0');
    for (char& c : garbage) c = rng();
    RunTarget(target, garbage).IgnoreError();
  }
  return rejected;
}

TEST(FuzzTest, Cifar) {
  const std::string cifar10 = std::string(1, 0) +
                              CifarRecord({3}, PatternImage(32, 32, 3, 0)) +
                              CifarRecord({9}, PatternImage(32, 32, 3, 1));
  const std::string cifar100 =
      std::string(1, 1) + CifarRecord({19, 99}, PatternImage(32, 32, 3, 2));
  const int rejected = Fuzz(&fuzz_cifar::FuzzOne, {cifar10, cifar100}, 1, 1);
  EXPECT_GT(rejected, kIterations / 4);
  // Certainly invalid: truncated by one byte, label out of range.
  EXPECT_FALSE(
      RunTarget(&fuzz_cifar::FuzzOne, cifar10.substr(0, cifar10.size() - 1))
          .ok());
  std::string bad_label = cifar10;
  bad_label[1] = 10;
  EXPECT_FALSE(RunTarget(&fuzz_cifar::FuzzOne, bad_label).ok());
  std::string bad_fine = cifar100;
  bad_fine[2] = 100;
  EXPECT_FALSE(RunTarget(&fuzz_cifar::FuzzOne, bad_fine).ok());
}

TEST(FuzzTest, Stl) {
  const std::string images =
      std::string(1, 0) + StlImage(PatternImage(96, 96, 3, 0));
  const std::string labels = std::string(1, 1) + std::string({1, 10, 5});
  const int rejected = Fuzz(&fuzz_stl::FuzzOne, {images, labels}, 1, 2);
  EXPECT_GT(rejected, kIterations / 4);
  EXPECT_FALSE(RunTarget(&fuzz_stl::FuzzOne, images + "x").ok());
  EXPECT_FALSE(RunTarget(&fuzz_stl::FuzzOne, std::string({1, 1, 0})).ok());
  EXPECT_FALSE(RunTarget(&fuzz_stl::FuzzOne, std::string({1, 11})).ok());
}

std::string IdxPair(const std::string& images, const std::string& labels) {
  const uint32_t n = images.size();
  return std::string({static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                      static_cast<char>(n >> 8), static_cast<char>(n)}) +
         images + labels;
}

TEST(FuzzTest, IdxPlainAndGzipped) {
  std::string pixels;
  for (int i = 0; i < 2 * 4 * 5; ++i) pixels.push_back(i * 3);
  const std::string images = IdxFile({2, 4, 5}, pixels);
  const std::string labels = IdxFile({2}, {7, 1});
  const std::string plain = IdxPair(images, labels);
  const std::string gzipped = IdxPair(Gzip(images), Gzip(labels));
  const int rejected = Fuzz(&fuzz_idx::FuzzOne, {plain, gzipped}, 4, 3);
  EXPECT_GT(rejected, kIterations / 4);
  // Bad magic, truncated data, truncated gzip, label out of range.
  std::string bad_magic = images;
  bad_magic[3] = 2;
  EXPECT_FALSE(RunTarget(&fuzz_idx::FuzzOne, IdxPair(bad_magic, labels)).ok());
  EXPECT_FALSE(RunTarget(&fuzz_idx::FuzzOne,
                         IdxPair(images.substr(0, images.size() - 1), labels))
                   .ok());
  const std::string gz = Gzip(images);
  EXPECT_FALSE(RunTarget(&fuzz_idx::FuzzOne,
                         IdxPair(gz.substr(0, gz.size() - 3), labels))
                   .ok());
  EXPECT_FALSE(
      RunTarget(&fuzz_idx::FuzzOne, IdxPair(images, IdxFile({2}, {7, 10})))
          .ok());
}

TEST(FuzzTest, Jpeg) {
  const std::string a = EncodeJpeg(PatternImage(16, 24, 3, 0));
  const std::string b = EncodeJpeg(PatternImage(40, 8, 3, 5));
  const int rejected = Fuzz(&fuzz_jpeg::FuzzOne, {a, b}, 0, 4);
  EXPECT_GT(rejected, kIterations / 4);
  EXPECT_FALSE(RunTarget(&fuzz_jpeg::FuzzOne, a.substr(0, a.size() / 2)).ok());
  EXPECT_FALSE(RunTarget(&fuzz_jpeg::FuzzOne, "\xff\xd8\xff").ok());
  EXPECT_FALSE(RunTarget(&fuzz_jpeg::FuzzOne, "").ok());
}

TEST(FuzzTest, Png) {
  const std::string rgb = EncodePng(PatternImage(16, 24, 3, 0));
  const std::string grey = EncodePng(PatternImage(9, 5, 1, 5));
  const int rejected = Fuzz(&fuzz_png::FuzzOne, {rgb, grey}, 0, 5);
  EXPECT_GT(rejected, kIterations / 4);
  EXPECT_FALSE(
      RunTarget(&fuzz_png::FuzzOne, rgb.substr(0, rgb.size() / 2)).ok());
  EXPECT_FALSE(RunTarget(&fuzz_png::FuzzOne, rgb.substr(0, 8)).ok());
}

std::vector<std::string> FilesIn(const std::string& dir) {
  std::vector<std::string> paths;
  if (!std::filesystem::is_directory(dir)) return paths;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    paths.push_back(entry.path().string());
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  return std::string((std::istreambuf_iterator<char>(in)),
                     std::istreambuf_iterator<char>());
}

// The committed seed corpora of the libFuzzer runs (fuzz/corpus/<target>,
// written by make_corpus.cc) are valid inputs; the regression inputs
// (fuzz/regressions/<target>, each once a crash or an out-of-memory) run
// without a crash, whatever their status.
TEST(FuzzCorpusTest, SeedsAreValidAndRegressionsRun) {
  const std::vector<std::pair<std::string, Target>> targets = {
      {"cifar", &fuzz_cifar::FuzzOne}, {"stl", &fuzz_stl::FuzzOne},
      {"idx", &fuzz_idx::FuzzOne},     {"jpeg", &fuzz_jpeg::FuzzOne},
      {"png", &fuzz_png::FuzzOne},
  };
  for (const auto& [name, target] : targets) {
    const std::vector<std::string> seeds =
        FilesIn("tests/data/fuzz/corpus/" + name);
    EXPECT_GE(seeds.size(), 3u) << name;
    for (const std::string& path : seeds) {
      const absl::Status status = RunTarget(target, ReadBytes(path));
      EXPECT_TRUE(status.ok()) << path << ": " << status;
    }
    for (const std::string& path :
         FilesIn("tests/data/fuzz/regressions/" + name)) {
      RunTarget(target, ReadBytes(path)).IgnoreError();
    }
  }
}

}  // namespace
}  // namespace kd
