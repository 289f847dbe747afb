// IDX files, the MNIST format: magic (two zero bytes, a type code, the
// number of dimensions), big-endian u32 dimensions, then the data.
// Format: http://yann.lecun.com/exdb/mnist/ ("FILE FORMATS FOR THE MNIST DATABASE").
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <torch/types.h>

namespace evlf::data {

/// \brief An unsigned-byte IDX array: dimensions and row-major data.
struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;
};

/// Reads an IDX file of unsigned bytes (type 0x08), gzip-compressed or plain.
/// Throws evlf::Error naming the file for a wrong magic, another element
/// type, or fewer data bytes than the dimensions promise.
IdxArray read_idx(const std::filesystem::path& path);

/// Writes an unsigned-byte IDX file, gzip-compressed when the name ends in ".gz".
void write_idx(const std::filesystem::path& path, const IdxArray& array);

/// \brief Images with integer labels, as loaded from IDX or ImageFolder data.
struct LabeledImages {
  torch::Tensor images;  // [N, C, H, W] uint8
  torch::Tensor labels;  // [N] int64
  std::vector<std::string> class_names;
};

/// Loads an image file ([N, H, W]) and a label file ([N]) as a pair.
/// Throws evlf::Error when the counts differ or a label is out of range.
LabeledImages load_idx_pair(const std::filesystem::path& images, const std::filesystem::path& labels,
                            std::vector<std::string> class_names);

}  // namespace evlf::data
