// PNG charts drawn with cairo: a 2-D scatter plot coloured by class (t-SNE
// of embeddings) and a line chart of named series (learning curves).
// Files are written atomically (a temporary file in the same directory, then
// rename), so a reader never sees half a PNG.
//
//   kd::plot::ScatterOptions options;
//   options.title = "t-SNE of student embeddings (CIFAR-100, 7 classes)";
//   KD_RETURN_IF_ERROR(kd::plot::WriteScatterPng("tsne.png", xy, labels,
//                                                class_names, options));
#ifndef KD_PLOT_PLOT_H_
#define KD_PLOT_PLOT_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace kd {
namespace plot {

// 8-bit RGB.
struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb& o) const {
    return r == o.r && g == o.g && b == o.b;
  }
};

// The colour of class / series `index` (>= 0): a 20-colour qualitative
// palette (Tableau 10, then its light variants), cycled beyond 20.
Rgb PaletteColor(int index);

// Where the data rectangle lies in the image and how data maps onto it.
struct PlotFrame {
  double left = 0, top = 0, width = 0, height = 0;    // pixels
  double x_min = 0, x_max = 1, y_min = 0, y_max = 1;  // data range shown
  // Pixel position (x right, y down) of data point (x, y).
  std::array<double, 2> ToPixel(double x, double y) const;
};

struct ScatterOptions {
  std::string title;
  std::string x_label;  // may be empty (t-SNE axes have no meaning)
  std::string y_label;
  int width = 1000;  // image size in pixels
  int height = 800;
  double point_radius = 3.0;  // pixels
  double point_alpha = 0.85;  // 0..1
  bool show_axes = false;     // ticks and tick labels (off for t-SNE)
};

// Scatter plot of `points`, point i coloured PaletteColor(labels[i]), with a
// legend listing class_names[c] for each class present. labels[i] must be in
// [0, class_names.size()). Errors: empty points, size mismatch, label out of
// range, non-finite coordinates, image size out of [64, 10000], unwritable
// path.
absl::Status WriteScatterPng(const std::string& path,
                             const std::vector<std::array<double, 2>>& points,
                             const std::vector<int>& labels,
                             const std::vector<std::string>& class_names,
                             const ScatterOptions& options);

// The frame WriteScatterPng uses for these points and options (for tests
// and for callers that want to annotate).
PlotFrame ScatterFrame(const std::vector<std::array<double, 2>>& points,
                       const ScatterOptions& options);

// One line of a line chart. Points with a non-finite y are gaps.
struct Series {
  std::string name;  // legend entry
  std::vector<double> x;
  std::vector<double> y;  // same size as x
  int color_index = -1;   // PaletteColor index; -1: the series' position
  bool dashed = false;    // e.g. train curves dashed, test curves solid
};

struct LineChartOptions {
  std::string title;
  std::string x_label = "epoch";
  std::string y_label;
  int width = 1000;
  int height = 700;
  double line_width = 2.0;
  // Include 0 in the y range (error rates, losses).
  bool y_from_zero = false;
  // Draw a dot at each point (useful with few epochs).
  bool markers = false;
};

// Line chart with axes, "nice" ticks, tick labels, axis labels, title and a
// legend. Errors: no series, a series with no finite point or x/y of
// different sizes, image size out of [64, 10000], unwritable path.
absl::Status WriteLineChartPng(const std::string& path,
                               const std::vector<Series>& series,
                               const LineChartOptions& options);

// The frame WriteLineChartPng uses.
PlotFrame LineChartFrame(const std::vector<Series>& series,
                         const LineChartOptions& options);

// "Nice" tick values (1, 2, 2.5, 5 x 10^k steps) covering [lo, hi], about
// `target_count` of them.
std::vector<double> NiceTicks(double lo, double hi, int target_count);

}  // namespace plot
}  // namespace kd

#endif  // KD_PLOT_PLOT_H_
