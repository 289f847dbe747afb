#include "core/io/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "core/io/atomic_file.h"
#include "core/runtime/error.h"

namespace evlf::io {
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

struct DTypeRow {
  DType dtype;
  const char* name;
  std::size_t size;
  torch::ScalarType scalar;
};

constexpr DTypeRow kDTypes[] = {
    {DType::F32, "F32", 4, torch::kFloat32},   {DType::F16, "F16", 2, torch::kFloat16},
    {DType::BF16, "BF16", 2, torch::kBFloat16}, {DType::F64, "F64", 8, torch::kFloat64},
    {DType::I64, "I64", 8, torch::kInt64},     {DType::I32, "I32", 4, torch::kInt32},
    {DType::I16, "I16", 2, torch::kInt16},     {DType::I8, "I8", 1, torch::kInt8},
    {DType::U8, "U8", 1, torch::kUInt8},       {DType::BOOL, "BOOL", 1, torch::kBool},
};

const DTypeRow& row(DType dtype) {
  for (const auto& r : kDTypes) {
    if (r.dtype == dtype) return r;
  }
  throw Error("internal error: dtype without a table row");
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  return text + "]";
}

uint64_t read_u64_le(const uint8_t* bytes) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = (value << 8) | bytes[i];
  return value;
}

}  // namespace

std::size_t dtype_size(DType dtype) { return row(dtype).size; }
std::string dtype_name(DType dtype) { return row(dtype).name; }
torch::ScalarType to_scalar_type(DType dtype) { return row(dtype).scalar; }

DType parse_dtype(const std::string& name) {
  for (const auto& r : kDTypes) {
    if (name == r.name) return r.dtype;
  }
  throw Error("unknown dtype '" + name + "'; supported: F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL");
}

DType from_scalar_type(torch::ScalarType type) {
  for (const auto& r : kDTypes) {
    if (r.scalar == type) return r.dtype;
  }
  throw Error(std::string("tensor type ") + c10::toString(type) + " cannot be stored in safetensors");
}

// ---------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------

/// Owns either a read-only mmap of a file or an in-memory byte vector.
struct SafetensorsFile::Mapping {
  void* address = nullptr;
  std::size_t length = 0;
  std::vector<uint8_t> owned;

  const uint8_t* bytes() const {
    return address != nullptr ? static_cast<const uint8_t*>(address) : owned.data();
  }
  std::size_t size() const { return address != nullptr ? length : owned.size(); }

  ~Mapping() {
    if (address != nullptr) ::munmap(address, length);
  }
};

SafetensorsFile SafetensorsFile::open(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    throw Error("cannot open safetensors file '" + path.string() + "': " + std::strerror(errno));
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    throw Error("'" + path.string() + "' is not a regular file");
  }

  SafetensorsFile file;
  file.path_ = path;
  file.mapping_ = std::make_shared<Mapping>();
  if (info.st_size > 0) {
    void* address = ::mmap(nullptr, static_cast<std::size_t>(info.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    if (address == MAP_FAILED) {
      ::close(fd);
      throw Error("cannot map '" + path.string() + "': " + std::strerror(errno));
    }
    file.mapping_->address = address;
    file.mapping_->length = static_cast<std::size_t>(info.st_size);
  }
  ::close(fd);
  file.parse(path.string());
  return file;
}

SafetensorsFile SafetensorsFile::from_bytes(std::vector<uint8_t> bytes, const std::string& origin) {
  SafetensorsFile file;
  file.path_ = origin;
  file.mapping_ = std::make_shared<Mapping>();
  file.mapping_->owned = std::move(bytes);
  file.parse(origin);
  return file;
}

void SafetensorsFile::parse(const std::string& origin) {
  const std::string where = "safetensors file '" + origin + "'";
  const uint8_t* bytes = mapping_->bytes();
  const uint64_t file_size = mapping_->size();

  // Header length.
  if (file_size < 8) {
    throw Error(where + " is truncated: " + std::to_string(file_size) +
                " bytes, fewer than the 8-byte header length");
  }
  const uint64_t header_size = read_u64_le(bytes);
  if (header_size > kMaxHeaderBytes) {
    throw Error(where + ": header length " + std::to_string(header_size) + " bytes exceeds the limit of " +
                std::to_string(kMaxHeaderBytes) + " bytes; the file is corrupt or not a safetensors file");
  }
  if (header_size > file_size - 8) {
    throw Error(where + ": header length " + std::to_string(header_size) + " runs past the end of the file (" +
                std::to_string(file_size) + " bytes); the file is truncated or corrupt");
  }

  // JSON header.
  json header;
  try {
    header = json::parse(bytes + 8, bytes + 8 + header_size);
  } catch (const json::parse_error& error) {
    throw Error(where + ": invalid JSON header: " + error.what());
  }
  if (!header.is_object()) throw Error(where + ": the JSON header is not an object");
  data_ = bytes + 8 + header_size;
  data_size_ = file_size - 8 - header_size;

  // Metadata.
  if (auto found = header.find("__metadata__"); found != header.end()) {
    if (!found->is_object()) throw Error(where + ": __metadata__ is not an object");
    for (const auto& [key, value] : found->items()) {
      if (!value.is_string()) throw Error(where + ": __metadata__ value '" + key + "' is not a string");
      metadata_[key] = value.get<std::string>();
    }
  }

  // Tensor entries.
  for (const auto& [name, spec] : header.items()) {
    if (name == "__metadata__") continue;
    const std::string tensor_where = where + ", tensor '" + name + "'";
    if (!spec.is_object()) throw Error(tensor_where + ": entry is not an object");
    TensorEntry entry;
    entry.name = name;

    const auto dtype = spec.find("dtype");
    if (dtype == spec.end() || !dtype->is_string()) throw Error(tensor_where + ": missing dtype");
    try {
      entry.dtype = parse_dtype(dtype->get<std::string>());
    } catch (const Error& error) {
      throw Error(tensor_where + ": " + error.what());
    }

    const auto shape = spec.find("shape");
    if (shape == spec.end() || !shape->is_array()) throw Error(tensor_where + ": missing shape");
    uint64_t element_count = 1;
    for (const auto& dim : *shape) {
      if (!dim.is_number_integer()) throw Error(tensor_where + ": shape " + shape->dump() + " is not a list of integers");
      if (dim.get<int64_t>() < 0) throw Error(tensor_where + ": shape " + shape->dump() + " has a negative dimension");
      const auto size = static_cast<uint64_t>(dim.get<int64_t>());
      if (size != 0 && element_count > std::numeric_limits<uint64_t>::max() / size) {
        throw Error(tensor_where + ": shape " + shape->dump() + " overflows");
      }
      element_count *= size;
      entry.shape.push_back(dim.get<int64_t>());
    }

    const auto offsets = spec.find("data_offsets");
    if (offsets == spec.end() || !offsets->is_array() || offsets->size() != 2 ||
        !(*offsets)[0].is_number_unsigned() || !(*offsets)[1].is_number_unsigned()) {
      throw Error(tensor_where + ": data_offsets must be two non-negative integers [begin, end]");
    }
    entry.begin = (*offsets)[0].get<uint64_t>();
    entry.end = (*offsets)[1].get<uint64_t>();
    if (entry.begin > entry.end) {
      throw Error(tensor_where + ": data_offsets [" + std::to_string(entry.begin) + ", " +
                  std::to_string(entry.end) + "] end before they begin");
    }
    if (entry.end > data_size_) {
      throw Error(tensor_where + ": data_offsets end at byte " + std::to_string(entry.end) +
                  ", past the data section of " + std::to_string(data_size_) + " bytes; the file is truncated");
    }
    const uint64_t element_size = dtype_size(entry.dtype);
    if (element_count > std::numeric_limits<uint64_t>::max() / element_size ||
        element_count * element_size != entry.end - entry.begin) {
      throw Error(tensor_where + ": shape " + shape_string(entry.shape) + " of dtype " + dtype_name(entry.dtype) +
                  " needs " + std::to_string(element_count * element_size) + " bytes, but data_offsets cover " +
                  std::to_string(entry.end - entry.begin));
    }
    entries_.push_back(std::move(entry));
  }

  // Byte ranges must not overlap.
  std::sort(entries_.begin(), entries_.end(), [](const TensorEntry& a, const TensorEntry& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  for (std::size_t i = 1; i < entries_.size(); ++i) {
    const TensorEntry& previous = entries_[i - 1];
    const TensorEntry& current = entries_[i];
    if (current.begin < previous.end) {
      throw Error(where + ", tensor '" + current.name + "': data_offsets [" + std::to_string(current.begin) + ", " +
                  std::to_string(current.end) + "] overlap tensor '" + previous.name + "' [" +
                  std::to_string(previous.begin) + ", " + std::to_string(previous.end) + "]");
    }
  }
  for (std::size_t i = 0; i < entries_.size(); ++i) index_[entries_[i].name] = i;
}

const std::string& SafetensorsFile::metadata_value(const std::string& key) const {
  auto found = metadata_.find(key);
  if (found == metadata_.end()) {
    throw Error("safetensors file '" + path_.string() + "' has no metadata entry '" + key + "'");
  }
  return found->second;
}

int64_t SafetensorsFile::metadata_int(const std::string& key) const {
  const std::string& text = metadata_value(key);
  try {
    std::size_t used = 0;
    const int64_t value = std::stoll(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw Error("safetensors file '" + path_.string() + "': metadata '" + key + "' = '" + text + "' is not an integer");
}

double SafetensorsFile::metadata_double(const std::string& key) const {
  const std::string& text = metadata_value(key);
  try {
    std::size_t used = 0;
    const double value = std::stod(text, &used);
    if (used == text.size()) return value;
  } catch (const std::exception&) {
  }
  throw Error("safetensors file '" + path_.string() + "': metadata '" + key + "' = '" + text + "' is not a number");
}

bool SafetensorsFile::contains(const std::string& name) const { return index_.count(name) != 0; }

const TensorEntry& SafetensorsFile::entry(const std::string& name) const {
  auto found = index_.find(name);
  if (found == index_.end()) {
    throw Error("safetensors file '" + path_.string() + "' has no tensor '" + name + "'");
  }
  return entries_[found->second];
}

std::vector<std::string> SafetensorsFile::names_with_prefix(const std::string& prefix) const {
  std::vector<std::string> names;
  for (const auto& e : entries_) {
    if (e.name.rfind(prefix, 0) == 0) names.push_back(e.name);
  }
  return names;
}

torch::Tensor SafetensorsFile::tensor(const std::string& name) const {
  const TensorEntry& e = entry(name);
  // memcpy rather than from_blob: the data section need not be aligned for
  // the element type.
  torch::Tensor out = torch::empty(e.shape, torch::TensorOptions().dtype(to_scalar_type(e.dtype)));
  if (e.end > e.begin) std::memcpy(out.data_ptr(), data_ + e.begin, e.end - e.begin);
  return out;
}

std::map<std::string, torch::Tensor> SafetensorsFile::tensors(const std::string& prefix) const {
  std::map<std::string, torch::Tensor> out;
  for (const auto& name : names_with_prefix(prefix)) out[name.substr(prefix.size())] = tensor(name);
  return out;
}

// ---------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------

void save_safetensors(const fs::path& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  // Header: tensors in the given order, data contiguous.
  json header = json::object();
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<torch::Tensor> contiguous;
  contiguous.reserve(tensors.size());
  uint64_t offset = 0;
  for (const auto& [name, value] : tensors) {
    if (name == "__metadata__" || name.empty()) throw Error("invalid tensor name '" + name + "' for '" + path.string() + "'");
    if (header.contains(name)) throw Error("tensor name '" + name + "' appears twice in '" + path.string() + "'");
    torch::Tensor cpu = value.detach().to(torch::kCPU).contiguous();
    const DType dtype = from_scalar_type(cpu.scalar_type());
    const uint64_t bytes = static_cast<uint64_t>(cpu.numel()) * dtype_size(dtype);
    header[name] = {{"dtype", dtype_name(dtype)}, {"shape", cpu.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
    contiguous.push_back(cpu);
  }

  // Pad the header with spaces so the data section starts 8-byte aligned.
  std::string header_text = header.dump();
  while ((8 + header_text.size()) % 8 != 0) header_text.push_back(' ');

  write_file_atomically(path, [&](std::ostream& out) {
    uint8_t length[8];
    uint64_t n = header_text.size();
    for (int i = 0; i < 8; ++i, n >>= 8) length[i] = static_cast<uint8_t>(n & 0xff);
    out.write(reinterpret_cast<const char*>(length), 8);
    out.write(header_text.data(), static_cast<std::streamsize>(header_text.size()));
    for (const auto& t : contiguous) {
      out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.nbytes()));
    }
  });
}

void save_safetensors(const fs::path& path, const std::map<std::string, torch::Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata) {
  std::vector<std::pair<std::string, torch::Tensor>> ordered(tensors.begin(), tensors.end());
  save_safetensors(path, ordered, metadata);
}

}  // namespace evlf::io
