// Images/s of the loader on synthetic data in the official CIFAR-10 binary
// layout, read through the cifar10 reader:
//   BM_CifarPipeline/<workers>: crop 32 with padding 4, flip, cifar
//     normalisation, batch 64 (the student pipeline of every experiment);
//   BM_EgaTwoViews/<workers>: the same plus a 224x224 bicubic teacher view
//     with clip normalisation (the reference EGA setup).
// workers = 0 builds batches on the calling thread. The consumer does
// nothing but take batches, so this is the loader's ceiling.
//
//   bazel run -c opt //tests/data:loader_benchmark
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "glog/logging.h"
#include "kd/data/dataset.h"
#include "kd/data/loader.h"
#include "tests/data/test_files.h"

namespace kd {
namespace {

constexpr int kRecordsPerBatchFile = 1000;  // 5000 training images

std::shared_ptr<const Dataset> SyntheticCifar() {
  static std::shared_ptr<const Dataset> dataset = [] {
    const std::string dir = testing_data::NewTempDir();
    for (int b = 1; b <= 5; ++b) {
      std::string bytes;
      for (int i = 0; i < kRecordsPerBatchFile; ++i) {
        const int k = b * kRecordsPerBatchFile + i;
        bytes +=
            testing_data::CifarRecord({static_cast<uint8_t>(k % 10)},
                                      testing_data::PatternImage(32, 32, 3, k));
      }
      testing_data::WriteFile(dir + "/data_batch_" + std::to_string(b) + ".bin",
                              bytes);
    }
    auto created = Dataset::Registry::Global().Create(
        "cifar10", DatasetConfig{dir, "train"});
    CHECK(created.ok()) << created.status();
    return std::shared_ptr<const Dataset>(std::move(*created));
  }();
  return dataset;
}

ViewTransform CifarStudentView() {
  ViewTransform view;
  view.crop_size = 32;
  view.crop_padding = 4;
  view.horizontal_flip = true;
  view.normalization = *Normalization::FromName("cifar");
  return view;
}

void RunLoader(benchmark::State& state, LoaderOptions options) {
  options.batch_size = 64;
  options.num_workers = state.range(0);
  auto loader = DataLoader::Create(SyntheticCifar(), options);
  CHECK(loader.ok()) << loader.status();
  int64_t epoch = 0;
  int64_t images = 0;
  (*loader)->StartEpoch(epoch);
  for (auto _ : state) {
    auto batch = (*loader)->Next();
    CHECK(batch.ok()) << batch.status();
    if (!batch->has_value()) {
      (*loader)->StartEpoch(++epoch);
      batch = (*loader)->Next();
      CHECK(batch.ok() && batch->has_value());
    }
    images += (**batch).images.size(0);
    benchmark::DoNotOptimize((**batch).images.data_ptr());
  }
  state.SetItemsProcessed(images);
}

void BM_CifarPipeline(benchmark::State& state) {
  LoaderOptions options;
  options.student_view = CifarStudentView();
  RunLoader(state, options);
}
BENCHMARK(BM_CifarPipeline)->Arg(0)->Arg(1)->Arg(2)->UseRealTime();

void BM_EgaTwoViews(benchmark::State& state) {
  LoaderOptions options;
  options.student_view = CifarStudentView();
  ViewTransform teacher;
  teacher.crop_size = 32;
  teacher.crop_padding = 4;
  teacher.horizontal_flip = true;
  teacher.resize_to = 224;
  teacher.resize_mode = ResizeMode::kBicubic;
  teacher.normalization = *Normalization::FromName("clip");
  options.teacher_view = teacher;
  RunLoader(state, options);
}
BENCHMARK(BM_EgaTwoViews)->Arg(0)->Arg(1)->Arg(2)->UseRealTime();

// One example through a view, on the calling thread: where the loader's time
// goes.
void BM_ViewTransform(benchmark::State& state) {
  ViewTransform view = CifarStudentView();
  if (state.range(0) > 0) {
    view.resize_to = state.range(0);
    view.resize_mode = ResizeMode::kBicubic;
    view.normalization = *Normalization::FromName("clip");
  }
  const Image image = testing_data::PatternImage(32, 32, 3, 0);
  std::vector<float> out(3 * view.OutputSide(32) * view.OutputSide(32));
  std::mt19937_64 rng(0);
  for (auto _ : state) {
    CHECK(ApplyTransform(view, image, rng, out.data()).ok());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations());
}
// 0: the CIFAR student view; 224: crop + flip + bicubic 224 + clip.
BENCHMARK(BM_ViewTransform)->Arg(0)->Arg(224);

}  // namespace
}  // namespace kd

BENCHMARK_MAIN();
