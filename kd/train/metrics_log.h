// Per-epoch metrics of a run, appended to <out_dir>/metrics.csv and
// <out_dir>/metrics.jsonl (one JSON object per epoch). The column set is
// fixed by the first record; a resumed run truncates both files back to the
// epochs its checkpoint covers before appending. Torch-free.
#ifndef KD_TRAIN_METRICS_LOG_H_
#define KD_TRAIN_METRICS_LOG_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace kd {

// One epoch: ordered (name, value) pairs; "epoch" comes first.
struct EpochRecord {
  int64_t epoch = 0;  // 1-based
  std::vector<std::pair<std::string, double>> values;
  double Get(const std::string& name, double fallback = 0) const;
};

class MetricsLog {
 public:
  explicit MetricsLog(std::string out_dir) : out_dir_(std::move(out_dir)) {}

  // Keeps only records of epochs <= `epochs` in both files (resume).
  absl::Status TruncateTo(int64_t epochs);
  absl::Status Append(const EpochRecord& record);

  // Every record in metrics.jsonl, in order (for curves and tests).
  absl::StatusOr<std::vector<EpochRecord>> ReadAll() const;

  std::string csv_path() const { return out_dir_ + "/metrics.csv"; }
  std::string jsonl_path() const { return out_dir_ + "/metrics.jsonl"; }

 private:
  std::string out_dir_;
};

}  // namespace kd

#endif  // KD_TRAIN_METRICS_LOG_H_
