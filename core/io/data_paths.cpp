#include "core/io/data_paths.h"

#include <cstdlib>
#include <system_error>

#include "core/runtime/error.h"

namespace evlf::io {

namespace {

constexpr char kBundleEnvironmentVariable[] = "EVLF_BUNDLE";
constexpr char kManifestName[] = "bundle.json";

// Returns the folder of the running executable, or an empty path when
// /proc is unavailable.
std::filesystem::path executable_dir() {
  std::error_code error;
  const std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe", error);
  return error ? std::filesystem::path() : executable.parent_path();
}

bool has_manifest(const std::filesystem::path& folder) {
  std::error_code error;
  return std::filesystem::is_regular_file(folder / kManifestName, error);
}

}  // namespace

std::vector<std::filesystem::path> default_bundle_candidates() {
  if (const char* bundle = std::getenv(kBundleEnvironmentVariable); bundle != nullptr && *bundle) {
    return {std::filesystem::path(bundle)};
  }

  const std::filesystem::path models = std::filesystem::path("models") / kDefaultBundleName;
  std::vector<std::filesystem::path> candidates;
  if (const std::filesystem::path dir = executable_dir(); !dir.empty()) {
    candidates.push_back((dir / ".." / "share" / "evlf-studio" / models).lexically_normal());
  }
  candidates.push_back(std::filesystem::path(EVLF_SOURCE_RESOURCES_DIR) / models);
  candidates.push_back(std::filesystem::path(EVLF_INSTALLED_DATA_DIR) / models);
  return candidates;
}

std::optional<std::filesystem::path> find_default_bundle() {
  for (const std::filesystem::path& folder : default_bundle_candidates()) {
    if (has_manifest(folder)) return folder;
  }
  return std::nullopt;
}

std::filesystem::path default_bundle_path() {
  if (auto folder = find_default_bundle()) return *folder;

  std::string searched;
  for (const std::filesystem::path& folder : default_bundle_candidates()) {
    searched += "\n  " + folder.string();
  }
  throw Error(std::string("no model bundle found: none of these folders contains ") + kManifestName + ":" + searched +
              "\nSet " + kBundleEnvironmentVariable + " to a bundle folder, or install the evlf-studio package.");
}

}  // namespace evlf::io

namespace evlf::io {

std::filesystem::path user_cache_folder() {
  if (const char* dir = std::getenv("EVLF_CACHE_DIR"); dir != nullptr && *dir) return dir;
  if (const char* dir = std::getenv("XDG_CACHE_HOME"); dir != nullptr && *dir) return std::filesystem::path(dir) / "evlf-studio";
  if (const char* home = std::getenv("HOME"); home != nullptr && *home) {
    return std::filesystem::path(home) / ".cache" / "evlf-studio";
  }
  return std::filesystem::temp_directory_path() / "evlf-studio-cache";
}

}  // namespace evlf::io
