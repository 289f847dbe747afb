// PNG files with text metadata: iTXt chunks (UTF-8, so any Unicode text
// round-trips) inserted before IEND. Chunk layout and CRC as in the PNG
// specification (W3C PNG, third edition, sections 5.3 and 11.3.3.4).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

namespace evlf::io {

/// Keyword-text pairs in file order. Keywords are 1-79 Latin-1 printable
/// characters without leading, trailing or doubled spaces.
using PngText = std::vector<std::pair<std::string, std::string>>;

/// Encodes an image as PNG bytes with OpenCV. `image` is [C, H, W] or
/// [H, W], uint8 or float in [0, 1] (rounded and clamped); C is 1 or 3 (RGB).
std::vector<uint8_t> encode_png(const torch::Tensor& image);

/// Returns `png` with one uncompressed iTXt chunk per entry, inserted before
/// IEND. Throws evlf::Error for an invalid keyword, text that is not valid
/// UTF-8, or bytes that are not a PNG.
std::vector<uint8_t> add_png_text(const std::vector<uint8_t>& png, const PngText& text);

/// Reads every tEXt, zTXt and iTXt chunk (compressed ones are inflated with
/// zlib). Throws evlf::Error naming `source` for a bad signature, a
/// truncated chunk or a CRC mismatch.
PngText read_png_text(const std::vector<uint8_t>& png, const std::string& source = "PNG data");

/// Reads the text chunks of the file at `path`.
PngText read_png_text(const std::filesystem::path& path);

/// Encodes `image`, adds `text` and writes the file atomically.
void write_png(const std::filesystem::path& path, const torch::Tensor& image, const PngText& text = {});

/// True when `text` is well-formed UTF-8.
bool is_valid_utf8(const std::string& text);

}  // namespace evlf::io
