#include "core/io/image_set_writer.h"

#include <zlib.h>

#include <array>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <sstream>

#include <opencv2/core/version.hpp>
#include <spdlog/version.h>
#include <torch/version.h>

#include "core/io/atomic_file.h"
#include "core/runtime/error.h"
#include "core/runtime/log.h"

namespace evlf::io {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr const char* kManifestName = "manifest.json";
constexpr const char* kFormat = "evlf-image-set";
constexpr int kFormatVersion = 1;
constexpr std::size_t kMaxNameBytes = 100;

bool is_manifest(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return false;
  const json manifest = json::parse(in, /*cb=*/nullptr, /*allow_exceptions=*/false);
  return manifest.is_object() && manifest.value("format", "") == kFormat;
}

/// An existing target may be replaced only when it is an empty folder or an earlier image set.
void check_replaceable(const fs::path& target) {
  if (!fs::exists(target)) return;
  if (!fs::is_directory(target)) {
    throw Error("output '" + target.string() + "' exists and is not a folder; choose another output path");
  }
  if (fs::is_empty(target) || is_manifest(target / kManifestName)) return;
  throw Error("output folder '" + target.string() +
              "' is not empty and holds no image-set manifest.json; choose a new or empty folder so no other data is replaced");
}

std::string utc_timestamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  std::ostringstream out;
  out << std::put_time(&utc, "%Y-%m-%dT%H:%M:%SZ");
  return out.str();
}

void rename_folder(const fs::path& from, const fs::path& to) {
  std::error_code error;
  fs::rename(from, to, error);
  if (error) {
    throw Error("failed to rename '" + from.string() + "' to '" + to.string() + "': " + error.message());
  }
}

std::string json_text(const json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); }

std::string zero_padded(int64_t value, int width) {
  std::ostringstream out;
  out << std::setw(width) << std::setfill('0') << value;
  return out.str();
}

}  // namespace

std::string safe_file_name(const std::string& name) {
  std::string safe;
  for (unsigned char c : name) {
    const bool reserved = c < 0x20 || c == 0x7f || std::string("/\\<>:\"|?*").find(static_cast<char>(c)) != std::string::npos;
    safe.push_back(reserved ? '_' : static_cast<char>(c));
  }
  const std::size_t first = safe.find_first_not_of('.');
  safe = first == std::string::npos ? std::string() : safe.substr(first);
  if (safe.size() > kMaxNameBytes) {
    std::size_t cut = kMaxNameBytes;
    while (cut > 0 && (static_cast<unsigned char>(safe[cut]) & 0xC0) == 0x80) --cut;  // stay on a UTF-8 boundary
    safe.resize(cut);
  }
  while (!safe.empty() && (safe.back() == '.' || safe.back() == ' ')) safe.pop_back();
  if (safe.empty()) return "unnamed";

  // Windows device names are reserved with or without an extension.
  std::string stem = safe.substr(0, safe.find('.'));
  for (char& c : stem) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  static const std::array<const char*, 22> kDevices = {"CON",  "PRN",  "AUX",  "NUL",  "COM1", "COM2", "COM3", "COM4",
                                                       "COM5", "COM6", "COM7", "COM8", "COM9", "LPT1", "LPT2", "LPT3",
                                                       "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9"};
  for (const char* device : kDevices) {
    if (stem == device) return safe + "_";
  }
  return safe;
}

std::vector<std::string> class_folder_names(const std::vector<std::string>& class_names) {
  const int width = std::max<int>(2, static_cast<int>(std::to_string(std::max<std::size_t>(class_names.size(), 1) - 1).size()));
  std::vector<std::string> folders;
  for (std::size_t i = 0; i < class_names.size(); ++i) {
    folders.push_back(zero_padded(static_cast<int64_t>(i), width) + "_" + safe_file_name(class_names[i]));
  }
  return folders;
}

json software_versions() {
  return {{"program", {{"name", "evlf-studio"}, {"version", EVLF_VERSION}}},
          {"libtorch", TORCH_VERSION},
          {"opencv", CV_VERSION},
          {"zlib", ZLIB_VERSION},
          {"nlohmann_json", json::meta()["version"]["string"]},
          {"spdlog", std::to_string(SPDLOG_VER_MAJOR) + "." + std::to_string(SPDLOG_VER_MINOR) + "." +
                         std::to_string(SPDLOG_VER_PATCH)}};
}

ImageSetWriter::ImageSetWriter(fs::path target, ImageSetDescription description, JobControl control)
    : target_(std::move(target)), description_(std::move(description)), control_(std::move(control)) {
  if (target_.filename().empty()) target_ = target_.parent_path();  // "out/" -> "out"
  if (target_.empty()) throw Error("image-set output path is empty; choose an output folder");
  if (description_.class_names.empty()) throw Error("image set has no class names; pass one name per label");
  check_replaceable(target_);
  folders_ = class_folder_names(description_.class_names);

  const fs::path parent = target_.parent_path().empty() ? fs::path(".") : target_.parent_path();
  temporary_ = temporary_sibling(target_);
  std::error_code error;
  fs::create_directories(parent, error);
  if (!error) fs::create_directory(temporary_, error);
  for (std::size_t i = 0; i < folders_.size() && !error; ++i) fs::create_directory(temporary_ / folders_[i], error);
  if (error) {
    discard();
    throw Error("cannot create the image-set folder beside '" + target_.string() + "': " + error.message() +
                "; choose a writable output location");
  }
  finished_ = false;
}

ImageSetWriter::~ImageSetWriter() {
  if (!finished_) discard();
}

void ImageSetWriter::discard() {
  std::error_code error;
  fs::remove_all(temporary_, error);
  if (error) logger()->warn("could not remove temporary image-set folder '{}': {}", temporary_.string(), error.message());
  finished_ = true;
}

fs::path ImageSetWriter::add(const torch::Tensor& image, const ImageProvenance& provenance, const PngText& text) {
  if (finished_) throw Error("image set for '" + target_.string() + "' is already committed or discarded");
  control_.throw_if_cancelled();
  const auto class_count = static_cast<int64_t>(folders_.size());
  if (provenance.class_index < 0 || provenance.class_index >= class_count) {
    throw Error("image class " + std::to_string(provenance.class_index) + " is out of range for " +
                std::to_string(class_count) + " classes");
  }
  if (provenance.slot < 0) throw Error("image slot must not be negative, got " + std::to_string(provenance.slot));

  std::string file_name = zero_padded(provenance.slot, 4);
  if (!provenance.pipeline.empty()) file_name += "_" + safe_file_name(provenance.pipeline);
  const fs::path relative = fs::path(folders_[provenance.class_index]) / (file_name + ".png");
  if (!files_.insert(relative.generic_string()).second) {
    throw Error("image set already has an image for class " + std::to_string(provenance.class_index) + ", slot " +
                std::to_string(provenance.slot) + ", pipeline '" + provenance.pipeline + "'");
  }

  const std::string& class_name = description_.class_names[provenance.class_index];
  PngText chunks = {{"evlf:class", class_name},
                    {"evlf:class_index", std::to_string(provenance.class_index)},
                    {"evlf:slot", std::to_string(provenance.slot)},
                    {"evlf:pipeline", provenance.pipeline},
                    {"evlf:mode", provenance.mode}};
  for (const auto& [key, value] : provenance.extra.items()) chunks.emplace_back("evlf:" + key, json_text(value));
  chunks.insert(chunks.end(), text.begin(), text.end());
  write_png(temporary_ / relative, image, chunks);

  json entry = {{"file", relative.generic_string()},
                {"class_index", provenance.class_index},
                {"class_name", class_name},
                {"slot", provenance.slot},
                {"pipeline", provenance.pipeline},
                {"mode", provenance.mode}};
  if (!provenance.extra.empty()) entry["extra"] = provenance.extra;
  images_.push_back(entry);
  control_.report({"write image set", static_cast<int64_t>(images_.size()), 0, {}, relative.generic_string()});
  return relative;
}

void ImageSetWriter::commit() {
  if (finished_) throw Error("image set for '" + target_.string() + "' is already committed or discarded");
  control_.throw_if_cancelled();

  json classes = json::array();
  for (std::size_t i = 0; i < folders_.size(); ++i) {
    classes.push_back({{"index", i}, {"name", description_.class_names[i]}, {"folder", folders_[i]}});
  }
  const json manifest = {{"format", kFormat},
                         {"format_version", kFormatVersion},
                         {"created", utc_timestamp()},
                         {"software", software_versions()},
                         {"parameters", description_.parameters},
                         {"bundle", description_.bundle},
                         {"seeds", description_.seeds},
                         {"classes", classes},
                         {"images", images_}};
  write_text_atomically(temporary_ / kManifestName, manifest.dump(2) + "\n");

  // Swap: old target away, new set in, old set removed.
  check_replaceable(target_);
  fs::path previous;
  if (fs::exists(target_)) {
    previous = temporary_sibling(target_);
    rename_folder(target_, previous);
  }
  try {
    rename_folder(temporary_, target_);
  } catch (...) {
    if (!previous.empty()) {
      std::error_code restore_error;
      fs::rename(previous, target_, restore_error);
    }
    throw;
  }
  finished_ = true;
  if (!previous.empty()) {
    std::error_code error;
    fs::remove_all(previous, error);
    if (error) logger()->warn("could not remove the replaced image set '{}': {}", previous.string(), error.message());
  }
  logger()->info("wrote image set '{}' with {} images", target_.string(), images_.size());
}

json read_image_set_manifest(const fs::path& root) {
  const fs::path file = root / kManifestName;
  std::ifstream in(file);
  if (!in) throw Error("image-set manifest '" + file.string() + "' not found; is this an exported image set?");
  const json manifest = json::parse(in, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (!manifest.is_object() || manifest.value("format", "") != kFormat) {
    throw Error("'" + file.string() + "' is not an image-set manifest (format \"" + kFormat + "\")");
  }
  return manifest;
}

}  // namespace evlf::io
