// Safetensors files: an 8-byte little-endian header length, a JSON header
// naming each tensor's dtype, shape and byte range, then the raw data.
// Format: https://github.com/huggingface/safetensors (README, "Format").
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <torch/types.h>

namespace evlf::io {

enum class DType { F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL };

/// Element size in bytes.
std::size_t dtype_size(DType dtype);
/// The header spelling: "F32", "BOOL", …
std::string dtype_name(DType dtype);
/// Throws evlf::Error for a name that is not one of the ten supported dtypes.
DType parse_dtype(const std::string& name);
torch::ScalarType to_scalar_type(DType dtype);
DType from_scalar_type(torch::ScalarType type);

/// \brief One tensor entry of a safetensors header.
struct TensorEntry {
  std::string name;
  DType dtype = DType::F32;
  std::vector<int64_t> shape;
  uint64_t begin = 0;  // byte offset from the start of the data section
  uint64_t end = 0;    // one past the last byte
};

/// Largest accepted JSON header; real checkpoints stay far below it.
constexpr uint64_t kMaxHeaderBytes = 100ull * 1024 * 1024;

/// \brief A read-only safetensors file, memory-mapped and validated on open.
///
/// Every structural problem raises evlf::Error naming the file, the tensor
/// and what is wrong. Tensors returned by `tensor()` own their memory.
class SafetensorsFile {
 public:
  static SafetensorsFile open(const std::filesystem::path& path);

  /// Parses and validates an in-memory file image; `origin` names it in errors.
  static SafetensorsFile from_bytes(std::vector<uint8_t> bytes, const std::string& origin);

  const std::filesystem::path& path() const { return path_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  /// Metadata value for `key`; throws evlf::Error naming the key when absent.
  const std::string& metadata_value(const std::string& key) const;
  int64_t metadata_int(const std::string& key) const;
  double metadata_double(const std::string& key) const;

  /// Entries in data order.
  const std::vector<TensorEntry>& entries() const { return entries_; }
  bool contains(const std::string& name) const;
  const TensorEntry& entry(const std::string& name) const;
  /// Names of all tensors that start with `prefix`, in data order.
  std::vector<std::string> names_with_prefix(const std::string& prefix) const;

  /// Copies one tensor out of the mapping (CPU, the file's dtype).
  torch::Tensor tensor(const std::string& name) const;
  /// All tensors whose name starts with `prefix`, keyed with the prefix removed.
  std::map<std::string, torch::Tensor> tensors(const std::string& prefix = "") const;

 private:
  struct Mapping;
  SafetensorsFile() = default;
  void parse(const std::string& origin);

  std::filesystem::path path_;
  std::shared_ptr<Mapping> mapping_;
  const uint8_t* data_ = nullptr;  // start of the data section
  uint64_t data_size_ = 0;
  std::map<std::string, std::string> metadata_;
  std::vector<TensorEntry> entries_;
  std::map<std::string, std::size_t> index_;
};

using TensorList = std::vector<std::pair<std::string, torch::Tensor>>;

/// Writes tensors (any device, any of the ten dtypes) and string metadata to
/// `path` atomically: into a temporary file beside it, renamed at the end.
void save_safetensors(const std::filesystem::path& path, const TensorList& tensors,
                      const std::map<std::string, std::string>& metadata = {});

/// Convenience overload for a name-sorted map.
void save_safetensors(const std::filesystem::path& path,
                      const std::map<std::string, torch::Tensor>& tensors,
                      const std::map<std::string, std::string>& metadata = {});

}  // namespace evlf::io
