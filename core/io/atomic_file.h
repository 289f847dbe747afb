// Atomic replacement of files: write beside the target, then rename, so a
// crash or an error never leaves a half-written file in place of a good one.
#pragma once

#include <filesystem>
#include <functional>
#include <ostream>
#include <string>

namespace evlf::io {

/// Calls `write` with a binary stream on a temporary file in the target's
/// folder, then renames it onto `path`. On any exception the temporary file
/// is removed and `path` is left as it was. Throws evlf::Error when the
/// folder is missing or not writable.
void write_file_atomically(const std::filesystem::path& path,
                           const std::function<void(std::ostream&)>& write);

void write_text_atomically(const std::filesystem::path& path, const std::string& text);

/// A unique name for a temporary sibling of `path`: ".NAME.tmp-PID-N".
std::filesystem::path temporary_sibling(const std::filesystem::path& path);

}  // namespace evlf::io
