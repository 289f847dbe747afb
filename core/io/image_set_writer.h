// Atomic export of an image set: an ImageFolder tree (one folder per class,
// PNG files with iTXt provenance) plus manifest.json. Everything is written
// into a temporary sibling folder that replaces the target only when
// complete, so a cancelled or failed run leaves no partial set and never
// damages an earlier one.
//
// Layout:
//   TARGET/manifest.json
//   TARGET/00_T-shirt_top/0000_early.png
//   TARGET/01_Trouser/...
// Class folders are "<index>_<safe name>", the index zero-padded to the
// width of the largest index (at least two digits), so sorting folder
// names, as evlf::data::read_image_folder does, keeps the class order.
// The manifest records the original class names.
#pragma once

#include <cstdint>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <torch/types.h>

#include "core/io/png_metadata.h"
#include "core/runtime/progress.h"

namespace evlf::io {

/// \brief Run-level facts stored in manifest.json.
struct ImageSetDescription {
  std::vector<std::string> class_names;                    // original names, in label order
  nlohmann::json parameters = nlohmann::json::object();    // generation parameters (guidance, fusion weight, IPC, ...)
  nlohmann::json bundle = nlohmann::json::object();        // model bundle identity (path, manifest name, hashes)
  nlohmann::json seeds = nlohmann::json::object();         // every seed the run used
};

/// \brief Where one image came from.
struct ImageProvenance {
  int64_t class_index = 0;                             // label
  int64_t slot = 0;                                    // index within the class (0 .. IPC-1)
  std::string pipeline;                                // e.g. "late", "early", "random_real"
  std::string mode;                                    // how the mode was chosen, e.g. "kmeans centre 3"
  nlohmann::json extra = nlohmann::json::object();     // further fields (prompt, seed); also written as PNG text
};

/// Maps a name to a portable file-name component that stays readable:
/// "/", "\\", control characters and the Windows-reserved characters
/// <>:"|?* become "_", leading dots and trailing dots or spaces are
/// dropped, Windows device names (CON, NUL, COM1, ...) get a "_" suffix,
/// the result is cut to 100 bytes on a UTF-8 boundary, and an empty result
/// becomes "unnamed". Non-ASCII UTF-8 is kept.
std::string safe_file_name(const std::string& name);

/// Class folder names "<index>_<safe name>" for `class_names`; unique by construction.
std::vector<std::string> class_folder_names(const std::vector<std::string>& class_names);

/// \brief Writes one image set atomically; see the file comment for the layout.
///
/// Usage: construct, add() every image, commit(). Destroying the writer
/// without commit() (an exception, a cancel) removes the temporary folder
/// and leaves the target as it was.
class ImageSetWriter {
 public:
  /// Creates the temporary folder beside `target` (creating target's parent
  /// when missing). Throws evlf::Error when `target` exists and is neither
  /// an empty folder nor an earlier image set (it has no manifest.json of
  /// this format), so an unrelated folder is never replaced.
  ImageSetWriter(std::filesystem::path target, ImageSetDescription description, JobControl control = {});
  ~ImageSetWriter();

  ImageSetWriter(const ImageSetWriter&) = delete;
  ImageSetWriter& operator=(const ImageSetWriter&) = delete;

  /// Writes `image` ([C, H, W] or [H, W], uint8 or float in [0, 1]) as
  /// CLASS_FOLDER/<slot>_<pipeline>.png with the provenance, `text` and
  /// the string fields of `provenance.extra` as iTXt chunks. Checks the
  /// cancel flag first. Returns the path relative to the set's root.
  std::filesystem::path add(const torch::Tensor& image, const ImageProvenance& provenance, const PngText& text = {});

  /// Writes manifest.json and moves the set onto the target: an existing
  /// target is renamed away, the new set renamed in, then the old one
  /// removed. Checks the cancel flag before touching the target.
  void commit();

  /// Removes the temporary folder; the target stays as it was.
  void discard();

  std::size_t image_count() const { return images_.size(); }
  const std::filesystem::path& temporary_folder() const { return temporary_; }

 private:
  std::filesystem::path target_;
  std::filesystem::path temporary_;
  ImageSetDescription description_;
  JobControl control_;
  std::vector<std::string> folders_;
  nlohmann::json images_ = nlohmann::json::array();
  std::set<std::string> files_;
  bool finished_ = false;
};

/// Reads TARGET/manifest.json. Throws evlf::Error when it is missing or not an image-set manifest.
nlohmann::json read_image_set_manifest(const std::filesystem::path& root);

/// Program and library versions recorded in manifests and run logs.
nlohmann::json software_versions();

}  // namespace evlf::io
