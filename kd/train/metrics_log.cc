#include "kd/train/metrics_log.h"

#include <fstream>
#include <sstream>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "kd/status_macros.h"
#include "nlohmann/json.hpp"

namespace kd {

double EpochRecord::Get(const std::string& name, double fallback) const {
  for (const auto& [key, value] : values) {
    if (key == name) return value;
  }
  return fallback;
}

namespace {

absl::StatusOr<std::vector<std::string>> ReadLines(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  if (!in) return lines;  // absent: nothing logged yet
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

absl::Status WriteLines(const std::string& path,
                        const std::vector<std::string>& lines) {
  std::ofstream out(path, std::ios::trunc);
  for (const auto& line : lines) out << line << "\n";
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("cannot write ", path));
  return absl::OkStatus();
}

std::string FormatValue(double v) {
  std::ostringstream s;
  s.precision(8);
  s << v;
  return s.str();
}

}  // namespace

absl::Status MetricsLog::TruncateTo(int64_t epochs) {
  auto json_lines = ReadLines(jsonl_path());
  KD_RETURN_IF_ERROR(json_lines.status());
  std::vector<std::string> kept_json;
  for (const auto& line : *json_lines) {
    auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.value("epoch", 0) <= epochs)
      kept_json.push_back(line);
  }
  KD_RETURN_IF_ERROR(WriteLines(jsonl_path(), kept_json));
  auto csv_lines = ReadLines(csv_path());
  KD_RETURN_IF_ERROR(csv_lines.status());
  std::vector<std::string> kept_csv;
  for (size_t i = 0; i < csv_lines->size(); ++i) {
    if (i == 0) {
      kept_csv.push_back((*csv_lines)[i]);  // header
      continue;
    }
    const std::string& line = (*csv_lines)[i];
    if (std::stoll(line.substr(0, line.find(','))) <= epochs) {
      kept_csv.push_back(line);
    }
  }
  if (kept_csv.size() <= 1) kept_csv.clear();
  return WriteLines(csv_path(), kept_csv);
}

absl::Status MetricsLog::Append(const EpochRecord& record) {
  nlohmann::ordered_json j;
  j["epoch"] = record.epoch;
  std::vector<std::string> header = {"epoch"};
  std::vector<std::string> row = {absl::StrCat(record.epoch)};
  for (const auto& [key, value] : record.values) {
    j[key] = value;
    header.push_back(key);
    row.push_back(FormatValue(value));
  }
  {
    std::ofstream out(jsonl_path(), std::ios::app);
    out << j.dump() << "\n";
    if (!out)
      return absl::InternalError(absl::StrCat("cannot write ", jsonl_path()));
  }
  auto existing = ReadLines(csv_path());
  KD_RETURN_IF_ERROR(existing.status());
  std::ofstream out(csv_path(), std::ios::app);
  if (existing->empty()) out << absl::StrJoin(header, ",") << "\n";
  out << absl::StrJoin(row, ",") << "\n";
  if (!out)
    return absl::InternalError(absl::StrCat("cannot write ", csv_path()));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<EpochRecord>> MetricsLog::ReadAll() const {
  auto lines = ReadLines(jsonl_path());
  KD_RETURN_IF_ERROR(lines.status());
  std::vector<EpochRecord> records;
  for (const auto& line : *lines) {
    auto j = nlohmann::ordered_json::parse(line, nullptr, false);
    if (!j.is_object()) {
      return absl::DataLossError(
          absl::StrCat(jsonl_path(), ": not a JSON object: ", line));
    }
    EpochRecord r;
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (it.key() == "epoch") {
        r.epoch = it.value().get<int64_t>();
      } else if (it.value().is_number()) {
        r.values.emplace_back(it.key(), it.value().get<double>());
      }
    }
    records.push_back(std::move(r));
  }
  return records;
}

}  // namespace kd
