#include "core/models/autoencoder_kl.h"

#include <cmath>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "core/io/safetensors.h"
#include "core/runtime/error.h"
#include "core/runtime/log.h"

namespace evlf::models {

namespace F = torch::nn::functional;

namespace {

const char* const kModel = "AutoencoderKL";
// Log-variance bounds of the posterior, as in the latent-diffusion code.
constexpr double kLogvarMin = -30.0;
constexpr double kLogvarMax = 20.0;

torch::nn::Conv2d conv3x3(int64_t in, int64_t out, int64_t stride = 1, int64_t padding = 1) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, /*kernel_size=*/3).stride(stride).padding(padding));
}

torch::nn::Conv2d conv1x1(int64_t in, int64_t out) {
  return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, /*kernel_size=*/1));
}

torch::nn::GroupNorm group_norm(int64_t groups, int64_t channels, double eps) {
  return torch::nn::GroupNorm(torch::nn::GroupNormOptions(groups, channels).eps(eps));
}

/// Registers `blocks` as a ModuleList named `name`, so their parameters are
/// `name.0.…`, `name.1.…`.
template <typename Holder>
void register_list(torch::nn::Module& parent, const std::string& name, const std::vector<Holder>& blocks) {
  torch::nn::ModuleList list;
  for (const auto& block : blocks) list->push_back(block);
  parent.register_module(name, list);
}

/// Registers a ModuleList `name` holding one module that contains a single
/// conv named `conv` (diffusers' `downsamplers.0.conv`, `upsamplers.0.conv`).
void register_sampler(torch::nn::Module& parent, const std::string& name, const torch::nn::Conv2d& conv) {
  auto holder = std::make_shared<torch::nn::Module>();
  holder->register_module("conv", conv);
  torch::nn::ModuleList list;
  list->push_back(holder);
  parent.register_module(name, list);
}

}  // namespace

// ---------------------------------------------------------------------------
// Options

AutoencoderKLOptions AutoencoderKLOptions::sd_vae() { return AutoencoderKLOptions{}; }

AutoencoderKLOptions AutoencoderKLOptions::small(int64_t channels) {
  AutoencoderKLOptions options;
  options.in_channels = channels;
  options.out_channels = channels;
  options.block_out_channels = {32, 64, 64};
  options.layers_per_block = 1;
  options.latent_channels = 4;
  options.norm_num_groups = 32;
  options.sample_size = 32;
  return options;
}

int64_t AutoencoderKLOptions::downsample_factor() const {
  return int64_t{1} << (static_cast<int64_t>(block_out_channels.size()) - 1);
}

void AutoencoderKLOptions::validate() const {
  auto require = [](bool ok, const std::string& message) {
    if (!ok) throw Error("invalid AutoencoderKL options: " + message);
  };
  require(in_channels > 0, "in_channels must be positive, got " + std::to_string(in_channels));
  require(out_channels > 0, "out_channels must be positive, got " + std::to_string(out_channels));
  require(!block_out_channels.empty(), "block_out_channels is empty; give one width per block");
  require(layers_per_block > 0, "layers_per_block must be positive, got " + std::to_string(layers_per_block));
  require(latent_channels > 0, "latent_channels must be positive, got " + std::to_string(latent_channels));
  require(norm_num_groups > 0, "norm_num_groups must be positive, got " + std::to_string(norm_num_groups));
  require(scaling_factor > 0, "scaling_factor must be positive, got " + std::to_string(scaling_factor));
  for (int64_t width : block_out_channels) {
    require(width > 0 && width % norm_num_groups == 0,
            "block width " + std::to_string(width) + " is not a positive multiple of norm_num_groups " +
                std::to_string(norm_num_groups));
  }
}

std::string AutoencoderKLOptions::to_string() const {
  nlohmann::json json{{"in_channels", in_channels},       {"out_channels", out_channels},
                      {"block_out_channels", block_out_channels}, {"layers_per_block", layers_per_block},
                      {"latent_channels", latent_channels}, {"norm_num_groups", norm_num_groups},
                      {"norm_eps", norm_eps},             {"sample_size", sample_size},
                      {"scaling_factor", scaling_factor}};
  return json.dump();
}

int64_t autoencoder_latent_side(const AutoencoderKLOptions& options, int64_t image_side) {
  int64_t side = image_side;
  for (std::size_t i = 0; i + 1 < options.block_out_channels.size(); ++i) side /= 2;
  return side;
}

// ---------------------------------------------------------------------------
// Posterior

DiagonalGaussian::DiagonalGaussian(const torch::Tensor& moments) {
  if (moments.dim() != 4 || moments.size(1) % 2 != 0) {
    throw Error("DiagonalGaussian: moments must be [B, 2L, h, w], got " + shape_string(moments.sizes()));
  }
  auto halves = moments.chunk(2, /*dim=*/1);
  mean = halves[0];                                     // [B, L, h, w]
  logvar = halves[1].clamp(kLogvarMin, kLogvarMax);     // [B, L, h, w]
  std = torch::exp(0.5 * logvar);
  var = torch::exp(logvar);
}

torch::Tensor DiagonalGaussian::sample(const torch::Tensor& noise) const {
  if (noise.sizes() != mean.sizes()) {
    throw Error("DiagonalGaussian::sample: noise has shape " + shape_string(noise.sizes()) + ", expected " +
                shape_string(mean.sizes()));
  }
  return mean + std * noise.to(mean.device(), mean.scalar_type());
}

torch::Tensor DiagonalGaussian::sample(std::optional<torch::Generator> generator) const {
  const c10::optional<at::Generator> source = generator ? c10::optional<at::Generator>(*generator) : c10::nullopt;
  const torch::Tensor noise = torch::randn(mean.sizes(), source, mean.options());  // [B, L, h, w]
  return mean + std * noise;
}

torch::Tensor DiagonalGaussian::kl() const {
  return 0.5 * (mean.pow(2) + var - 1.0 - logvar).sum({1, 2, 3});  // [B]
}

// ---------------------------------------------------------------------------
// Blocks

ResnetBlock2DImpl::ResnetBlock2DImpl(int64_t in_channels, int64_t out_channels, int64_t groups, double eps)
    : norm1(register_module("norm1", group_norm(groups, in_channels, eps))),
      conv1(register_module("conv1", conv3x3(in_channels, out_channels))),
      norm2(register_module("norm2", group_norm(groups, out_channels, eps))),
      conv2(register_module("conv2", conv3x3(out_channels, out_channels))) {
  if (in_channels != out_channels) conv_shortcut = register_module("conv_shortcut", conv1x1(in_channels, out_channels));
}

torch::Tensor ResnetBlock2DImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = conv1(F::silu(norm1(x)));  // [B, Cout, H, W]
  h = conv2(F::silu(norm2(h)));
  const torch::Tensor shortcut = conv_shortcut ? conv_shortcut(x) : x;
  return shortcut + h;
}

VaeAttentionImpl::VaeAttentionImpl(int64_t channels, int64_t groups, double eps)
    : group_norm(register_module("group_norm", models::group_norm(groups, channels, eps))),
      to_q(register_module("to_q", torch::nn::Linear(channels, channels))),
      to_k(register_module("to_k", torch::nn::Linear(channels, channels))),
      to_v(register_module("to_v", torch::nn::Linear(channels, channels))),
      to_out(torch::nn::ModuleList()),
      to_out_linear(torch::nn::Linear(channels, channels)) {
  to_out->push_back(to_out_linear);
  register_module("to_out", to_out);
}

torch::Tensor VaeAttentionImpl::forward(const torch::Tensor& x) {
  const int64_t B = x.size(0), C = x.size(1), H = x.size(2), W = x.size(3);
  torch::Tensor h = group_norm(x).view({B, C, H * W}).transpose(1, 2);  // [B, HW, C]
  const torch::Tensor q = to_q(h), k = to_k(h), v = to_v(h);            // [B, HW, C]

  const double scale = 1.0 / std::sqrt(static_cast<double>(C));
  torch::Tensor weights = torch::softmax(torch::bmm(q, k.transpose(1, 2)) * scale, /*dim=*/-1);  // [B, HW, HW]
  h = to_out_linear(torch::bmm(weights, v));                                                      // [B, HW, C]

  return x + h.transpose(1, 2).reshape({B, C, H, W});
}

VaeMidBlockImpl::VaeMidBlockImpl(int64_t channels, int64_t groups, double eps)
    : resnet_blocks{ResnetBlock2D(channels, channels, groups, eps), ResnetBlock2D(channels, channels, groups, eps)},
      attention(VaeAttention(channels, groups, eps)) {
  register_list(*this, "resnets", resnet_blocks);
  register_list(*this, "attentions", std::vector<VaeAttention>{attention});
}

torch::Tensor VaeMidBlockImpl::forward(const torch::Tensor& x) {
  return resnet_blocks[1](attention(resnet_blocks[0](x)));
}

DownEncoderBlock2DImpl::DownEncoderBlock2DImpl(int64_t in_channels, int64_t out_channels, int64_t layers,
                                               bool downsample, int64_t groups, double eps) {
  for (int64_t j = 0; j < layers; ++j) {
    resnet_blocks.emplace_back(j == 0 ? in_channels : out_channels, out_channels, groups, eps);
  }
  register_list(*this, "resnets", resnet_blocks);
  if (downsample) {
    downsample_conv = conv3x3(out_channels, out_channels, /*stride=*/2, /*padding=*/0);
    register_sampler(*this, "downsamplers", downsample_conv);
  }
}

torch::Tensor DownEncoderBlock2DImpl::forward(torch::Tensor x) {
  for (auto& block : resnet_blocks) x = block(x);
  if (downsample_conv) {
    // Pad right and bottom only, then a 3x3 stride-2 conv without padding.
    x = F::pad(x, F::PadFuncOptions({0, 1, 0, 1}).mode(torch::kConstant).value(0));
    x = downsample_conv(x);  // [B, C, H/2, W/2]
  }
  return x;
}

UpDecoderBlock2DImpl::UpDecoderBlock2DImpl(int64_t in_channels, int64_t out_channels, int64_t layers,
                                           bool upsample, int64_t groups, double eps) {
  for (int64_t j = 0; j < layers; ++j) {
    resnet_blocks.emplace_back(j == 0 ? in_channels : out_channels, out_channels, groups, eps);
  }
  register_list(*this, "resnets", resnet_blocks);
  if (upsample) {
    upsample_conv = conv3x3(out_channels, out_channels);
    register_sampler(*this, "upsamplers", upsample_conv);
  }
}

torch::Tensor UpDecoderBlock2DImpl::forward(torch::Tensor x) {
  for (auto& block : resnet_blocks) x = block(x);
  if (upsample_conv) {
    x = F::interpolate(x, F::InterpolateFuncOptions()
                              .scale_factor(std::vector<double>{2.0, 2.0})
                              .mode(torch::kNearest));  // [B, C, 2H, 2W]
    x = upsample_conv(x);
  }
  return x;
}

// ---------------------------------------------------------------------------
// Encoder and decoder

VaeEncoderImpl::VaeEncoderImpl(const AutoencoderKLOptions& options) {
  const auto& widths = options.block_out_channels;
  const int64_t groups = options.norm_num_groups;
  const double eps = options.norm_eps;

  conv_in = register_module("conv_in", conv3x3(options.in_channels, widths.front()));
  int64_t channels = widths.front();
  for (std::size_t i = 0; i < widths.size(); ++i) {
    const bool last = i + 1 == widths.size();
    blocks.emplace_back(channels, widths[i], options.layers_per_block, /*downsample=*/!last, groups, eps);
    channels = widths[i];
  }
  register_list(*this, "down_blocks", blocks);
  mid_block = register_module("mid_block", VaeMidBlock(channels, groups, eps));
  conv_norm_out = register_module("conv_norm_out", group_norm(groups, channels, eps));
  conv_out = register_module("conv_out", conv3x3(channels, 2 * options.latent_channels));
}

torch::Tensor VaeEncoderImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = conv_in(x);  // [B, widths[0], H, W]
  for (auto& block : blocks) h = block(h);
  h = mid_block(h);              // [B, widths[-1], h, w]
  return conv_out(F::silu(conv_norm_out(h)));  // [B, 2L, h, w]
}

VaeDecoderImpl::VaeDecoderImpl(const AutoencoderKLOptions& options) {
  const std::vector<int64_t> widths(options.block_out_channels.rbegin(), options.block_out_channels.rend());
  const int64_t groups = options.norm_num_groups;
  const double eps = options.norm_eps;

  conv_in = register_module("conv_in", conv3x3(options.latent_channels, widths.front()));
  mid_block = register_module("mid_block", VaeMidBlock(widths.front(), groups, eps));
  int64_t channels = widths.front();
  for (std::size_t i = 0; i < widths.size(); ++i) {
    const bool last = i + 1 == widths.size();
    blocks.emplace_back(channels, widths[i], options.layers_per_block + 1, /*upsample=*/!last, groups, eps);
    channels = widths[i];
  }
  register_list(*this, "up_blocks", blocks);
  conv_norm_out = register_module("conv_norm_out", group_norm(groups, channels, eps));
  conv_out = register_module("conv_out", conv3x3(channels, options.out_channels));
}

torch::Tensor VaeDecoderImpl::forward(const torch::Tensor& z) {
  torch::Tensor h = mid_block(conv_in(z));  // [B, widths[-1], h, w]
  for (auto& block : blocks) h = block(h);  // [B, widths[0], H, W]
  return conv_out(F::silu(conv_norm_out(h)));  // [B, C, H, W]
}

// ---------------------------------------------------------------------------
// AutoencoderKL

AutoencoderKLImpl::AutoencoderKLImpl(const AutoencoderKLOptions& options) : options_(options) {
  options_.validate();
  encoder = register_module("encoder", VaeEncoder(options_));
  decoder = register_module("decoder", VaeDecoder(options_));
  quant_conv = register_module("quant_conv", conv1x1(2 * options_.latent_channels, 2 * options_.latent_channels));
  post_quant_conv = register_module("post_quant_conv", conv1x1(options_.latent_channels, options_.latent_channels));
}

void AutoencoderKLImpl::check_image(const torch::Tensor& x) const {
  const int64_t factor = options_.downsample_factor();
  if (x.dim() != 4 || x.size(1) != options_.in_channels || x.size(2) < factor || x.size(3) < factor) {
    throw Error("AutoencoderKL::encode: images must be [B, " + std::to_string(options_.in_channels) +
                ", H, W] with H, W >= " + std::to_string(factor) + ", got " + shape_string(x.sizes()));
  }
}

void AutoencoderKLImpl::check_latent(const torch::Tensor& z) const {
  if (z.dim() != 4 || z.size(1) != options_.latent_channels) {
    throw Error("AutoencoderKL::decode: latents must be [B, " + std::to_string(options_.latent_channels) +
                ", h, w], got " + shape_string(z.sizes()));
  }
}

DiagonalGaussian AutoencoderKLImpl::encode(const torch::Tensor& x) {
  check_image(x);
  return DiagonalGaussian(quant_conv(encoder(x)));  // moments [B, 2L, h, w]
}

torch::Tensor AutoencoderKLImpl::decode(const torch::Tensor& z) {
  check_latent(z);
  return decoder(post_quant_conv(z));  // [B, C, H, W]
}

torch::Tensor AutoencoderKLImpl::encode_latents(const torch::Tensor& x, const torch::Tensor& noise) {
  return encode(x).sample(noise) * options_.scaling_factor;
}

torch::Tensor AutoencoderKLImpl::encode_latents(const torch::Tensor& x, bool sample,
                                                std::optional<torch::Generator> generator) {
  const DiagonalGaussian posterior = encode(x);
  return (sample ? posterior.sample(generator) : posterior.mode()) * options_.scaling_factor;
}

torch::Tensor AutoencoderKLImpl::decode_latents(const torch::Tensor& z_scaled) {
  return decode(z_scaled / options_.scaling_factor);
}

AutoencoderOutput AutoencoderKLImpl::forward(const torch::Tensor& x, bool sample_posterior,
                                             std::optional<torch::Generator> generator) {
  DiagonalGaussian posterior = encode(x);
  const torch::Tensor z = sample_posterior ? posterior.sample(generator) : posterior.mode();
  return AutoencoderOutput{decode(z), std::move(posterior)};
}

// ---------------------------------------------------------------------------
// Loading

TensorMap normalize_autoencoder_keys(const TensorMap& weights) {
  // Older diffusers releases named the mid-block attention `query`, `key`,
  // `value` and `proj_attn`.
  static const std::vector<std::pair<std::string, std::string>> kRenames{
      {".query.", ".to_q."}, {".key.", ".to_k."}, {".value.", ".to_v."}, {".proj_attn.", ".to_out.0."}};
  TensorMap result;
  for (const auto& [name, value] : weights) {
    std::string renamed = name;
    const auto attention = name.find(".attentions.");
    if (attention != std::string::npos) {
      for (const auto& [old_part, new_part] : kRenames) {
        const auto at = renamed.find(old_part, attention);
        if (at != std::string::npos) {
          renamed.replace(at, old_part.size(), new_part);
          break;
        }
      }
    }
    if (result.count(renamed) != 0) {
      throw Error("AutoencoderKL weights: tensor '" + name + "' duplicates '" + renamed +
                  "'; a checkpoint must use one attention key style");
    }
    result[renamed] = value;
  }
  return result;
}

AutoencoderKLOptions autoencoder_options_from_weights(const TensorMap& raw_weights,
                                                      const AutoencoderKLOptions& base) {
  const TensorMap weights = normalize_autoencoder_keys(raw_weights);
  AutoencoderKLOptions options = base;
  options.in_channels = require_tensor(weights, "encoder.conv_in.weight", kModel).size(1);
  options.out_channels = require_tensor(weights, "decoder.conv_out.weight", kModel).size(0);
  options.latent_channels = require_tensor(weights, "post_quant_conv.weight", kModel).size(0);

  options.block_out_channels.clear();
  for (int64_t i = 0;; ++i) {
    const auto found = weights.find("encoder.down_blocks." + std::to_string(i) + ".resnets.0.conv1.weight");
    if (found == weights.end()) break;
    options.block_out_channels.push_back(found->second.size(0));
  }
  if (options.block_out_channels.empty()) {
    throw Error("AutoencoderKL weights: missing tensor 'encoder.down_blocks.0.resnets.0.conv1.weight'; "
                "is this a diffusers AutoencoderKL state dict (strip any prefix such as 'vae.')?");
  }

  options.layers_per_block = 0;
  while (weights.count("encoder.down_blocks.0.resnets." + std::to_string(options.layers_per_block) +
                       ".conv1.weight") != 0) {
    ++options.layers_per_block;
  }

  logger()->info("AutoencoderKL sizes from weights: in_channels {}, out_channels {}, block_out_channels {}, "
                 "layers_per_block {}, latent_channels {}",
                 options.in_channels, options.out_channels, nlohmann::json(options.block_out_channels).dump(),
                 options.layers_per_block, options.latent_channels);
  return options;
}

AutoencoderKL load_autoencoder_kl(const TensorMap& raw_weights, const AutoencoderKLOptions& options) {
  const TensorMap weights = normalize_autoencoder_keys(raw_weights);
  const AutoencoderKLOptions detected = autoencoder_options_from_weights(weights, options);
  if (detected.to_string() != options.to_string()) {
    logger()->warn("AutoencoderKL configuration {} differs from the sizes in the weights {}", options.to_string(),
                   detected.to_string());
  }
  AutoencoderKL model(options);
  load_state_dict(*model, weights, kModel);
  logger()->info("AutoencoderKL loaded: {}", options.to_string());
  return model;
}

AutoencoderKL load_autoencoder_kl(const TensorMap& weights) {
  return load_autoencoder_kl(weights, autoencoder_options_from_weights(weights));
}

AutoencoderKL load_autoencoder_kl(const std::filesystem::path& path, const AutoencoderKLOptions& options,
                                  const std::string& prefix) {
  const io::SafetensorsFile file = io::SafetensorsFile::open(path);
  return load_autoencoder_kl(file.tensors(prefix), options);
}

}  // namespace evlf::models
