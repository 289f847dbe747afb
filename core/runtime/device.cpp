#include "core/runtime/device.h"

#include <dlfcn.h>

#include <filesystem>
#include <thread>

#include <torch/torch.h>
#include <torch/version.h>

#include "core/runtime/error.h"
#include "core/runtime/log.h"

namespace evlf {

torch::Device choose_device(const std::string& flag) {
  if (flag == "auto" || flag.empty()) {
    return torch::cuda::is_available() ? torch::Device(torch::kCUDA) : torch::Device(torch::kCPU);
  }
  if (flag == "cpu") return torch::Device(torch::kCPU);
  if (flag.rfind("cuda", 0) == 0) {
    if (!torch::cuda::is_available()) {
      throw Error("device '" + flag +
                  "' requested, but this LibTorch build has no CUDA device; use --device cpu");
    }
    try {
      return torch::Device(flag);
    } catch (const c10::Error&) {
      throw Error("invalid device '" + flag + "'; use auto, cpu, cuda or cuda:N");
    }
  }
  throw Error("unknown device '" + flag + "'; use auto, cpu, cuda or cuda:N");
}

int set_thread_count(int threads) {
  if (threads < 0) {
    throw Error("invalid thread count " + std::to_string(threads) +
                "; use 0 for one per hardware thread or a positive number");
  }
  if (threads == 0) threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  torch::set_num_threads(threads);
  logger()->debug("intra-op threads: {}", torch::get_num_threads());
  return torch::get_num_threads();
}

namespace {

// Names the shared object that provides `sgemm_`, the BLAS entry point
// LibTorch calls for float matrix products.
std::string find_blas_library() {
  void* symbol = dlsym(RTLD_DEFAULT, "sgemm_");
  if (symbol == nullptr) return "not loaded";
  Dl_info info{};
  if (dladdr(symbol, &info) == 0 || info.dli_fname == nullptr) return "unknown";
  // Debian's libblas.so.3 is an alternatives link; show the file it resolves to.
  std::error_code error;
  const auto resolved = std::filesystem::canonical(info.dli_fname, error);
  return error ? std::string(info.dli_fname) : resolved.string();
}

}  // namespace

RuntimeInfo runtime_info() {
  RuntimeInfo info;
  info.torch_version = TORCH_VERSION;
  info.cuda_available = torch::cuda::is_available();
  info.device = info.cuda_available ? "cuda" : "cpu";
  info.threads = torch::get_num_threads();
  info.blas_library = find_blas_library();
  return info;
}

}  // namespace evlf
