// Writes example charts for eyeballing: a t-SNE scatter of 7 Gaussian
// clusters (Barnes-Hut) and learning curves of two runs.
//
//   bazel run //tests/plot:plot_demo -- /tmp/plots
#include <cmath>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "kd/plot/plot.h"
#include "kd/tsne/tsne.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: plot_demo OUTPUT_DIR\n";
    return 2;
  }
  const std::string dir = argv[1];
  const int classes = 7, per_class = 150, dim = 20;
  std::mt19937_64 rng(3);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<float> data;
  std::vector<int> labels;
  for (int c = 0; c < classes; ++c) {
    for (int i = 0; i < per_class; ++i) {
      for (int d = 0; d < dim; ++d) {
        // Two "superclasses": classes 0-3 share a direction, 4-6 another.
        data.push_back(normal(rng) + (d == c ? 5.f : 0.f) +
                       (d == 10 + (c < 4) ? 4.f : 0.f));
      }
      labels.push_back(c);
    }
  }
  kd::tsne::TsneOptions options;
  options.method = kd::tsne::TsneMethod::kBarnesHut;
  options.seed = 1;
  auto xy = kd::tsne::RunTsne(data, classes * per_class, dim, options);
  if (!xy.ok()) {
    std::cerr << xy.status() << "\n";
    return 1;
  }
  kd::plot::ScatterOptions scatter;
  scatter.title = "t-SNE of 7 Gaussian clusters (Barnes-Hut, perplexity 30)";
  const std::vector<std::string> names = {
      "aquatic mammals: beaver", "aquatic mammals: dolphin",
      "aquatic mammals: otter",  "aquatic mammals: seal",
      "vehicles 1: bicycle",     "vehicles 1: bus",
      "vehicles 1: motorcycle"};
  absl::Status s =
      kd::plot::WriteScatterPng(dir + "/tsne.png", *xy, labels, names, scatter);
  if (!s.ok()) {
    std::cerr << s << "\n";
    return 1;
  }
  std::vector<kd::plot::Series> series;
  for (int run = 0; run < 2; ++run) {
    kd::plot::Series train{run ? "EGA train error" : "KD train error", {}, {}};
    kd::plot::Series test{run ? "EGA test error" : "KD test error", {}, {}};
    train.dashed = true;
    train.color_index = test.color_index = run;
    for (int e = 1; e <= 240; ++e) {
      const double decay = e < 150 ? 1.0 : e < 180 ? 0.6 : 0.45;
      train.x.push_back(e);
      test.x.push_back(e);
      train.y.push_back(0.75 * std::exp(-e / 40.0) * decay + 0.05 - 0.01 * run);
      test.y.push_back(0.7 * std::exp(-e / 50.0) * decay + 0.25 - 0.02 * run);
    }
    series.push_back(train);
    series.push_back(test);
  }
  kd::plot::LineChartOptions chart;
  chart.title = "Learning dynamics (synthetic curves)";
  chart.y_label = "error";
  chart.y_from_zero = true;
  s = kd::plot::WriteLineChartPng(dir + "/curves.png", series, chart);
  if (!s.ok()) {
    std::cerr << s << "\n";
    return 1;
  }
  std::cout << "wrote " << dir << "/tsne.png and " << dir << "/curves.png\n";
  return 0;
}
