// Training and evaluation metrics written as JSON lines (".jsonl") or CSV
// (".csv"), one row per report, flushed at once so a crash loses nothing
// already written and the GUI can follow a running job.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace evlf::io {

/// \brief Appends metric rows to a JSON-lines or CSV file.
class MetricsLog {
 public:
  /// Opens `path` for appending; the format follows the extension (".csv"
  /// or anything else for JSON lines). Throws evlf::Error when the file
  /// cannot be opened.
  explicit MetricsLog(const std::filesystem::path& path);

  /// Writes one row: the stage, the step and named values. A CSV file takes
  /// its columns from the first row; later rows with other names are an error.
  void write(const std::string& stage, int64_t step, const std::vector<std::pair<std::string, double>>& values);

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::ofstream out_;
  bool csv_ = false;
  std::vector<std::string> columns_;
};

/// \brief One parsed row of a metrics log.
struct MetricsRow {
  std::string stage;
  int64_t step = 0;
  std::vector<std::pair<std::string, double>> values;
};

/// Reads a JSON-lines or CSV metrics log; unparsable lines are skipped.
std::vector<MetricsRow> read_metrics_log(const std::filesystem::path& path);

}  // namespace evlf::io
