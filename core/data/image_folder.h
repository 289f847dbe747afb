// ImageFolder datasets: one sub-folder per class, sorted by name, images
// inside. Read with OpenCV; files that cannot be read are skipped and listed.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/data/idx.h"

namespace evlf::data {

/// \brief How images are converted while reading an ImageFolder tree.
struct ImageFolderOptions {
  int channels = 1;                 // 1 = grey, 3 = RGB; alpha is dropped
  std::optional<int> size;          // square side in pixels; nullopt = keep the first image's size
};

/// \brief A file that was not loaded, and why.
struct SkippedFile {
  std::filesystem::path path;
  std::string reason;
};

/// \brief Images, labels and class names of an ImageFolder tree.
struct ImageFolderSet : LabeledImages {
  std::vector<std::filesystem::path> files;  // source file of each image
  std::vector<SkippedFile> skipped;
};

/// Reads `root`. Grey, colour, alpha and 16-bit images are converted to
/// `options.channels` 8-bit channels. Unreadable or non-image files, and
/// images whose size differs when no size is given, are skipped and listed.
/// Throws evlf::Error when `root` is missing or holds no class folder.
ImageFolderSet read_image_folder(const std::filesystem::path& root, const ImageFolderOptions& options = {});

}  // namespace evlf::data
