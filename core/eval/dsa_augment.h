// Differentiable Siamese Augmentation (Zhao and Bilen, ICML 2021), the
// "color_crop_cutout_flip_scale_rotate" strategy of the DSA evaluation code.
#pragma once

#include <string>

#include <ATen/core/Generator.h>
#include <torch/types.h>

namespace evlf::eval {

/// \brief Strength of each DSA transform; defaults are the DSA code's ParamDiffAug.
struct DsaOptions {
  double brightness = 1.0;     // additive shift, uniform in [-b/2, b/2)
  double saturation = 2.0;     // factor on the deviation from the channel mean, uniform in [0, s)
  double contrast = 0.5;       // factor on the deviation from the image mean, uniform in [c, c + 1)
  double crop_pad = 0.125;     // maximum translation, as a fraction of the side
  double cutout = 0.5;         // side of the zeroed square, as a fraction of the image side
  double flip_probability = 0.5;  // horizontal flip
  double scale = 1.2;          // per-axis scale, uniform in [1/scale, scale)
  double rotate_degrees = 15.0;   // rotation, uniform in [-r, r) degrees
  /// true: one transform group per batch, drawn at random (the DSA code's
  /// aug_mode 'S', used by its evaluation); false: every group in sequence ('M').
  bool single_transform = true;

  std::string to_string() const;
};

/// Applies the strategy to a batch [B, C, H, W]; every transform is made of
/// torch ops, so gradients flow to `x`. Randomness comes from `generator`
/// and is drawn per sample. For grey images the saturation transform leaves
/// the image unchanged, so colour reduces to brightness and contrast.
/// Ported from the DSA code (`utils.py`, `DiffAugment` and `rand_*`).
torch::Tensor dsa_augment(const torch::Tensor& x, const DsaOptions& options, at::Generator& generator);

}  // namespace evlf::eval
