// Start-up time, memory and loader throughput of an image folder read
// eagerly (image_folder:preload=true, every JPEG decoded at start-up) or
// lazily (decoded in the loader's workers, optionally cached). Driven by
// bench/lazy_data_bench.sh, which runs each configuration in a process of
// its own so that each peak RSS is its own:
//
//   lazy_data_bench --generate=DIR --images=100000 --side=64 --classes=100
//   lazy_data_bench --measure=DIR --spec=image_folder:preload=true
//
// --generate writes DIR/class_XXX/img_XXXXXXX.jpg, each a different real
// JPEG (a smooth per-class colour field plus per-image noise, quality 90,
// 4:2:0: about the size and decoding cost of a Tiny ImageNet image).
// --measure prints one JSON line: seconds in Dataset::Create, RSS before and
// after it, seconds and images/s of each epoch through the DataLoader
// (shuffled, no augmentation), and the peak RSS of the process.
#include <sys/resource.h>
#include <turbojpeg.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gflags/gflags.h"
#include "kd/data/dataset.h"
#include "kd/data/loader.h"

DEFINE_string(generate, "", "write a synthetic image folder here");
DEFINE_int64(images, 100000, "--generate: number of images");
DEFINE_int32(side, 64, "--generate: image side in pixels");
DEFINE_int32(classes, 100, "--generate: number of class folders");
DEFINE_string(measure, "", "measure reading this image folder");
DEFINE_string(spec, "image_folder", "--measure: the reader spec");
DEFINE_int32(workers, 2, "--measure: loader worker threads");
DEFINE_int32(batch_size, 256, "--measure: loader batch size");
DEFINE_int32(epochs, 2, "--measure: loader epochs");

namespace kd {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Resident set size now, MiB (/proc/self/statm: pages).
double RssMib() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<double>(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

double PeakRssMib() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // KiB on Linux
}

absl::Status Generate(const std::string& dir, int64_t images, int side,
                      int classes) {
  if (images <= 0 || side <= 0 || classes <= 0) {
    return absl::InvalidArgumentError(
        "--images, --side and --classes must be positive");
  }
  tjhandle handle = tjInitCompress();
  if (handle == nullptr) return absl::InternalError("tjInitCompress failed");
  std::unique_ptr<void, int (*)(tjhandle)> guard(handle, &tjDestroy);
  std::mt19937 rng(1);
  std::vector<uint8_t> pixels(static_cast<size_t>(side) * side * 3);
  for (int64_t i = 0; i < images; ++i) {
    const int c = static_cast<int>(i % classes);
    const std::string class_dir = absl::StrFormat("%s/class_%03d", dir, c);
    if (i < classes) std::filesystem::create_directories(class_dir);
    std::uniform_int_distribution<int> noise(0, 40);
    for (int y = 0; y < side; ++y) {
      for (int x = 0; x < side; ++x) {
        uint8_t* p = &pixels[(static_cast<size_t>(y) * side + x) * 3];
        p[0] =
            static_cast<uint8_t>((x * 255 / side + c * 37) % 216 + noise(rng));
        p[1] =
            static_cast<uint8_t>((y * 255 / side + c * 71) % 216 + noise(rng));
        p[2] =
            static_cast<uint8_t>(((x + y) * 127 / side + i) % 216 + noise(rng));
      }
    }
    unsigned char* jpeg = nullptr;
    unsigned long size = 0;
    if (tjCompress2(handle, pixels.data(), side, 0, side, TJPF_RGB, &jpeg,
                    &size, TJSAMP_420, 90, 0) != 0) {
      return absl::InternalError(
          absl::StrCat("tjCompress2: ", tjGetErrorStr2(handle)));
    }
    const std::string path =
        absl::StrFormat("%s/img_%07d.jpg", class_dir, static_cast<int>(i));
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(jpeg), size);
    tjFree(jpeg);
    if (!out)
      return absl::UnavailableError(absl::StrCat("cannot write ", path));
  }
  return absl::OkStatus();
}

absl::Status Measure(const std::string& dir) {
  const double rss_before = RssMib();
  const Clock::time_point start = Clock::now();
  absl::StatusOr<std::unique_ptr<Dataset>> dataset =
      Dataset::Registry::Global().Create(FLAGS_spec, DatasetConfig{dir});
  if (!dataset.ok()) return dataset.status();
  const double create_s = Seconds(start);
  const double rss_created = RssMib();
  const int64_t size = (*dataset)->size();

  LoaderOptions options;
  options.batch_size = FLAGS_batch_size;
  options.num_workers = FLAGS_workers;
  options.seed = 1;
  absl::StatusOr<std::unique_ptr<DataLoader>> loader = DataLoader::Create(
      std::shared_ptr<const Dataset>(*std::move(dataset)), options);
  if (!loader.ok()) return loader.status();
  std::string epochs;
  for (int epoch = 0; epoch < FLAGS_epochs; ++epoch) {
    const Clock::time_point epoch_start = Clock::now();
    (*loader)->StartEpoch(epoch);
    int64_t seen = 0;
    while (true) {
      absl::StatusOr<std::optional<Batch>> batch = (*loader)->Next();
      if (!batch.ok()) return batch.status();
      if (!batch->has_value()) break;
      seen += (*batch)->images.size(0);
    }
    const double seconds = Seconds(epoch_start);
    absl::StrAppendFormat(&epochs,
                          "%s{\"epoch_s\": %.3f, \"images_per_s\": %.0f}",
                          epoch == 0 ? "" : ", ", seconds, seen / seconds);
  }
  std::cout << absl::StrFormat(
                   "{\"spec\": \"%s\", \"images\": %d, \"workers\": %d, "
                   "\"create_s\": %.3f, \"rss_before_create_mib\": %.1f, "
                   "\"rss_after_create_mib\": %.1f, \"epochs\": [%s], "
                   "\"peak_rss_mib\": %.1f}",
                   FLAGS_spec, size, FLAGS_workers, create_s, rss_before,
                   rss_created, epochs, PeakRssMib())
            << std::endl;
  return absl::OkStatus();
}

}  // namespace
}  // namespace kd

int main(int argc, char** argv) {
  gflags::SetUsageMessage(
      "start-up time, memory and loader throughput of an image folder, eager "
      "or lazy (bench/lazy_data_bench.sh)");
  gflags::ParseCommandLineFlags(&argc, &argv, true);
  absl::Status status;
  if (!FLAGS_generate.empty()) {
    status =
        kd::Generate(FLAGS_generate, FLAGS_images, FLAGS_side, FLAGS_classes);
  } else if (!FLAGS_measure.empty()) {
    status = kd::Measure(FLAGS_measure);
  } else {
    status = absl::InvalidArgumentError("give --generate=DIR or --measure=DIR");
  }
  if (!status.ok()) {
    std::cerr << "lazy_data_bench: " << status.message() << std::endl;
    return 1;
  }
  return 0;
}
