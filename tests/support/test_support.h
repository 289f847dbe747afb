// Helpers shared by the test suites.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include <torch/torch.h>

namespace evlf::test {

/// The reference folder: $EVLF_REFERENCE_DIR, else ../shared/reference
/// beside the source tree; nullopt when `file` is not in it.
std::optional<std::filesystem::path> reference_file(const std::string& file);

/// Message for QSKIP when a reference file is absent.
std::string missing_reference_message(const std::string& file);

/// Max |a - b| / (|b| + atol) style check: true when every element of
/// `actual` is within atol + rtol * |expected|. Shapes must match.
bool all_close(const torch::Tensor& actual, const torch::Tensor& expected, double rtol, double atol);

/// A one-line description of the worst element for failure messages.
std::string describe_difference(const torch::Tensor& actual, const torch::Tensor& expected);

/// A fresh empty temporary folder, removed by the caller.
std::filesystem::path make_temp_dir(const std::string& stem);

}  // namespace evlf::test

/// Compares two tensors and fails the current Qt test with the worst element.
#define EVLF_COMPARE_TENSORS(actual, expected, rtol, atol)                                              \
  do {                                                                                                  \
    const torch::Tensor evlf_a = (actual).to(torch::kDouble);                                           \
    const torch::Tensor evlf_e = (expected).to(torch::kDouble);                                         \
    QVERIFY2(evlf_a.sizes() == evlf_e.sizes(),                                                          \
             ("shape " + c10::str(evlf_a.sizes()) + " != expected " + c10::str(evlf_e.sizes())).c_str()); \
    QVERIFY2(evlf::test::all_close(evlf_a, evlf_e, rtol, atol),                                         \
             evlf::test::describe_difference(evlf_a, evlf_e).c_str());                                  \
  } while (false)
