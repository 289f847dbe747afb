#include "core/io/png_metadata.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <torch/torch.h>

#include "core/io/atomic_file.h"
#include "core/runtime/error.h"

namespace evlf::io {
namespace fs = std::filesystem;

namespace {

constexpr uint8_t kSignature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
constexpr std::size_t kMaxKeyword = 79;

uint32_t read_u32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

void append_u32(std::vector<uint8_t>& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(value >> shift));
}

/// A chunk: length, type, data, CRC-32 over type and data.
void append_chunk(std::vector<uint8_t>& out, const char type[4], const std::string& data) {
  append_u32(out, static_cast<uint32_t>(data.size()));
  const std::size_t type_at = out.size();
  out.insert(out.end(), type, type + 4);
  out.insert(out.end(), data.begin(), data.end());
  const uLong crc = crc32(0L, out.data() + type_at, static_cast<uInt>(4 + data.size()));
  append_u32(out, static_cast<uint32_t>(crc));
}

void check_keyword(const std::string& keyword) {
  bool valid = !keyword.empty() && keyword.size() <= kMaxKeyword && keyword.front() != ' ' && keyword.back() != ' ' &&
               keyword.find("  ") == std::string::npos;
  for (unsigned char c : keyword) valid = valid && ((c >= 32 && c <= 126) || c >= 161);
  if (!valid) {
    throw Error("invalid PNG text keyword '" + keyword +
                "'; use 1-79 printable Latin-1 characters without leading, trailing or doubled spaces");
  }
}

void check_signature(const std::vector<uint8_t>& png, const std::string& source) {
  if (png.size() < 8 || std::memcmp(png.data(), kSignature, 8) != 0) {
    throw Error(source + " is not a PNG file (bad signature)");
  }
}

std::string inflate_text(const std::string& compressed, const std::string& source) {
  z_stream stream{};
  if (inflateInit(&stream) != Z_OK) throw Error("zlib inflateInit failed while reading " + source);
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(compressed.data()));
  stream.avail_in = static_cast<uInt>(compressed.size());
  std::string text;
  char buffer[16384];
  int status = Z_OK;
  while (status == Z_OK) {
    stream.next_out = reinterpret_cast<Bytef*>(buffer);
    stream.avail_out = sizeof(buffer);
    status = inflate(&stream, Z_NO_FLUSH);
    text.append(buffer, sizeof(buffer) - stream.avail_out);
    if (status == Z_BUF_ERROR && stream.avail_in == 0) break;
  }
  inflateEnd(&stream);
  if (status != Z_STREAM_END) throw Error(source + " has a compressed text chunk that zlib cannot inflate");
  return text;
}

/// Splits `data` at the first NUL from `from`; returns the part and moves `from` past the NUL.
std::string take_until_nul(const std::string& data, std::size_t& from, const std::string& source) {
  const std::size_t nul = data.find('\0', from);
  if (nul == std::string::npos) throw Error(source + " has a malformed text chunk (missing NUL separator)");
  std::string part = data.substr(from, nul - from);
  from = nul + 1;
  return part;
}

}  // namespace

bool is_valid_utf8(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    int extra = 0;
    uint32_t code = 0;
    if (c < 0x80) { ++i; continue; }
    if ((c & 0xE0) == 0xC0) { extra = 1; code = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { extra = 2; code = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { extra = 3; code = c & 0x07; }
    else return false;
    if (i + extra >= text.size()) return false;  // truncated sequence
    for (int k = 1; k <= extra; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code = (code << 6) | (next & 0x3F);
    }
    const uint32_t minimum[] = {0, 0x80, 0x800, 0x10000};
    if (code < minimum[extra] || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

std::vector<uint8_t> encode_png(const torch::Tensor& image) {
  torch::Tensor chw = image.dim() == 2 ? image.unsqueeze(0) : image;
  if (chw.dim() != 3 || (chw.size(0) != 1 && chw.size(0) != 3)) {
    throw Error("PNG export expects an image [C, H, W] with C = 1 or 3, got " + c10::str(image.sizes()));
  }
  if (chw.scalar_type() != torch::kUInt8) {
    chw = (chw.to(torch::kFloat) * 255.0).round().clamp(0, 255).to(torch::kUInt8);
  }
  const torch::Tensor hwc = chw.permute({1, 2, 0}).contiguous();  // [H, W, C]
  cv::Mat mat(static_cast<int>(hwc.size(0)), static_cast<int>(hwc.size(1)),
              hwc.size(2) == 1 ? CV_8UC1 : CV_8UC3, hwc.data_ptr<uint8_t>());
  cv::Mat bgr = mat;
  if (hwc.size(2) == 3) cv::cvtColor(mat, bgr, cv::COLOR_RGB2BGR);
  std::vector<uint8_t> bytes;
  if (!cv::imencode(".png", bgr, bytes)) throw Error("OpenCV failed to encode a PNG image");
  return bytes;
}

std::vector<uint8_t> add_png_text(const std::vector<uint8_t>& png, const PngText& text) {
  check_signature(png, "image");
  for (const auto& [keyword, value] : text) {
    check_keyword(keyword);
    if (!is_valid_utf8(value)) throw Error("PNG text for keyword '" + keyword + "' is not valid UTF-8");
  }

  // Find IEND by walking the chunks.
  std::size_t at = 8;
  std::size_t iend = std::string::npos;
  while (at + 12 <= png.size()) {
    const uint32_t length = read_u32(&png[at]);
    if (std::memcmp(&png[at + 4], "IEND", 4) == 0) {
      iend = at;
      break;
    }
    at += 12 + static_cast<std::size_t>(length);
  }
  if (iend == std::string::npos) throw Error("image bytes have no IEND chunk; the PNG is truncated");

  std::vector<uint8_t> out(png.begin(), png.begin() + static_cast<std::ptrdiff_t>(iend));
  for (const auto& [keyword, value] : text) {
    // keyword NUL, compression flag 0, method 0, empty language tag NUL, empty translated keyword NUL, text.
    std::string data = keyword;
    data.push_back('\0');
    data.push_back('\0');
    data.push_back('\0');
    data.push_back('\0');
    data.push_back('\0');
    data += value;
    append_chunk(out, "iTXt", data);
  }
  out.insert(out.end(), png.begin() + static_cast<std::ptrdiff_t>(iend), png.end());
  return out;
}

PngText read_png_text(const std::vector<uint8_t>& png, const std::string& source) {
  check_signature(png, source);
  PngText text;
  std::size_t at = 8;
  while (at < png.size()) {
    if (at + 12 > png.size()) throw Error(source + " is truncated inside a chunk header");
    const uint32_t length = read_u32(&png[at]);
    if (at + 12 + static_cast<std::size_t>(length) > png.size()) throw Error(source + " is truncated inside a chunk");
    const std::string type(reinterpret_cast<const char*>(&png[at + 4]), 4);
    const uLong crc = crc32(0L, &png[at + 4], static_cast<uInt>(4 + length));
    if (static_cast<uint32_t>(crc) != read_u32(&png[at + 8 + length])) {
      throw Error(source + " has a CRC mismatch in its " + type + " chunk; the file is corrupt");
    }
    const std::string data(reinterpret_cast<const char*>(&png[at + 8]), length);
    std::size_t pos = 0;
    if (type == "tEXt") {
      std::string keyword = take_until_nul(data, pos, source);
      text.emplace_back(keyword, data.substr(pos));
    } else if (type == "zTXt") {
      std::string keyword = take_until_nul(data, pos, source);
      text.emplace_back(keyword, inflate_text(data.substr(pos + 1), source));
    } else if (type == "iTXt") {
      std::string keyword = take_until_nul(data, pos, source);
      if (pos + 2 > data.size()) throw Error(source + " has a malformed iTXt chunk");
      const bool compressed = data[pos] != 0;
      pos += 2;
      take_until_nul(data, pos, source);  // language tag
      take_until_nul(data, pos, source);  // translated keyword
      const std::string value = data.substr(pos);
      text.emplace_back(keyword, compressed ? inflate_text(value, source) : value);
    }
    at += 12 + static_cast<std::size_t>(length);
    if (type == "IEND") break;
  }
  return text;
}

PngText read_png_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open PNG file '" + path.string() + "'; check that it exists and is readable");
  const std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return read_png_text(bytes, "'" + path.string() + "'");
}

void write_png(const fs::path& path, const torch::Tensor& image, const PngText& text) {
  const std::vector<uint8_t> bytes = add_png_text(encode_png(image), text);
  write_file_atomically(path, [&](std::ostream& out) {
    out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  });
}

}  // namespace evlf::io
