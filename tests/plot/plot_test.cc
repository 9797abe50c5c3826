// Tests of kd/plot: the PNGs are read back with cairo and checked for size,
// colours at the mapped data positions, legend and title, plus input errors.
#include "kd/plot/plot.h"

#include <cairo/cairo.h>
#include <sys/stat.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/paths.h"

namespace kd {
namespace plot {
namespace {

using ::kd::testing::TestTempPath;

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// A PNG read back into memory.
class Image {
 public:
  explicit Image(const std::string& path)
      : surface_(cairo_image_surface_create_from_png(path.c_str())) {}
  ~Image() { cairo_surface_destroy(surface_); }
  bool ok() const {
    return cairo_surface_status(surface_) == CAIRO_STATUS_SUCCESS;
  }
  int width() const { return cairo_image_surface_get_width(surface_); }
  int height() const { return cairo_image_surface_get_height(surface_); }
  Rgb At(int x, int y) const {
    const unsigned char* data = cairo_image_surface_get_data(surface_);
    const int stride = cairo_image_surface_get_stride(surface_);
    const uint32_t v =
        *reinterpret_cast<const uint32_t*>(data + y * stride + 4 * x);
    return Rgb{static_cast<uint8_t>(v >> 16), static_cast<uint8_t>(v >> 8),
               static_cast<uint8_t>(v)};
  }
  // Pixels in [x0, x1) x [y0, y1) within `tolerance` of `color` per channel.
  int Count(int x0, int y0, int x1, int y1, Rgb color, int tolerance) const {
    int count = 0;
    for (int y = std::max(y0, 0); y < std::min(y1, height()); ++y) {
      for (int x = std::max(x0, 0); x < std::min(x1, width()); ++x) {
        const Rgb c = At(x, y);
        count += std::abs(c.r - color.r) <= tolerance &&
                 std::abs(c.g - color.g) <= tolerance &&
                 std::abs(c.b - color.b) <= tolerance;
      }
    }
    return count;
  }
  // Pixels darker than 40% grey (text).
  int CountDark(int x0, int y0, int x1, int y1) const {
    int count = 0;
    for (int y = std::max(y0, 0); y < std::min(y1, height()); ++y) {
      for (int x = std::max(x0, 0); x < std::min(x1, width()); ++x) {
        const Rgb c = At(x, y);
        count += c.r < 100 && c.g < 100 && c.b < 100;
      }
    }
    return count;
  }

 private:
  cairo_surface_t* surface_;
};

bool NearColor(Rgb a, Rgb b, int tolerance) {
  return std::abs(a.r - b.r) <= tolerance && std::abs(a.g - b.g) <= tolerance &&
         std::abs(a.b - b.b) <= tolerance;
}

TEST(PaletteTest, DistinctAndCycling) {
  EXPECT_EQ(PaletteColor(0), (Rgb{31, 119, 180}));
  EXPECT_EQ(PaletteColor(20), PaletteColor(0));
  for (int a = 0; a < 20; ++a) {
    for (int b = a + 1; b < 20; ++b)
      EXPECT_FALSE(PaletteColor(a) == PaletteColor(b));
  }
}

TEST(NiceTicksTest, HandPickedRanges) {
  EXPECT_THAT(NiceTicks(0, 240, 6), ElementsAre(0, 50, 100, 150, 200));
  EXPECT_THAT(NiceTicks(0.13, 0.87, 5),
              ElementsAre(0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8));
  const std::vector<double> t = NiceTicks(-1, 1, 4);
  ASSERT_EQ(t.size(), 5u);
  EXPECT_DOUBLE_EQ(t[0], -1);
  EXPECT_EQ(t[2], 0.0);
  EXPECT_THAT(NiceTicks(0, 10, 4), ElementsAre(0, 2.5, 5, 7.5, 10));
  EXPECT_THAT(NiceTicks(3, 3, 5), ElementsAre(3));
}

TEST(ScatterTest, PointsLandAtTheirMappedPixelsInTheirClassColours) {
  const std::string path = TestTempPath("scatter.png");
  const std::vector<std::array<double, 2>> points = {{0, 0}, {10, 5}, {3, -4}};
  const std::vector<int> labels = {0, 1, 2};
  const std::vector<std::string> names = {"apple", "bicycle", "castle"};
  ScatterOptions options;
  options.title = "Three points";
  options.width = 640;
  options.height = 480;
  options.point_radius = 5;
  options.point_alpha = 1.0;
  ASSERT_TRUE(WriteScatterPng(path, points, labels, names, options).ok());
  Image image(path);
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image.width(), 640);
  EXPECT_EQ(image.height(), 480);
  const PlotFrame frame = ScatterFrame(points, options);
  for (int i = 0; i < 3; ++i) {
    const auto px = frame.ToPixel(points[i][0], points[i][1]);
    EXPECT_TRUE(
        NearColor(image.At(static_cast<int>(px[0]), static_cast<int>(px[1])),
                  PaletteColor(labels[i]), 2))
        << "point " << i;
  }
  // Equal scale on both axes.
  EXPECT_NEAR(frame.width / (frame.x_max - frame.x_min),
              frame.height / (frame.y_max - frame.y_min), 1e-9);
  // Legend: each class colour appears right of the plot area, with text.
  const int legend_x = static_cast<int>(frame.left + frame.width) + 2;
  for (int c = 0; c < 3; ++c) {
    EXPECT_GT(image.Count(legend_x, 0, 640, 480, PaletteColor(c), 2), 20)
        << "legend swatch of class " << c;
  }
  EXPECT_GT(image.CountDark(legend_x, 0, 640, 480), 100);
  // Title above the plot area.
  EXPECT_GT(image.CountDark(0, 0, 640, static_cast<int>(frame.top)), 100);
  // Background is white away from everything.
  EXPECT_TRUE(
      NearColor(image.At(static_cast<int>(frame.left + 3),
                         static_cast<int>(frame.top + frame.height - 3)),
                Rgb{255, 255, 255}, 0));
}

TEST(ScatterTest, SinglePointIsCentred) {
  const std::string path = TestTempPath("single.png");
  ScatterOptions options;
  options.point_alpha = 1.0;
  options.point_radius = 4;
  ASSERT_TRUE(WriteScatterPng(path, {{7, 7}}, {1}, {"a", "b"}, options).ok());
  const PlotFrame frame = ScatterFrame({{7, 7}}, options);
  const auto px = frame.ToPixel(7, 7);
  EXPECT_NEAR(px[0], frame.left + frame.width / 2, 1e-9);
  EXPECT_NEAR(px[1], frame.top + frame.height / 2, 1e-9);
  Image image(path);
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image.width(), options.width);
  EXPECT_EQ(image.height(), options.height);
  EXPECT_TRUE(NearColor(image.At(int(px[0]), int(px[1])), PaletteColor(1), 2));
  // Only classes present are in the legend: class 0's colour is nowhere.
  EXPECT_EQ(
      image.Count(0, 0, options.width, options.height, PaletteColor(0), 2), 0);
}

TEST(ScatterTest, HundredClassesFitTheLegendInColumns) {
  const std::string path = TestTempPath("hundred.png");
  std::vector<std::array<double, 2>> points;
  std::vector<int> labels;
  std::vector<std::string> names;
  for (int c = 0; c < 100; ++c) {
    names.push_back("class " + std::to_string(c));
    points.push_back({std::cos(c * 0.7) * c, std::sin(c * 0.7) * c});
    labels.push_back(c);
  }
  ScatterOptions options;
  options.height = 500;
  ASSERT_TRUE(WriteScatterPng(path, points, labels, names, options).ok());
  Image image(path);
  ASSERT_TRUE(image.ok());
  const PlotFrame frame = ScatterFrame(points, options);
  // The last class's legend swatch (palette colour 99 % 20 = 19) is drawn
  // inside the image, right of the plot, above the bottom of the frame.
  EXPECT_GT(
      image.Count(static_cast<int>(frame.left + frame.width) + 2, 0,
                  options.width, static_cast<int>(frame.top + frame.height),
                  PaletteColor(99), 2),
      10);
}

TEST(ScatterTest, BadInputIsAClearError) {
  const std::string path = TestTempPath("bad.png");
  ScatterOptions options;
  EXPECT_THAT(WriteScatterPng(path, {}, {}, {"a"}, options).message(),
              HasSubstr("no points"));
  EXPECT_THAT(WriteScatterPng(path, {{0, 0}}, {0, 1}, {"a"}, options).message(),
              HasSubstr("1 points but 2 labels"));
  EXPECT_THAT(WriteScatterPng(path, {{0, 0}}, {3}, {"a"}, options).message(),
              HasSubstr("label 3 of point 0"));
  EXPECT_THAT(WriteScatterPng(path, {{0, NAN}}, {0}, {"a"}, options).message(),
              HasSubstr("not finite"));
  const absl::Status unwritable = WriteScatterPng(
      TestTempPath("no/such/dir/x.png"), {{0, 0}}, {0}, {"a"}, options);
  EXPECT_EQ(unwritable.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(unwritable.message(), HasSubstr("no/such/dir/x.png"));
  options.width = 20;
  EXPECT_THAT(WriteScatterPng(path, {{0, 0}}, {0}, {"a"}, options).message(),
              HasSubstr("20x800"));
  struct stat st;
  EXPECT_NE(stat(path.c_str(), &st), 0);  // nothing written on error
}

TEST(LineChartTest, CurvesPassThroughTheirPointsWithLegendAndAxes) {
  const std::string path = TestTempPath("curves.png");
  Series train{"train error", {1, 2, 3, 4, 5}, {0.9, 0.5, 0.3, 0.2, 0.15}};
  train.dashed = true;
  train.color_index = 0;
  Series test{"test error", {1, 2, 3, 4, 5}, {0.95, 0.6, 0.4, 0.35, 0.3}};
  test.color_index = 3;
  LineChartOptions options;
  options.title = "Learning curves";
  options.y_label = "error";
  options.y_from_zero = true;
  options.line_width = 3;
  options.width = 800;
  options.height = 500;
  ASSERT_TRUE(WriteLineChartPng(path, {train, test}, options).ok());
  Image image(path);
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image.width(), 800);
  EXPECT_EQ(image.height(), 500);
  const PlotFrame frame = LineChartFrame({train, test}, options);
  EXPECT_EQ(frame.y_min, 0.0);
  EXPECT_EQ(frame.x_min, 1.0);
  EXPECT_EQ(frame.x_max, 5.0);
  // Test curve (solid) at its vertex at x = 3.
  const auto p = frame.ToPixel(3, 0.4);
  EXPECT_GT(image.Count(int(p[0]) - 2, int(p[1]) - 2, int(p[0]) + 3,
                        int(p[1]) + 3, PaletteColor(3), 10),
            5);
  // Midway along the test segment from x = 3 to 4.
  const auto m = frame.ToPixel(3.5, 0.375);
  EXPECT_GT(image.Count(int(m[0]) - 2, int(m[1]) - 2, int(m[0]) + 3,
                        int(m[1]) + 3, PaletteColor(3), 10),
            3);
  // The dashed train curve has its colour somewhere near its points.
  const auto t = frame.ToPixel(2, 0.5);
  EXPECT_GT(image.Count(int(t[0]) - 20, int(t[1]) - 12, int(t[0]) + 20,
                        int(t[1]) + 12, PaletteColor(0), 10),
            10);
  // Legend swatches and names right of the plot area.
  const int legend_x = static_cast<int>(frame.left + frame.width) + 2;
  EXPECT_GT(image.Count(legend_x, 0, 800, 500, PaletteColor(0), 10), 20);
  EXPECT_GT(image.Count(legend_x, 0, 800, 500, PaletteColor(3), 10), 20);
  EXPECT_GT(image.CountDark(legend_x + 30, 0, 800, 500), 80);
  // Tick labels left of and below the plot area.
  EXPECT_GT(image.CountDark(0, 0, static_cast<int>(frame.left) - 6, 500), 100);
  EXPECT_GT(image.CountDark(0, static_cast<int>(frame.top + frame.height) + 6,
                            800, 500),
            100);
}

TEST(LineChartTest, BadInputIsAClearError) {
  const std::string path = TestTempPath("bad_curve.png");
  LineChartOptions options;
  EXPECT_THAT(WriteLineChartPng(path, {}, options).message(),
              HasSubstr("no series"));
  EXPECT_THAT(
      WriteLineChartPng(path, {Series{"loss", {1, 2}, {1}}}, options).message(),
      HasSubstr("series 'loss' has 2 x values but 1 y values"));
  EXPECT_THAT(
      WriteLineChartPng(path, {Series{"nan", {1}, {NAN}}}, options).message(),
      HasSubstr("no finite point"));
  EXPECT_EQ(WriteLineChartPng(TestTempPath("missing/dir/c.png"),
                              {Series{"a", {1}, {1}}}, options)
                .code(),
            absl::StatusCode::kUnavailable);
}

TEST(LineChartTest, GapsAndManySeriesStillDraw) {
  const std::string path = TestTempPath("many.png");
  std::vector<Series> series;
  for (int r = 0; r < 12; ++r) {
    Series s{"run " + std::to_string(r), {}, {}};
    for (int e = 0; e < 40; ++e) {
      s.x.push_back(e);
      s.y.push_back(e == 20 ? NAN : std::exp(-e / 10.0) + 0.01 * r);
    }
    series.push_back(s);
  }
  LineChartOptions options;
  options.markers = true;
  ASSERT_TRUE(WriteLineChartPng(path, series, options).ok());
  Image image(path);
  ASSERT_TRUE(image.ok());
  EXPECT_EQ(image.width(), options.width);
}

}  // namespace
}  // namespace plot
}  // namespace kd
