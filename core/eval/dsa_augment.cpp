#include "core/eval/dsa_augment.h"

#include <cmath>
#include <sstream>

#include <torch/torch.h>

#include "core/runtime/error.h"

namespace evlf::eval {
namespace F = torch::nn::functional;

namespace {

torch::Tensor uniform(int64_t n, at::Generator& generator, const torch::Tensor& like) {
  return torch::rand({n}, generator, like.options());  // [B]
}

torch::Tensor rand_brightness(const torch::Tensor& x, double ratio, at::Generator& generator) {
  const torch::Tensor r = uniform(x.size(0), generator, x).view({-1, 1, 1, 1});
  return x + (r - 0.5) * ratio;
}

torch::Tensor rand_saturation(const torch::Tensor& x, double ratio, at::Generator& generator) {
  const torch::Tensor mean = x.mean(/*dim=*/{1}, /*keepdim=*/true);  // [B, 1, H, W]
  const torch::Tensor r = uniform(x.size(0), generator, x).view({-1, 1, 1, 1});
  return (x - mean) * (r * ratio) + mean;
}

torch::Tensor rand_contrast(const torch::Tensor& x, double ratio, at::Generator& generator) {
  const torch::Tensor mean = x.mean(/*dim=*/{1, 2, 3}, /*keepdim=*/true);  // [B, 1, 1, 1]
  const torch::Tensor r = uniform(x.size(0), generator, x).view({-1, 1, 1, 1});
  return (x - mean) * (r + ratio) + mean;
}

/// Resamples `x` through per-sample 2x3 affine matrices `theta` [B, 2, 3].
torch::Tensor warp(const torch::Tensor& x, const torch::Tensor& theta) {
  const torch::Tensor grid = F::affine_grid(theta, x.sizes(), /*align_corners=*/true);  // [B, H, W, 2]
  return F::grid_sample(x, grid, F::GridSampleFuncOptions().align_corners(true));
}

torch::Tensor rand_scale(const torch::Tensor& x, double ratio, at::Generator& generator) {
  const int64_t n = x.size(0);
  const torch::Tensor sx = uniform(n, generator, x) * (ratio - 1.0 / ratio) + 1.0 / ratio;
  const torch::Tensor sy = uniform(n, generator, x) * (ratio - 1.0 / ratio) + 1.0 / ratio;
  const torch::Tensor zero = torch::zeros_like(sx);
  const torch::Tensor theta = torch::stack({torch::stack({sx, zero, zero}, 1), torch::stack({zero, sy, zero}, 1)}, 1);
  return warp(x, theta);  // theta [B, 2, 3]
}

torch::Tensor rand_rotate(const torch::Tensor& x, double degrees, at::Generator& generator) {
  const torch::Tensor angle = (uniform(x.size(0), generator, x) - 0.5) * 2.0 * degrees / 180.0 * M_PI;
  const torch::Tensor c = torch::cos(angle), s = torch::sin(angle), zero = torch::zeros_like(angle);
  const torch::Tensor theta = torch::stack({torch::stack({c, s, zero}, 1), torch::stack({-s, c, zero}, 1)}, 1);
  return warp(x, theta);  // theta [B, 2, 3]
}

torch::Tensor rand_flip(const torch::Tensor& x, double probability, at::Generator& generator) {
  const torch::Tensor r = uniform(x.size(0), generator, x).view({-1, 1, 1, 1});
  return torch::where(r < probability, x.flip({3}), x);
}

/// Per-sample integer translation; pixels shifted in from outside are zero.
torch::Tensor rand_crop(const torch::Tensor& x, double ratio, at::Generator& generator) {
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  const int64_t shift_y = static_cast<int64_t>(h * ratio + 0.5);
  const int64_t shift_x = static_cast<int64_t>(w * ratio + 0.5);
  const auto index_options = torch::TensorOptions().dtype(torch::kLong).device(x.device());
  const torch::Tensor ty = torch::randint(-shift_y, shift_y + 1, {n, 1, 1}, generator, index_options);
  const torch::Tensor tx = torch::randint(-shift_x, shift_x + 1, {n, 1, 1}, generator, index_options);
  const torch::Tensor batch = torch::arange(n, index_options).view({n, 1, 1});
  const torch::Tensor rows = torch::clamp(torch::arange(h, index_options).view({1, h, 1}) + ty + 1, 0, h + 1);
  const torch::Tensor cols = torch::clamp(torch::arange(w, index_options).view({1, 1, w}) + tx + 1, 0, w + 1);
  const torch::Tensor padded = F::pad(x, F::PadFuncOptions({1, 1, 1, 1})).permute({0, 2, 3, 1});  // [B, H+2, W+2, C]
  return padded.index({batch, rows, cols}).permute({0, 3, 1, 2}).contiguous();  // [B, C, H, W]
}

/// Zeroes one square per sample whose centre may sit anywhere in the image.
torch::Tensor rand_cutout(const torch::Tensor& x, double ratio, at::Generator& generator) {
  const int64_t n = x.size(0), h = x.size(2), w = x.size(3);
  const int64_t size_y = static_cast<int64_t>(h * ratio + 0.5);
  const int64_t size_x = static_cast<int64_t>(w * ratio + 0.5);
  const auto index_options = torch::TensorOptions().dtype(torch::kLong).device(x.device());
  const torch::Tensor oy = torch::randint(0, h + (1 - size_y % 2), {n, 1, 1}, generator, index_options);
  const torch::Tensor ox = torch::randint(0, w + (1 - size_x % 2), {n, 1, 1}, generator, index_options);
  const torch::Tensor batch = torch::arange(n, index_options).view({n, 1, 1});
  const torch::Tensor rows = torch::clamp(torch::arange(size_y, index_options).view({1, size_y, 1}) + oy - size_y / 2, 0, h - 1);
  const torch::Tensor cols = torch::clamp(torch::arange(size_x, index_options).view({1, 1, size_x}) + ox - size_x / 2, 0, w - 1);
  torch::Tensor mask = torch::ones({n, h, w}, x.options());
  mask.index_put_({batch, rows, cols}, torch::zeros({}, x.options()));
  return x * mask.unsqueeze(1);  // [B, C, H, W]
}

torch::Tensor apply_group(const torch::Tensor& x, int group, const DsaOptions& o, at::Generator& generator) {
  switch (group) {
    case 0: return rand_contrast(rand_saturation(rand_brightness(x, o.brightness, generator), o.saturation, generator), o.contrast, generator);
    case 1: return rand_crop(x, o.crop_pad, generator);
    case 2: return rand_cutout(x, o.cutout, generator);
    case 3: return rand_flip(x, o.flip_probability, generator);
    case 4: return rand_scale(x, o.scale, generator);
    default: return rand_rotate(x, o.rotate_degrees, generator);
  }
}

constexpr int kGroupCount = 6;  // color, crop, cutout, flip, scale, rotate

}  // namespace

std::string DsaOptions::to_string() const {
  std::ostringstream out;
  out << "DSA color_crop_cutout_flip_scale_rotate (" << (single_transform ? "one transform per batch" : "all transforms")
      << "; brightness " << brightness << ", saturation " << saturation << ", contrast " << contrast << ", crop "
      << crop_pad << ", cutout " << cutout << ", flip " << flip_probability << ", scale " << scale << ", rotate "
      << rotate_degrees << " deg)";
  return out.str();
}

torch::Tensor dsa_augment(const torch::Tensor& x, const DsaOptions& options, at::Generator& generator) {
  if (x.dim() != 4 || !x.is_floating_point()) {
    throw Error("DSA augmentation expects a float batch [B, C, H, W], got " + c10::str(x.sizes()) + " of type " +
                std::string(c10::toString(x.scalar_type())));
  }
  if (x.size(0) == 0) return x;
  if (options.single_transform) {
    const int group = static_cast<int>(torch::randint(0, kGroupCount, {1}, generator, torch::kLong).item<int64_t>());
    return apply_group(x, group, options, generator);
  }
  torch::Tensor out = x;
  for (int group = 0; group < kGroupCount; ++group) out = apply_group(out, group, options, generator);
  return out;
}

}  // namespace evlf::eval
