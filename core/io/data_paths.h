// Locations of the data that ships with EVLF Studio, found without flags
// both in an installed package and in a build tree.
#pragma once

#include <filesystem>
#include <optional>
#include <vector>

namespace evlf::io {

/// Folder name of the bundle that ships with EVLF Studio.
inline constexpr char kDefaultBundleName[] = "fashion-mnist";

/// Folders that may contain the default bundle, in search order:
///   1. $EVLF_BUNDLE when set, and then it is the only candidate;
///   2. <executable dir>/../share/evlf-studio/models/fashion-mnist, the
///      installed layout wherever the package is unpacked;
///   3. resources/models/fashion-mnist in the source tree this was built from;
///   4. <install prefix>/share/evlf-studio/models/fashion-mnist.
std::vector<std::filesystem::path> default_bundle_candidates();

/// The first candidate that contains bundle.json; nullopt when none does.
std::optional<std::filesystem::path> find_default_bundle();

/// Like find_default_bundle, but throws evlf::Error listing the folders it
/// searched and how to point at a bundle when none is found.
std::filesystem::path default_bundle_path();

}  // namespace evlf::io

namespace evlf::io {

/// The per-user cache folder for latents and trained helper networks:
/// $EVLF_CACHE_DIR, else $XDG_CACHE_HOME/evlf-studio, else ~/.cache/evlf-studio,
/// else a folder under the system temporary directory. Not created here.
std::filesystem::path user_cache_folder();

}  // namespace evlf::io
