// plot_metrics: one column of several runs' metrics.jsonl as a line chart
// (PNG), e.g. the test error per epoch of a plain, a node-only, an edge-only
// and a full EGA student:
//
//   plot_metrics --out=dynamics.png --column=test_top1 --error
//       --run="ce=runs/ce" --run="ce + node=runs/node" --run="EGA=runs/ega"
//
// Each --run is "<legend>=<run directory>" (repeatable); a directory list
// "<legend>=<dir1>,<dir2>,..." (e.g. one per seed) plots their mean. Exit
// codes: 0 written, 2 bad input (a missing run or column names it).
#include <cmath>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "gflags/gflags.h"
#include "kd/base/files.h"
#include "kd/plot/plot.h"
#include "kd/status_macros.h"
#include "kd/train/cli.h"
#include "kd/train/metrics_log.h"

DEFINE_string(run, "",
              "<legend>=<run dir>[,<run dir>...] (repeatable); several "
              "directories: their mean per epoch");
DEFINE_string(column, "test_top1",
              "metrics column to plot (any column of metrics.csv)");
DEFINE_bool(error, false, "plot 100 - value (accuracy columns as error %)");
DEFINE_string(y_label, "", "y axis label; empty: the column's name");
DEFINE_string(title, "", "chart title");
DEFINE_string(out, "", "the PNG to write");

namespace {

constexpr char kProgram[] = "plot_metrics";

struct RunSpec {
  std::string legend;
  std::vector<std::string> dirs;
};

absl::StatusOr<RunSpec> ParseRun(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == text.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--run: expected <legend>=<run dir>[,<run dir>...], got '", text, "'"));
  }
  RunSpec spec{text.substr(0, eq), {}};
  for (absl::string_view dir :
       absl::StrSplit(text.substr(eq + 1), ',', absl::SkipEmpty())) {
    spec.dirs.emplace_back(dir);
  }
  return spec;
}

// The mean of the column over the runs, per epoch present in all of them.
absl::StatusOr<kd::plot::Series> ReadSeries(const RunSpec& run, int index) {
  std::map<int64_t, std::vector<double>> by_epoch;
  for (const std::string& dir : run.dirs) {
    if (!kd::IsRegularFile(dir + "/metrics.jsonl")) {
      return absl::NotFoundError(
          absl::StrCat("--run ", run.legend, ": no metrics.jsonl in ", dir));
    }
    KD_ASSIGN_OR_RETURN(std::vector<kd::EpochRecord> records,
                        kd::MetricsLog(dir).ReadAll());
    for (const kd::EpochRecord& r : records) {
      const double v = r.Get(FLAGS_column, NAN);
      if (std::isnan(v)) continue;  // absent, or null (not evaluated)
      by_epoch[r.epoch].push_back(FLAGS_error ? 100.0 - v : v);
    }
  }
  if (by_epoch.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--column ", FLAGS_column, ": no value in the metrics of --run ",
        run.legend, " (", absl::StrJoin(run.dirs, ","), ")"));
  }
  kd::plot::Series series;
  series.name = run.legend;
  series.color_index = index;
  for (const auto& [epoch, values] : by_epoch) {
    if (values.size() != run.dirs.size()) continue;
    double sum = 0;
    for (double v : values) sum += v;
    series.x.push_back(static_cast<double>(epoch));
    series.y.push_back(sum / values.size());
  }
  return series;
}

int Main(int argc, char** argv) {
  kd::CliSpec spec;
  spec.program = kProgram;
  spec.usage =
      "plots one metrics column of several runs (each the mean of its "
      "directories) as a PNG line chart.";
  spec.repeatable = {"run"};
  spec.help_files = {"tools/plot_metrics.cc"};
  const kd::ParsedCli cli = kd::ParseCommandLineOrExit(spec, argc, argv);
  if (FLAGS_out.empty()) {
    return kd::ReportBadInput(kProgram,
                              absl::InvalidArgumentError("--out: required"));
  }
  const auto runs = cli.repeated.find("run");
  if (runs == cli.repeated.end()) {
    return kd::ReportBadInput(
        kProgram, absl::InvalidArgumentError("--run: at least one required"));
  }
  std::vector<kd::plot::Series> series;
  for (const std::string& text : runs->second) {
    absl::StatusOr<RunSpec> run = ParseRun(text);
    if (!run.ok()) return kd::ReportBadInput(kProgram, run.status());
    absl::StatusOr<kd::plot::Series> s =
        ReadSeries(*run, static_cast<int>(series.size()));
    if (!s.ok()) return kd::ReportBadInput(kProgram, s.status());
    series.push_back(*std::move(s));
  }
  kd::plot::LineChartOptions options;
  options.title = FLAGS_title;
  options.y_label = !FLAGS_y_label.empty() ? FLAGS_y_label
                    : FLAGS_error ? absl::StrCat("100 - ", FLAGS_column)
                                  : FLAGS_column;
  options.y_from_zero = FLAGS_error;
  options.markers = series.front().x.size() <= 30;
  if (absl::Status s = kd::plot::WriteLineChartPng(FLAGS_out, series, options);
      !s.ok()) {
    return kd::ReportBadInput(kProgram, s);
  }
  std::printf("%s: %zu series of %s\n", FLAGS_out.c_str(), series.size(),
              FLAGS_column.c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) { return Main(argc, argv); }
