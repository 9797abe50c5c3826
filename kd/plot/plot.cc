// Cairo drawing of scatter plots and line charts (see plot.h).
#include "kd/plot/plot.h"

#include <cairo/cairo.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "kd/base/files.h"
#include "kd/status_macros.h"

namespace kd {
namespace plot {
namespace {

constexpr char kFont[] = "DejaVu Sans";
constexpr int kMinSide = 64;
constexpr int kMaxSide = 10000;

// Tableau 10 and its light companions (matplotlib's tab20 order, split).
constexpr uint8_t kPalette[20][3] = {
    {31, 119, 180},  {255, 127, 14},  {44, 160, 44},   {214, 39, 40},
    {148, 103, 189}, {140, 86, 75},   {227, 119, 194}, {127, 127, 127},
    {188, 189, 34},  {23, 190, 207},  {174, 199, 232}, {255, 187, 120},
    {152, 223, 138}, {255, 152, 150}, {197, 176, 213}, {196, 156, 148},
    {247, 182, 210}, {199, 199, 199}, {219, 219, 141}, {158, 218, 229}};

struct SurfaceDeleter {
  void operator()(cairo_surface_t* s) const { cairo_surface_destroy(s); }
};
struct ContextDeleter {
  void operator()(cairo_t* c) const { cairo_destroy(c); }
};
using Surface = std::unique_ptr<cairo_surface_t, SurfaceDeleter>;
using Context = std::unique_ptr<cairo_t, ContextDeleter>;

void SetColor(cairo_t* cr, Rgb c, double alpha = 1.0) {
  cairo_set_source_rgba(cr, c.r / 255.0, c.g / 255.0, c.b / 255.0, alpha);
}

void SetGrey(cairo_t* cr, double level) {
  cairo_set_source_rgb(cr, level, level, level);
}

enum class Align { kLeft, kCenter, kRight };

// Draws `text` with its baseline... vertically centred on y.
void DrawText(cairo_t* cr, const std::string& text, double x, double y,
              double size, Align align, bool bold = false,
              double rotate = 0.0) {
  if (text.empty()) return;
  cairo_save(cr);
  cairo_select_font_face(
      cr, kFont, CAIRO_FONT_SLANT_NORMAL,
      bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t ext;
  cairo_text_extents(cr, text.c_str(), &ext);
  cairo_translate(cr, x, y);
  cairo_rotate(cr, rotate);
  double dx = -ext.x_bearing;
  if (align == Align::kCenter) dx -= ext.width / 2;
  if (align == Align::kRight) dx -= ext.width;
  cairo_move_to(cr, dx, -ext.y_bearing - ext.height / 2);
  cairo_show_text(cr, text.c_str());
  cairo_restore(cr);
}

double TextWidth(cairo_t* cr, const std::string& text, double size) {
  cairo_save(cr);
  cairo_select_font_face(cr, kFont, CAIRO_FONT_SLANT_NORMAL,
                         CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
  cairo_text_extents_t ext;
  cairo_text_extents(cr, text.c_str(), &ext);
  cairo_restore(cr);
  return ext.x_advance;
}

// `text` shortened with "..." to fit `max_width` pixels.
std::string Fit(cairo_t* cr, const std::string& text, double size,
                double max_width) {
  if (TextWidth(cr, text, size) <= max_width) return text;
  std::string s = text;
  while (!s.empty() && TextWidth(cr, s + "...", size) > max_width) s.pop_back();
  return s + "...";
}

// A white RGB canvas of width x height pixels. `what` prefixes the error
// when the size is outside [kMinSide, kMaxSide].
absl::Status NewCanvas(const std::string& what, int width, int height,
                       Surface* surface, Context* context) {
  if (width < kMinSide || width > kMaxSide || height < kMinSide ||
      height > kMaxSide) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, "plot size must be in [", kMinSide, ", ", kMaxSide,
                     "] pixels per side, got ", width, "x", height));
  }
  surface->reset(cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height));
  if (cairo_surface_status(surface->get()) != CAIRO_STATUS_SUCCESS) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "cannot create a ", width, "x", height, " image: ",
        cairo_status_to_string(cairo_surface_status(surface->get()))));
  }
  context->reset(cairo_create(surface->get()));
  cairo_set_source_rgb(context->get(), 1, 1, 1);
  cairo_paint(context->get());
  return absl::OkStatus();
}

cairo_status_t AppendToString(void* closure, const unsigned char* data,
                              unsigned int length) {
  static_cast<std::string*>(closure)->append(
      reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

// Encodes the surface as PNG and writes it atomically.
absl::Status SavePng(cairo_surface_t* surface, const std::string& path) {
  cairo_surface_flush(surface);
  std::string png;
  const cairo_status_t status =
      cairo_surface_write_to_png_stream(surface, &AppendToString, &png);
  if (status != CAIRO_STATUS_SUCCESS) {
    return absl::InternalError(
        absl::StrCat("cannot encode PNG for '", path,
                     "': ", cairo_status_to_string(status)));
  }
  return WriteFileAtomically(path, png);
}

std::string TickLabel(double value, double step) {
  int decimals =
      std::max(0, static_cast<int>(std::ceil(-std::log10(step) - 1e-9)));
  // 2.5 x 10^k steps need one more digit.
  if (std::abs(std::round(step * std::pow(10, decimals)) -
               step * std::pow(10, decimals)) > 1e-6) {
    ++decimals;
  }
  if (std::abs(value) < step * 1e-9) value = 0;
  return absl::StrFormat("%.*f", decimals, value);
}

// Grid, frame, ticks, tick labels and axis labels around `frame`.
void DrawAxes(cairo_t* cr, const PlotFrame& f, const std::string& x_label,
              const std::string& y_label) {
  const std::vector<double> xt = NiceTicks(f.x_min, f.x_max, 8);
  const std::vector<double> yt = NiceTicks(f.y_min, f.y_max, 7);
  cairo_set_line_width(cr, 1.0);
  SetGrey(cr, 0.9);
  for (double x : xt) {
    const double px = std::round(f.ToPixel(x, 0)[0]) + 0.5;
    cairo_move_to(cr, px, f.top);
    cairo_line_to(cr, px, f.top + f.height);
  }
  for (double y : yt) {
    const double py = std::round(f.ToPixel(0, y)[1]) + 0.5;
    cairo_move_to(cr, f.left, py);
    cairo_line_to(cr, f.left + f.width, py);
  }
  cairo_stroke(cr);
  SetGrey(cr, 0.25);
  const double bottom = f.top + f.height;
  for (size_t i = 0; i < xt.size(); ++i) {
    const double px = std::round(f.ToPixel(xt[i], 0)[0]) + 0.5;
    cairo_move_to(cr, px, bottom);
    cairo_line_to(cr, px, bottom + 5);
    cairo_stroke(cr);
    DrawText(cr, TickLabel(xt[i], xt.size() > 1 ? xt[1] - xt[0] : 1), px,
             bottom + 15, 12, Align::kCenter);
  }
  for (size_t i = 0; i < yt.size(); ++i) {
    const double py = std::round(f.ToPixel(0, yt[i])[1]) + 0.5;
    cairo_move_to(cr, f.left - 5, py);
    cairo_line_to(cr, f.left, py);
    cairo_stroke(cr);
    DrawText(cr, TickLabel(yt[i], yt.size() > 1 ? yt[1] - yt[0] : 1),
             f.left - 8, py, 12, Align::kRight);
  }
  DrawText(cr, x_label, f.left + f.width / 2, bottom + 38, 14, Align::kCenter);
  DrawText(cr, y_label, f.left - 55, f.top + f.height / 2, 14, Align::kCenter,
           false, -M_PI / 2);
}

void DrawFrameBorder(cairo_t* cr, const PlotFrame& f) {
  cairo_set_line_width(cr, 1.0);
  SetGrey(cr, 0.55);
  cairo_rectangle(cr, std::round(f.left) + 0.5, std::round(f.top) + 0.5,
                  std::round(f.width), std::round(f.height));
  cairo_stroke(cr);
}

double LegendWidth(int image_width) {
  return std::clamp(0.22 * image_width, 110.0, 300.0);
}

double TopMargin(const std::string& title) { return title.empty() ? 20 : 50; }

// [lo, hi] of finite values, padded by `pad` of the range; a single value
// gets +-1 (or +-|v|/10 when large).
void PaddedRange(double lo, double hi, double pad, double* out_lo,
                 double* out_hi) {
  if (hi > lo) {
    const double r = hi - lo;
    *out_lo = lo - pad * r;
    *out_hi = hi + pad * r;
  } else {
    const double h = std::max(1.0, std::abs(lo) * 0.1);
    *out_lo = lo - h;
    *out_hi = hi + h;
  }
}

}  // namespace

Rgb PaletteColor(int index) {
  const uint8_t* c = kPalette[((index % 20) + 20) % 20];
  return Rgb{c[0], c[1], c[2]};
}

std::array<double, 2> PlotFrame::ToPixel(double x, double y) const {
  return {left + (x - x_min) / (x_max - x_min) * width,
          top + (y_max - y) / (y_max - y_min) * height};
}

std::vector<double> NiceTicks(double lo, double hi, int target_count) {
  if (!(hi > lo) || target_count < 1 || !std::isfinite(lo) ||
      !std::isfinite(hi)) {
    return {lo};
  }
  const double raw = (hi - lo) / target_count;
  const int exponent = static_cast<int>(std::floor(std::log10(raw)));
  const double norm = raw / std::pow(10.0, exponent);
  // step = mantissa * 10^(exponent - 1) with an integer mantissa, so that
  // tick k is k * mantissa scaled by an exact power of ten: 0.3, not
  // 0.30000000000000004.
  const double mantissa = norm < 1.5    ? 10
                          : norm < 2.25 ? 20
                          : norm < 3.5  ? 25
                          : norm < 7.5  ? 50
                                        : 100;
  const int e = exponent - 1;
  const double scale = std::pow(10.0, std::abs(e));
  auto value = [&](double k) {
    return e < 0 ? k * mantissa / scale : k * mantissa * scale;
  };
  const double step = value(1);
  std::vector<double> ticks;
  for (double k = std::ceil(lo / step - 1e-9); value(k) <= hi + step * 1e-9;
       k += 1) {
    const double v = value(k);
    ticks.push_back(std::abs(v) < step * 1e-9 ? 0.0 : v);
  }
  return ticks;
}

// ----------------------------------------------------------------- scatter

PlotFrame ScatterFrame(const std::vector<std::array<double, 2>>& points,
                       const ScatterOptions& options) {
  PlotFrame f;
  const double bottom_margin =
      options.show_axes ? (options.x_label.empty() ? 35 : 60) : 20;
  f.left = options.show_axes ? (options.y_label.empty() ? 60 : 80) : 20;
  f.top = TopMargin(options.title);
  f.width = std::max(10.0, options.width - LegendWidth(options.width) - f.left);
  f.height = std::max(10.0, options.height - f.top - bottom_margin);
  double x_lo = 0, x_hi = 0, y_lo = 0, y_hi = 0;
  if (!points.empty()) {
    x_lo = x_hi = points[0][0];
    y_lo = y_hi = points[0][1];
    for (const auto& p : points) {
      x_lo = std::min(x_lo, p[0]);
      x_hi = std::max(x_hi, p[0]);
      y_lo = std::min(y_lo, p[1]);
      y_hi = std::max(y_hi, p[1]);
    }
  }
  PaddedRange(x_lo, x_hi, 0.04, &f.x_min, &f.x_max);
  PaddedRange(y_lo, y_hi, 0.04, &f.y_min, &f.y_max);
  // Same scale on both axes: t-SNE distances mean the same in x and y.
  const double scale =
      std::min(f.width / (f.x_max - f.x_min), f.height / (f.y_max - f.y_min));
  const double cx = (f.x_min + f.x_max) / 2, cy = (f.y_min + f.y_max) / 2;
  f.x_min = cx - f.width / scale / 2;
  f.x_max = cx + f.width / scale / 2;
  f.y_min = cy - f.height / scale / 2;
  f.y_max = cy + f.height / scale / 2;
  return f;
}

absl::Status WriteScatterPng(const std::string& path,
                             const std::vector<std::array<double, 2>>& points,
                             const std::vector<int>& labels,
                             const std::vector<std::string>& class_names,
                             const ScatterOptions& options) {
  const std::string what = absl::StrCat("scatter plot '", path, "': ");
  if (points.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, "no points"));
  }
  if (labels.size() != points.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, points.size(), " points but ", labels.size(), " labels"));
  }
  if (class_names.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, "no class names"));
  }
  std::vector<bool> present(class_names.size(), false);
  for (size_t i = 0; i < points.size(); ++i) {
    if (labels[i] < 0 || labels[i] >= static_cast<int>(class_names.size())) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, "label ", labels[i], " of point ", i,
                       " is outside [0, ", class_names.size(), ")"));
    }
    if (!std::isfinite(points[i][0]) || !std::isfinite(points[i][1])) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, "point ", i, " is not finite"));
    }
    present[labels[i]] = true;
  }
  if (!(options.point_radius > 0) || !(options.point_alpha > 0) ||
      options.point_alpha > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, "point_radius must be > 0 and point_alpha in (0, 1]"));
  }
  Surface surface;
  Context context;
  KD_RETURN_IF_ERROR(
      NewCanvas(what, options.width, options.height, &surface, &context));
  cairo_t* cr = context.get();
  const PlotFrame f = ScatterFrame(points, options);
  if (options.show_axes) DrawAxes(cr, f, options.x_label, options.y_label);
  DrawFrameBorder(cr, f);

  // Draw in a fixed shuffled order so that no class hides under another.
  std::vector<size_t> order(points.size());
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937(0));
  cairo_save(cr);
  cairo_rectangle(cr, f.left, f.top, f.width, f.height);
  cairo_clip(cr);
  for (size_t i : order) {
    const auto px = f.ToPixel(points[i][0], points[i][1]);
    SetColor(cr, PaletteColor(labels[i]), options.point_alpha);
    cairo_arc(cr, px[0], px[1], options.point_radius, 0, 2 * M_PI);
    cairo_fill(cr);
  }
  cairo_restore(cr);

  // Legend: one row per class present, in as many columns as it takes to
  // keep rows >= 9 px (CIFAR-100 has 100 classes).
  const int rows =
      static_cast<int>(std::count(present.begin(), present.end(), true));
  const double legend_left = f.left + f.width + 18;
  const double legend_width = options.width - legend_left - 10;
  const int rows_per_column = std::max(1, static_cast<int>(f.height / 9.0));
  const int columns = (rows + rows_per_column - 1) / rows_per_column;
  const int column_rows = (rows + columns - 1) / std::max(columns, 1);
  const double column_width = legend_width / std::max(columns, 1);
  const double row_h =
      std::clamp(f.height / std::max(column_rows, 1), 9.0, 24.0);
  const double font = std::min(13.0, row_h * 0.75);
  int row = 0;
  for (size_t c = 0; c < class_names.size(); ++c) {
    if (!present[c]) continue;
    const double x = legend_left + (row / column_rows) * column_width;
    const double y = f.top + row_h / 2 + (row % column_rows) * row_h;
    SetColor(cr, PaletteColor(static_cast<int>(c)));
    cairo_arc(cr, x + 6, y, std::min(6.0, row_h * 0.35), 0, 2 * M_PI);
    cairo_fill(cr);
    SetGrey(cr, 0.1);
    DrawText(cr, Fit(cr, class_names[c], font, column_width - 24), x + 18, y,
             font, Align::kLeft);
    ++row;
  }
  SetGrey(cr, 0.05);
  DrawText(cr, options.title, options.width / 2.0, f.top / 2, 17,
           Align::kCenter, true);
  return SavePng(surface.get(), path);
}

// -------------------------------------------------------------- line chart

PlotFrame LineChartFrame(const std::vector<Series>& series,
                         const LineChartOptions& options) {
  PlotFrame f;
  f.left = options.y_label.empty() ? 65 : 85;
  f.top = TopMargin(options.title);
  const double bottom_margin = options.x_label.empty() ? 35 : 60;
  f.width = std::max(10.0, options.width - LegendWidth(options.width) - f.left);
  f.height = std::max(10.0, options.height - f.top - bottom_margin);
  double x_lo = INFINITY, x_hi = -INFINITY, y_lo = INFINITY, y_hi = -INFINITY;
  for (const Series& s : series) {
    for (size_t i = 0; i < s.x.size() && i < s.y.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
      x_lo = std::min(x_lo, s.x[i]);
      x_hi = std::max(x_hi, s.x[i]);
      y_lo = std::min(y_lo, s.y[i]);
      y_hi = std::max(y_hi, s.y[i]);
    }
  }
  if (!std::isfinite(x_lo)) x_lo = x_hi = y_lo = y_hi = 0;
  if (options.y_from_zero) {
    y_lo = std::min(y_lo, 0.0);
    y_hi = std::max(y_hi, 0.0);
  }
  if (x_hi > x_lo) {
    f.x_min = x_lo;
    f.x_max = x_hi;
  } else {
    PaddedRange(x_lo, x_hi, 0, &f.x_min, &f.x_max);
  }
  PaddedRange(y_lo, y_hi, 0.05, &f.y_min, &f.y_max);
  if (options.y_from_zero && y_lo >= 0) f.y_min = 0;
  return f;
}

absl::Status WriteLineChartPng(const std::string& path,
                               const std::vector<Series>& series,
                               const LineChartOptions& options) {
  const std::string what = absl::StrCat("line chart '", path, "': ");
  if (series.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(what, "no series"));
  }
  for (const Series& s : series) {
    if (s.x.size() != s.y.size()) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, "series '", s.name, "' has ", s.x.size(),
                       " x values but ", s.y.size(), " y values"));
    }
    bool any = false;
    for (size_t i = 0; i < s.x.size(); ++i) {
      any |= std::isfinite(s.x[i]) && std::isfinite(s.y[i]);
    }
    if (!any) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, "series '", s.name, "' has no finite point"));
    }
  }
  if (!(options.line_width > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, "line_width must be > 0"));
  }
  Surface surface;
  Context context;
  KD_RETURN_IF_ERROR(
      NewCanvas(what, options.width, options.height, &surface, &context));
  cairo_t* cr = context.get();
  const PlotFrame f = LineChartFrame(series, options);
  DrawAxes(cr, f, options.x_label, options.y_label);
  DrawFrameBorder(cr, f);

  const double dash[] = {7.0, 4.0};
  cairo_save(cr);
  cairo_rectangle(cr, f.left, f.top, f.width, f.height);
  cairo_clip(cr);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
  for (size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    const Rgb color =
        PaletteColor(s.color_index >= 0 ? s.color_index : static_cast<int>(k));
    SetColor(cr, color);
    cairo_set_line_width(cr, options.line_width);
    cairo_set_dash(cr, dash, s.dashed ? 2 : 0, 0);
    bool pen_down = false;
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) {
        pen_down = false;
        continue;
      }
      const auto p = f.ToPixel(s.x[i], s.y[i]);
      if (pen_down) {
        cairo_line_to(cr, p[0], p[1]);
      } else {
        cairo_move_to(cr, p[0], p[1]);
        cairo_line_to(cr, p[0], p[1]);  // a lone point still shows (round cap)
      }
      pen_down = true;
    }
    cairo_stroke(cr);
    if (options.markers) {
      for (size_t i = 0; i < s.x.size(); ++i) {
        if (!std::isfinite(s.x[i]) || !std::isfinite(s.y[i])) continue;
        const auto p = f.ToPixel(s.x[i], s.y[i]);
        cairo_arc(cr, p[0], p[1], options.line_width + 1.5, 0, 2 * M_PI);
        cairo_fill(cr);
      }
    }
  }
  cairo_restore(cr);

  // Legend: a line sample per series, in the right margin.
  const double legend_left = f.left + f.width + 18;
  const double text_width = options.width - legend_left - 48;
  const double row_h = std::clamp(f.height / series.size(), 9.0, 24.0);
  const double font = std::min(13.0, row_h * 0.75);
  double y = f.top + row_h / 2;
  for (size_t k = 0; k < series.size(); ++k) {
    const Series& s = series[k];
    SetColor(cr, PaletteColor(s.color_index >= 0 ? s.color_index
                                                 : static_cast<int>(k)));
    cairo_set_line_width(cr, std::max(options.line_width, 2.5));
    cairo_set_dash(cr, dash, s.dashed ? 2 : 0, 0);
    cairo_move_to(cr, legend_left, y);
    cairo_line_to(cr, legend_left + 30, y);
    cairo_stroke(cr);
    cairo_set_dash(cr, nullptr, 0, 0);
    SetGrey(cr, 0.1);
    DrawText(cr, Fit(cr, s.name, font, text_width), legend_left + 38, y, font,
             Align::kLeft);
    y += row_h;
  }
  SetGrey(cr, 0.05);
  DrawText(cr, options.title, options.width / 2.0, f.top / 2, 17,
           Align::kCenter, true);
  return SavePng(surface.get(), path);
}

}  // namespace plot
}  // namespace kd
