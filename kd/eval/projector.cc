#include "kd/eval/projector.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "kd/base/files.h"

namespace kd {
namespace eval {
namespace {

absl::Status CheckLabels(const std::string& path,
                         const std::vector<int>& labels, size_t n,
                         const std::vector<std::string>& class_names) {
  if (labels.size() != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", path, "': ", n, " points but ", labels.size(), " labels"));
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    const bool bad =
        labels[i] < 0 || (!class_names.empty() &&
                          labels[i] >= static_cast<int>(class_names.size()));
    if (bad) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", path, "': label ", labels[i], " of point ", i,
                       " is outside [0, ",
                       class_names.empty() ? std::string("inf")
                                           : absl::StrCat(class_names.size()),
                       ")"));
    }
  }
  return absl::OkStatus();
}

// RFC 4180: quote a field holding a comma, quote or line break.
std::string CsvField(const std::string& s) {
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

absl::Status WriteProjectorTsv(const std::string& vectors_path,
                               const std::string& metadata_path,
                               const std::vector<float>& vectors, int64_t n,
                               int64_t dim, const std::vector<int>& labels,
                               const std::vector<std::string>& class_names) {
  if (n < 1 || dim < 1 || vectors.size() != static_cast<size_t>(n * dim)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", vectors_path, "': expected n*dim = ", n, "*", dim,
                     " values (n, dim >= 1), got ", vectors.size()));
  }
  if (absl::Status s = CheckLabels(metadata_path, labels, n, class_names);
      !s.ok()) {
    return s;
  }
  for (size_t c = 0; c < class_names.size(); ++c) {
    if (class_names[c].find_first_of("\t\r\n") != std::string::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", metadata_path, "': class name ", c,
                       " contains a tab or line break"));
    }
  }
  std::string text;
  text.reserve(static_cast<size_t>(n * dim) * 12);
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t d = 0; d < dim; ++d) {
      const float v = vectors[i * dim + d];
      if (!std::isfinite(v)) {
        return absl::InvalidArgumentError(
            absl::StrCat("'", vectors_path, "': value of point ", i,
                         " dimension ", d, " is not finite"));
      }
      if (d > 0) text += '\t';
      absl::StrAppendFormat(&text, "%.9g", v);  // round-trips a float
    }
    text += '\n';
  }
  std::string metadata;
  if (!class_names.empty()) metadata = "label\tclass_name\n";
  for (int64_t i = 0; i < n; ++i) {
    if (class_names.empty()) {
      absl::StrAppend(&metadata, labels[i], "\n");
    } else {
      absl::StrAppend(&metadata, labels[i], "\t", class_names[labels[i]], "\n");
    }
  }
  if (absl::Status s = WriteFileAtomically(vectors_path, text); !s.ok()) {
    return s;
  }
  return WriteFileAtomically(metadata_path, metadata);
}

absl::Status WriteTsneCsv(const std::string& path,
                          const std::vector<std::array<double, 2>>& points,
                          const std::vector<int>& labels,
                          const std::vector<std::string>& class_names) {
  if (points.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("'", path, "': no points"));
  }
  if (absl::Status s = CheckLabels(path, labels, points.size(), class_names);
      !s.ok()) {
    return s;
  }
  std::string text =
      class_names.empty() ? "x,y,label\n" : "x,y,label,class_name\n";
  for (size_t i = 0; i < points.size(); ++i) {
    absl::StrAppendFormat(&text, "%.17g,%.17g,%d", points[i][0], points[i][1],
                          labels[i]);
    if (!class_names.empty()) {
      absl::StrAppend(&text, ",", CsvField(class_names[labels[i]]));
    }
    text += '\n';
  }
  return WriteFileAtomically(path, text);
}

}  // namespace eval
}  // namespace kd
