// Conversions between stored images (uint8, native size) and model inputs
// (float in [-1, 1], the bundle's square size).
#pragma once

#include <cstdint>

#include <torch/types.h>

namespace evlf::data {

/// uint8 images [N, C, H, W] -> float [N, C, S, S] in [-1, 1]. Smaller images
/// are centred with black padding (-1), as DC/DSA pad 28-pixel MNIST to 32;
/// larger ones are resized with area interpolation.
torch::Tensor to_model_input(const torch::Tensor& images, int64_t size);

/// Inverse of to_model_input: float [N, C, S, S] in [-1, 1] -> uint8
/// [N, C, H, W], cropping the padding (or resizing) back to H x W.
torch::Tensor from_model_output(const torch::Tensor& x, int64_t height, int64_t width);

}  // namespace evlf::data
