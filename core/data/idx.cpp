#include "core/data/idx.h"

#include <zlib.h>

#include <cstring>

#include <torch/torch.h>

#include "core/io/atomic_file.h"
#include "core/runtime/error.h"

namespace evlf::data {
namespace fs = std::filesystem;

namespace {

constexpr uint8_t kUnsignedByte = 0x08;
constexpr std::size_t kMaxDims = 8;

/// Reads the whole file through zlib, which also passes plain files through.
std::vector<uint8_t> read_maybe_gzip(const fs::path& path) {
  if (!fs::is_regular_file(path)) throw Error("IDX file '" + path.string() + "' not found");
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) throw Error("cannot open IDX file '" + path.string() + "'");
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> chunk(1 << 20);
  while (true) {
    const int n = gzread(file, chunk.data(), static_cast<unsigned>(chunk.size()));
    if (n < 0) {
      int code = 0;
      const std::string message = gzerror(file, &code);
      gzclose(file);
      throw Error("IDX file '" + path.string() + "' is corrupt: " + message);
    }
    if (n == 0) break;
    bytes.insert(bytes.end(), chunk.begin(), chunk.begin() + n);
  }
  gzclose(file);
  return bytes;
}

uint32_t read_u32_be(const uint8_t* bytes) {
  return (uint32_t(bytes[0]) << 24) | (uint32_t(bytes[1]) << 16) | (uint32_t(bytes[2]) << 8) | bytes[3];
}

}  // namespace

IdxArray read_idx(const fs::path& path) {
  const std::vector<uint8_t> bytes = read_maybe_gzip(path);
  const std::string where = "IDX file '" + path.string() + "'";

  // Magic: 0x00 0x00 <type> <ndims>.
  if (bytes.size() < 4) throw Error(where + " is truncated: " + std::to_string(bytes.size()) + " bytes");
  if (bytes[0] != 0 || bytes[1] != 0) {
    throw Error(where + " has a wrong magic number (first two bytes must be zero); is it an IDX file?");
  }
  if (bytes[2] != kUnsignedByte) {
    throw Error(where + " has element type 0x" + std::to_string(bytes[2]) + "; only unsigned bytes (0x08) are supported");
  }
  const std::size_t ndims = bytes[3];
  if (ndims == 0 || ndims > kMaxDims) {
    throw Error(where + " declares " + std::to_string(ndims) + " dimensions; expected 1 to " + std::to_string(kMaxDims));
  }

  // Dimensions and data.
  if (bytes.size() < 4 + 4 * ndims) throw Error(where + " is truncated inside its dimension list");
  IdxArray array;
  uint64_t count = 1;
  for (std::size_t i = 0; i < ndims; ++i) {
    array.dims.push_back(read_u32_be(bytes.data() + 4 + 4 * i));
    count *= static_cast<uint64_t>(array.dims.back());
  }
  const std::size_t header = 4 + 4 * ndims;
  const uint64_t available = bytes.size() - header;
  if (available < count) {
    throw Error(where + " is truncated: its dimensions need " + std::to_string(count) + " data bytes, found " +
                std::to_string(available));
  }
  if (available > count) {
    throw Error(where + " has " + std::to_string(available - count) + " bytes after the data its dimensions describe");
  }
  array.data.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header), bytes.end());
  return array;
}

void write_idx(const fs::path& path, const IdxArray& array) {
  std::vector<uint8_t> bytes = {0, 0, kUnsignedByte, static_cast<uint8_t>(array.dims.size())};
  for (int64_t dim : array.dims) {
    const auto d = static_cast<uint32_t>(dim);
    for (int shift = 24; shift >= 0; shift -= 8) bytes.push_back(static_cast<uint8_t>((d >> shift) & 0xff));
  }
  bytes.insert(bytes.end(), array.data.begin(), array.data.end());

  const bool compress = path.extension() == ".gz";
  if (!compress) {
    io::write_file_atomically(path, [&](std::ostream& out) {
      out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
    });
    return;
  }
  const fs::path temporary = io::temporary_sibling(path);
  gzFile file = gzopen(temporary.c_str(), "wb");
  if (file == nullptr) throw Error("cannot write IDX file '" + path.string() + "'");
  const int written = gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(file);
  if (written != static_cast<int>(bytes.size())) {
    fs::remove(temporary);
    throw Error("failed to write IDX file '" + path.string() + "'");
  }
  fs::rename(temporary, path);
}

LabeledImages load_idx_pair(const fs::path& images, const fs::path& labels, std::vector<std::string> class_names) {
  IdxArray image_array = read_idx(images);
  IdxArray label_array = read_idx(labels);
  if (image_array.dims.size() != 3) {
    throw Error("IDX image file '" + images.string() + "' has " + std::to_string(image_array.dims.size()) +
                " dimensions; expected 3 (count, rows, columns)");
  }
  if (label_array.dims.size() != 1) {
    throw Error("IDX label file '" + labels.string() + "' has " + std::to_string(label_array.dims.size()) +
                " dimensions; expected 1 (count)");
  }
  if (image_array.dims[0] != label_array.dims[0]) {
    throw Error("IDX count mismatch: '" + images.string() + "' holds " + std::to_string(image_array.dims[0]) +
                " images but '" + labels.string() + "' holds " + std::to_string(label_array.dims[0]) + " labels");
  }

  LabeledImages set;
  const int64_t n = image_array.dims[0];
  set.images = torch::from_blob(image_array.data.data(), {n, 1, image_array.dims[1], image_array.dims[2]}, torch::kUInt8).clone();
  set.labels = torch::from_blob(label_array.data.data(), {n}, torch::kUInt8).to(torch::kInt64);
  if (n > 0) {
    const int64_t max_label = set.labels.max().item<int64_t>();
    if (!class_names.empty() && max_label >= static_cast<int64_t>(class_names.size())) {
      throw Error("IDX label file '" + labels.string() + "' contains label " + std::to_string(max_label) + " but only " +
                  std::to_string(class_names.size()) + " classes are named");
    }
  }
  set.class_names = std::move(class_names);
  return set;
}

}  // namespace evlf::data
