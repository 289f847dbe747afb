#include "tests/support/test_support.h"

#include <cstdlib>
#include <random>
#include <sstream>

namespace evlf::test {
namespace fs = std::filesystem;

std::optional<fs::path> reference_file(const std::string& file) {
  const char* override_dir = std::getenv("EVLF_REFERENCE_DIR");
  const fs::path folder = (override_dir != nullptr && *override_dir) ? fs::path(override_dir)
                                                                       : fs::path(EVLF_DEFAULT_REFERENCE_DIR);
  const fs::path path = folder / file;
  if (!fs::is_regular_file(path)) return std::nullopt;
  return path;
}

std::string missing_reference_message(const std::string& file) {
  return "reference file " + file +
         " not found; set EVLF_REFERENCE_DIR to the folder of reference tensors to run this test";
}

bool all_close(const torch::Tensor& actual, const torch::Tensor& expected, double rtol, double atol) {
  if (actual.sizes() != expected.sizes()) return false;
  if (actual.numel() == 0) return true;
  const torch::Tensor a = actual.to(torch::kDouble);
  const torch::Tensor e = expected.to(torch::kDouble);
  return ((a - e).abs() <= atol + rtol * e.abs()).all().item<bool>();
}

std::string describe_difference(const torch::Tensor& actual, const torch::Tensor& expected) {
  if (actual.sizes() != expected.sizes()) return "shapes differ";
  if (actual.numel() == 0) return "empty";
  const torch::Tensor a = actual.to(torch::kDouble).flatten();
  const torch::Tensor e = expected.to(torch::kDouble).flatten();
  const torch::Tensor diff = (a - e).abs();
  const int64_t worst = diff.argmax().item<int64_t>();
  std::ostringstream text;
  text << "max |difference| " << diff[worst].item<double>() << " at flat index " << worst << ": actual "
       << a[worst].item<double>() << ", expected " << e[worst].item<double>() << " (max |expected| "
       << e.abs().max().item<double>() << ")";
  return text.str();
}

fs::path make_temp_dir(const std::string& stem) {
  std::random_device device;
  const fs::path path = fs::temp_directory_path() / (stem + "-" + std::to_string(device()));
  fs::create_directories(path);
  return path;
}

}  // namespace evlf::test
