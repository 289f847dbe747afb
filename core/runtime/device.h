// Device choice and the intra-op thread count, set once at start-up.
#pragma once

#include <string>

#include <torch/types.h>

namespace evlf {

/// Parses a device flag: "auto" picks CUDA when LibTorch has it, else CPU;
/// "cpu", "cuda" and "cuda:N" are taken as given. Throws evlf::Error for an
/// unknown name or a CUDA request on a build without CUDA.
torch::Device choose_device(const std::string& flag = "auto");

/// Sets LibTorch's intra-op thread count; 0 means one per hardware thread.
/// Returns the count in effect.
int set_thread_count(int threads = 0);

/// Runtime facts for `evlf info` and the GUI's about box.
struct RuntimeInfo {
  std::string torch_version;
  std::string device;
  int threads = 0;
  std::string blas_library;  // shared object providing the BLAS symbols
  bool cuda_available = false;
};

RuntimeInfo runtime_info();

}  // namespace evlf
