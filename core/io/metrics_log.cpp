#include "core/io/metrics_log.h"

#include <sstream>

#include <nlohmann/json.hpp>

#include "core/runtime/error.h"

namespace evlf::io {
namespace fs = std::filesystem;
using json = nlohmann::json;

MetricsLog::MetricsLog(const fs::path& path) : path_(path), csv_(path.extension() == ".csv") {
  if (csv_ && fs::is_regular_file(path) && fs::file_size(path) > 0) {
    // Resuming: keep the existing header's columns.
    std::ifstream in(path);
    std::string header;
    std::getline(in, header);
    std::stringstream fields(header);
    std::string field;
    int index = 0;
    while (std::getline(fields, field, ',')) {
      if (index++ >= 2) columns_.push_back(field);
    }
  }
  out_.open(path, std::ios::app);
  if (!out_) throw Error("cannot open metrics log '" + path.string() + "' for writing; check the folder exists and is writable");
}

void MetricsLog::write(const std::string& stage, int64_t step, const std::vector<std::pair<std::string, double>>& values) {
  if (!csv_) {
    json row = {{"stage", stage}, {"step", step}};
    for (const auto& [name, value] : values) row[name] = value;
    out_ << row.dump() << '\n';
    out_.flush();
    return;
  }

  if (columns_.empty()) {
    out_ << "stage,step";
    for (const auto& [name, _] : values) {
      columns_.push_back(name);
      out_ << ',' << name;
    }
    out_ << '\n';
  }
  if (values.size() != columns_.size()) {
    throw Error("metrics log '" + path_.string() + "' has " + std::to_string(columns_.size()) + " columns, row has " +
                std::to_string(values.size()) + "; use a .jsonl log for rows with varying fields");
  }
  out_ << stage << ',' << step;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i].first != columns_[i]) {
      throw Error("metrics log '" + path_.string() + "': column '" + columns_[i] + "' expected, row has '" +
                  values[i].first + "'");
    }
    out_ << ',' << values[i].second;
  }
  out_ << '\n';
  out_.flush();
}

std::vector<MetricsRow> read_metrics_log(const fs::path& path) {
  std::ifstream in(path);
  if (!in) throw Error("metrics log '" + path.string() + "' not found");
  std::vector<MetricsRow> rows;
  std::string line;

  if (path.extension() == ".csv") {
    std::vector<std::string> columns;
    if (std::getline(in, line)) {
      std::stringstream fields(line);
      std::string field;
      while (std::getline(fields, field, ',')) columns.push_back(field);
    }
    while (std::getline(in, line)) {
      std::stringstream fields(line);
      std::string field;
      MetricsRow row;
      for (std::size_t i = 0; std::getline(fields, field, ','); ++i) {
        if (i == 0) row.stage = field;
        else if (i == 1) row.step = std::stoll(field);
        else if (i < columns.size()) row.values.emplace_back(columns[i], std::stod(field));
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  while (std::getline(in, line)) {
    const json row = json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!row.is_object()) continue;
    MetricsRow parsed;
    parsed.stage = row.value("stage", "");
    parsed.step = row.value("step", int64_t(0));
    for (const auto& [key, value] : row.items()) {
      if (key != "stage" && key != "step" && value.is_number()) parsed.values.emplace_back(key, value.get<double>());
    }
    rows.push_back(std::move(parsed));
  }
  return rows;
}

}  // namespace evlf::io
