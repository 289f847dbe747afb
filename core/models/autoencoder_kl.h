// AutoencoderKL: the KL-regularised convolutional autoencoder of latent
// diffusion (Rombach et al., 2022), with diffusers' `AutoencoderKL`
// parameter names so that diffusers and Stable Diffusion VAE weights load.
//
// Symbols: B batch, C image channels, H, W image side, L latent channels,
// h, w latent side (H and W divided by 2 once per down block but the last).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/container/modulelist.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "core/models/state_dict.h"

namespace evlf::models {

/// \brief Configuration of an AutoencoderKL, with the defaults of the
/// Stable Diffusion VAE (diffusers `AutoencoderKL` config names).
struct AutoencoderKLOptions {
  int64_t in_channels = 3;                                  // image channels fed to the encoder
  int64_t out_channels = 3;                                 // image channels produced by the decoder
  std::vector<int64_t> block_out_channels{128, 256, 512, 512};  // width of each down block, in order
  int64_t layers_per_block = 2;                             // resnets per down block (up blocks have one more)
  int64_t latent_channels = 4;                              // L, channels of the latent
  int64_t norm_num_groups = 32;                             // GroupNorm groups; must divide every width
  double norm_eps = 1e-6;                                   // GroupNorm epsilon
  int64_t sample_size = 256;                                // image side the weights were trained at, pixels
  double scaling_factor = 0.18215;                          // latent multiplier so that scaled latents have unit variance

  /// Stable Diffusion 1.x / 2.x VAE: 4 blocks, 2 resnets each, 4 latent channels.
  static AutoencoderKLOptions sd_vae();
  /// A small grey-image autoencoder: widths 32, 64, 64, one resnet per block,
  /// 4 latent channels, so 32x32 images map to 8x8 latents.
  static AutoencoderKLOptions small(int64_t channels = 1);

  /// Image side divided by latent side: 2^(number of blocks - 1).
  int64_t downsample_factor() const;
  /// Throws evlf::Error naming the field when a value is out of range.
  void validate() const;
  /// One-line JSON for the run log.
  std::string to_string() const;
};

/// Latent side for an image side: halved (rounded down) once per down
/// block but the last, as the asymmetric-pad stride-2 convolution does.
int64_t autoencoder_latent_side(const AutoencoderKLOptions& options, int64_t image_side);

/// \brief The diagonal Gaussian posterior q(z | x) given by the encoder's
/// moments (mean and log-variance stacked along channels).
/// Source: DiagonalGaussianDistribution in ldm/modules/distributions/distributions.py (CompVis).
struct DiagonalGaussian {
  explicit DiagonalGaussian(const torch::Tensor& moments);  // moments [B, 2L, h, w]

  torch::Tensor mean;    // [B, L, h, w]
  torch::Tensor logvar;  // [B, L, h, w], clamped to [-30, 20]
  torch::Tensor std;     // [B, L, h, w]
  torch::Tensor var;     // [B, L, h, w]

  /// mean + std * noise, with noise [B, L, h, w] supplied by the caller.
  torch::Tensor sample(const torch::Tensor& noise) const;
  /// mean + std * N(0, I), drawn from `generator` (the default one when empty).
  torch::Tensor sample(std::optional<torch::Generator> generator = std::nullopt) const;
  torch::Tensor mode() const { return mean; }
  /// KL(q || N(0, I)) summed over channels and positions.
  torch::Tensor kl() const;  // [B]
};

/// \brief ResnetBlock2D without a time embedding: GroupNorm, SiLU, 3x3 conv,
/// twice, plus a 1x1 `conv_shortcut` when the width changes.
class ResnetBlock2DImpl : public torch::nn::Module {
 public:
  ResnetBlock2DImpl(int64_t in_channels, int64_t out_channels, int64_t groups, double eps);
  torch::Tensor forward(const torch::Tensor& x);  // [B, Cin, H, W] -> [B, Cout, H, W]

  torch::nn::GroupNorm norm1{nullptr};
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::GroupNorm norm2{nullptr};
  torch::nn::Conv2d conv2{nullptr};
  torch::nn::Conv2d conv_shortcut{nullptr};  // null when the width is unchanged
};
TORCH_MODULE(ResnetBlock2D);

/// \brief Single-head spatial self-attention of the VAE mid block, with a
/// residual connection. Parameters use diffusers' current names
/// (`to_q`, `to_k`, `to_v`, `to_out.0`).
class VaeAttentionImpl : public torch::nn::Module {
 public:
  VaeAttentionImpl(int64_t channels, int64_t groups, double eps);
  torch::Tensor forward(const torch::Tensor& x);  // [B, C, H, W] -> [B, C, H, W]

  torch::nn::GroupNorm group_norm{nullptr};
  torch::nn::Linear to_q{nullptr};
  torch::nn::Linear to_k{nullptr};
  torch::nn::Linear to_v{nullptr};
  torch::nn::ModuleList to_out{nullptr};  // [Linear], named `to_out.0` in checkpoints
  torch::nn::Linear to_out_linear{nullptr};
};
TORCH_MODULE(VaeAttention);

/// \brief UNetMidBlock2D of the VAE: resnet, attention, resnet.
class VaeMidBlockImpl : public torch::nn::Module {
 public:
  VaeMidBlockImpl(int64_t channels, int64_t groups, double eps);
  torch::Tensor forward(const torch::Tensor& x);  // [B, C, H, W] -> [B, C, H, W]

  std::vector<ResnetBlock2D> resnet_blocks;
  VaeAttention attention{nullptr};
};
TORCH_MODULE(VaeMidBlock);

/// \brief One encoder stage: resnets, then an optional stride-2 downsampler.
class DownEncoderBlock2DImpl : public torch::nn::Module {
 public:
  DownEncoderBlock2DImpl(int64_t in_channels, int64_t out_channels, int64_t layers, bool downsample,
                         int64_t groups, double eps);
  torch::Tensor forward(torch::Tensor x);  // [B, Cin, H, W] -> [B, Cout, H/2, W/2] or [B, Cout, H, W]

  std::vector<ResnetBlock2D> resnet_blocks;
  torch::nn::Conv2d downsample_conv{nullptr};  // `downsamplers.0.conv`; null on the last block
};
TORCH_MODULE(DownEncoderBlock2D);

/// \brief One decoder stage: resnets, then an optional nearest x2 upsampler.
class UpDecoderBlock2DImpl : public torch::nn::Module {
 public:
  UpDecoderBlock2DImpl(int64_t in_channels, int64_t out_channels, int64_t layers, bool upsample, int64_t groups,
                       double eps);
  torch::Tensor forward(torch::Tensor x);  // [B, Cin, H, W] -> [B, Cout, 2H, 2W] or [B, Cout, H, W]

  std::vector<ResnetBlock2D> resnet_blocks;
  torch::nn::Conv2d upsample_conv{nullptr};  // `upsamplers.0.conv`; null on the last block
};
TORCH_MODULE(UpDecoderBlock2D);

/// \brief The encoder: image to the 2L moments of the posterior.
class VaeEncoderImpl : public torch::nn::Module {
 public:
  explicit VaeEncoderImpl(const AutoencoderKLOptions& options);
  torch::Tensor forward(const torch::Tensor& x);  // [B, C, H, W] -> [B, 2L, h, w]

  torch::nn::Conv2d conv_in{nullptr};
  std::vector<DownEncoderBlock2D> blocks;
  VaeMidBlock mid_block{nullptr};
  torch::nn::GroupNorm conv_norm_out{nullptr};
  torch::nn::Conv2d conv_out{nullptr};
};
TORCH_MODULE(VaeEncoder);

/// \brief The decoder: latent to image.
class VaeDecoderImpl : public torch::nn::Module {
 public:
  explicit VaeDecoderImpl(const AutoencoderKLOptions& options);
  torch::Tensor forward(const torch::Tensor& z);  // [B, L, h, w] -> [B, C, H, W]

  torch::nn::Conv2d conv_in{nullptr};
  VaeMidBlock mid_block{nullptr};
  std::vector<UpDecoderBlock2D> blocks;
  torch::nn::GroupNorm conv_norm_out{nullptr};
  torch::nn::Conv2d conv_out{nullptr};
};
TORCH_MODULE(VaeDecoder);

/// \brief Reconstruction and posterior of one autoencoder pass.
struct AutoencoderOutput {
  torch::Tensor reconstruction;  // [B, C, H', W']
  DiagonalGaussian posterior;
};

/// \brief AutoencoderKL: encoder, `quant_conv`, posterior, `post_quant_conv`,
/// decoder.
///
/// `encode` and `decode` work on unscaled latents. `encode_latents` and
/// `decode_latents` apply `scaling_factor`: the diffusion model sees
/// z = scaling_factor * sample, and decoding divides by it first.
class AutoencoderKLImpl : public torch::nn::Module {
 public:
  explicit AutoencoderKLImpl(const AutoencoderKLOptions& options = {});

  /// Posterior for images x [B, C, H, W] in [-1, 1].
  DiagonalGaussian encode(const torch::Tensor& x);
  /// Images [B, C, H, W] from unscaled latents z [B, L, h, w].
  torch::Tensor decode(const torch::Tensor& z);

  /// Scaled latents scaling_factor * (mean + std * noise) for x [B, C, H, W];
  /// noise [B, L, h, w].
  torch::Tensor encode_latents(const torch::Tensor& x, const torch::Tensor& noise);
  /// Scaled latents: the posterior sample from `generator` when `sample` is
  /// true, else the posterior mean, times scaling_factor.
  torch::Tensor encode_latents(const torch::Tensor& x, bool sample = false,
                               std::optional<torch::Generator> generator = std::nullopt);
  /// Images from scaled latents [B, L, h, w]: decode(z / scaling_factor).
  torch::Tensor decode_latents(const torch::Tensor& z_scaled);

  /// Encode, take a posterior sample (or the mean), decode; for training.
  AutoencoderOutput forward(const torch::Tensor& x, bool sample_posterior = true,
                            std::optional<torch::Generator> generator = std::nullopt);

  const AutoencoderKLOptions& options() const { return options_; }

  VaeEncoder encoder{nullptr};
  VaeDecoder decoder{nullptr};
  torch::nn::Conv2d quant_conv{nullptr};
  torch::nn::Conv2d post_quant_conv{nullptr};

 private:
  void check_image(const torch::Tensor& x) const;
  void check_latent(const torch::Tensor& z) const;

  AutoencoderKLOptions options_;
};
TORCH_MODULE(AutoencoderKL);

/// Returns `weights` with the older diffusers attention names
/// (`query`, `key`, `value`, `proj_attn`) renamed to the current ones
/// (`to_q`, `to_k`, `to_v`, `to_out.0`); other names pass unchanged.
TensorMap normalize_autoencoder_keys(const TensorMap& weights);

/// Reads in/out channels, block widths, layers per block and latent channels
/// from tensor shapes (diffusers names, either attention style) and logs
/// them; the other fields come from `base`. Throws evlf::Error naming the
/// tensor when one that defines a size is missing.
AutoencoderKLOptions autoencoder_options_from_weights(const TensorMap& weights,
                                                      const AutoencoderKLOptions& base = {});

/// Builds an AutoencoderKL from `options` and loads `weights` (diffusers
/// names, either attention style) strictly: a missing tensor, another shape
/// or an extra tensor raises evlf::Error naming the tensor and both shapes.
/// The sizes read from the shapes are logged beside the configuration.
AutoencoderKL load_autoencoder_kl(const TensorMap& weights, const AutoencoderKLOptions& options);

/// Same, with every size read from the shapes and the rest from `base`.
AutoencoderKL load_autoencoder_kl(const TensorMap& weights);

/// Loads the tensors under `prefix` of a safetensors file, e.g. "vae." or "".
AutoencoderKL load_autoencoder_kl(const std::filesystem::path& path, const AutoencoderKLOptions& options,
                                  const std::string& prefix = "");

}  // namespace evlf::models
