// Writers for embeddings and their 2-D maps, torch-free:
//  * TensorBoard projector files: vectors.tsv (one row of tab-separated
//    floats per point) and metadata.tsv (one row per point). The projector's
//    rule: a metadata file with ONE column has no header line; with two or
//    more columns the first line is a header. We write "label\tclass_name"
//    with a header when class names are given, else the bare label column.
//  * t-SNE coordinates as CSV: "x,y,label,class_name".
// All files are written atomically.
#ifndef KD_EVAL_PROJECTOR_H_
#define KD_EVAL_PROJECTOR_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace kd {
namespace eval {

// vectors: n * dim floats row-major; labels: n entries in
// [0, class_names.size()) when class_names is non-empty, else >= 0.
// Class names must not contain tabs or newlines. Errors name the file.
absl::Status WriteProjectorTsv(const std::string& vectors_path,
                               const std::string& metadata_path,
                               const std::vector<float>& vectors, int64_t n,
                               int64_t dim, const std::vector<int>& labels,
                               const std::vector<std::string>& class_names);

// CSV with header "x,y,label,class_name" (class_name column omitted when
// class_names is empty); names with commas or quotes are quoted (RFC 4180).
absl::Status WriteTsneCsv(const std::string& path,
                          const std::vector<std::array<double, 2>>& points,
                          const std::vector<int>& labels,
                          const std::vector<std::string>& class_names);

}  // namespace eval
}  // namespace kd

#endif  // KD_EVAL_PROJECTOR_H_
