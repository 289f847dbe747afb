#include "core/data/transforms.h"

#include <torch/torch.h>

#include "core/runtime/error.h"

namespace evlf::data {
namespace F = torch::nn::functional;

torch::Tensor to_model_input(const torch::Tensor& images, int64_t size) {
  if (images.dim() != 4) {
    throw Error("expected images [N, C, H, W], got " + std::to_string(images.dim()) + " dimensions");
  }
  torch::Tensor x = images.to(torch::kFloat32) / 127.5 - 1.0;  // [N, C, H, W]
  const int64_t height = x.size(2);
  const int64_t width = x.size(3);
  if (height == size && width == size) return x;
  if (height <= size && width <= size) {
    const int64_t top = (size - height) / 2;
    const int64_t left = (size - width) / 2;
    return F::pad(x, F::PadFuncOptions({left, size - width - left, top, size - height - top}).value(-1.0));
  }
  return F::interpolate(x, F::InterpolateFuncOptions().size(std::vector<int64_t>{size, size}).mode(torch::kArea));
}

torch::Tensor from_model_output(const torch::Tensor& x, int64_t height, int64_t width) {
  const int64_t size = x.size(2);
  torch::Tensor cropped;
  if (height <= size && width <= size) {
    const int64_t top = (size - height) / 2;
    const int64_t left = (size - width) / 2;
    cropped = x.slice(2, top, top + height).slice(3, left, left + width);
  } else {
    cropped = F::interpolate(x, F::InterpolateFuncOptions()
                                    .size(std::vector<int64_t>{height, width})
                                    .mode(torch::kBilinear)
                                    .align_corners(false));
  }
  return ((cropped.clamp(-1.0, 1.0) + 1.0) * 127.5).round().to(torch::kUInt8);
}

}  // namespace evlf::data
