#include "core/models/fusion_module.h"

#include <cmath>
#include <fstream>
#include <iterator>
#include <set>

#include <nlohmann/json.hpp>
#include <torch/serialize.h>

#include "core/io/safetensors.h"
#include "core/runtime/error.h"
#include "core/runtime/log.h"

namespace evlf::models {
namespace fs = std::filesystem;

namespace {

// The published module's spatial compression: SD-VAE latents are 1/8 of the image side.
constexpr int64_t kAutoencoderDownsampling = 8;
// Standard deviation of the learned positional embedding's initial values.
// NOTE: the published initialisation of pos_embed is not known; ViT-style 0.02 is assumed.
constexpr double kPosEmbedInitStd = 0.02;

std::string shape_of(const torch::Tensor& t) { return c10::str(t.sizes()); }

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

// ---- Options ----------------------------------------------------------------

FusionModuleOptions FusionModuleOptions::reference() { return for_image_size(/*image_size=*/256); }

FusionModuleOptions FusionModuleOptions::for_image_size(int64_t image_size) {
  if (image_size <= 0 || image_size % kAutoencoderDownsampling != 0) {
    throw Error("fusion module: image size " + std::to_string(image_size) +
                " is invalid; it must be a positive multiple of 8");
  }
  FusionModuleOptions options;
  options.latent_size = image_size / kAutoencoderDownsampling;
  return options;
}

std::string FusionModuleOptions::to_string() const {
  nlohmann::json j = {{"latent_channels", latent_channels}, {"embed_dim", embed_dim},
                      {"num_heads", num_heads},             {"num_layers", num_layers},
                      {"ffn_multiplier", ffn_multiplier},   {"dropout", dropout},
                      {"text_dim", text_dim},               {"latent_size", latent_size}};
  return j.dump();
}

FusionModuleOptions fusion_options_from_state_dict(const std::map<std::string, torch::Tensor>& state,
                                                   const FusionModuleOptions& defaults) {
  std::map<std::string, torch::Tensor> plain;
  for (const auto& [key, value] : state) {
    plain[starts_with(key, "module.") ? key.substr(7) : key] = value;
  }
  auto require = [&](const std::string& key, int64_t dims) -> const torch::Tensor& {
    auto it = plain.find(key);
    if (it == plain.end()) {
      throw Error("fusion state dict: missing tensor '" + key + "'; is this an EVLF fusion checkpoint?");
    }
    if (it->second.dim() != dims) {
      throw Error("fusion state dict: '" + key + "' has shape " + shape_of(it->second) + ", expected " +
                  std::to_string(dims) + " dimensions");
    }
    return it->second;
  };

  FusionModuleOptions options = defaults;
  const auto& latent_proj = require("latent_proj.weight", 4);  // [W, C, 1, 1]
  options.embed_dim = latent_proj.size(0);
  options.latent_channels = latent_proj.size(1);
  options.text_dim = require("text_proj.weight", 2).size(1);   // [W, D]
  const int64_t num_tokens = require("pos_embed", 3).size(1);  // [1, N, W]
  options.latent_size = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(num_tokens))));
  if (options.latent_size * options.latent_size != num_tokens) {
    throw Error("fusion state dict: pos_embed has " + std::to_string(num_tokens) +
                " tokens, which is not a square latent grid");
  }

  options.num_layers = 0;
  while (plain.count("cross_attn_layers." + std::to_string(options.num_layers) + ".norm1.weight")) {
    ++options.num_layers;
  }
  if (options.num_layers == 0) throw Error("fusion state dict: no cross_attn_layers.{i}.norm1.weight found");
  const int64_t ffn_dim = require("cross_attn_layers.0.ffn.0.weight", 2).size(0);  // [F, W]
  if (ffn_dim % options.embed_dim != 0) {
    throw Error("fusion state dict: feed-forward width " + std::to_string(ffn_dim) +
                " is not a multiple of the embed width " + std::to_string(options.embed_dim));
  }
  options.ffn_multiplier = ffn_dim / options.embed_dim;
  if (options.embed_dim % options.num_heads != 0) {
    throw Error("fusion state dict: embed width " + std::to_string(options.embed_dim) +
                " is not divisible by num_heads " + std::to_string(options.num_heads) + "; pass the right head count");
  }
  logger()->info("fusion module sizes read from the state dict: {}", options.to_string());
  return options;
}

// ---- Layers -----------------------------------------------------------------

torch::Tensor seeded_dropout(const torch::Tensor& x, double p, bool training,
                             const c10::optional<at::Generator>& generator) {
  if (!training || p <= 0.0) return x;
  auto cpu_float = torch::TensorOptions().dtype(torch::kFloat32);
  torch::Tensor keep = torch::empty(x.sizes(), cpu_float).bernoulli_(1.0 - p, generator);
  return x * keep.to(x.device(), x.scalar_type()) / (1.0 - p);
}

PackedAttentionImpl::PackedAttentionImpl(int64_t embed_dim, int64_t num_heads, double dropout)
    : embed_dim_(embed_dim), num_heads_(num_heads), dropout_(dropout) {
  if (num_heads <= 0 || embed_dim % num_heads != 0) {
    throw Error("fusion attention: embed width " + std::to_string(embed_dim) + " is not divisible by " +
                std::to_string(num_heads) + " heads");
  }
  in_proj_weight = register_parameter("in_proj_weight", torch::empty({3 * embed_dim, embed_dim}));
  in_proj_bias = register_parameter("in_proj_bias", torch::zeros({3 * embed_dim}));
  out_proj = register_module("out_proj", torch::nn::Linear(embed_dim, embed_dim));

  // torch.nn.MultiheadAttention's initialisation.
  torch::NoGradGuard no_grad;
  torch::nn::init::xavier_uniform_(in_proj_weight);
  torch::nn::init::zeros_(out_proj->bias);
}

torch::Tensor PackedAttentionImpl::forward(const torch::Tensor& query, const torch::Tensor& kv, torch::Tensor* weights,
                                           const c10::optional<at::Generator>& generator) {
  const int64_t B = query.size(0), N = query.size(1), S = kv.size(1);
  const int64_t H = num_heads_, head_dim = embed_dim_ / num_heads_;
  auto w = in_proj_weight.chunk(3, 0);
  auto b = in_proj_bias.chunk(3, 0);

  auto split_heads = [&](const torch::Tensor& t, int64_t length) {
    return t.view({B, length, H, head_dim}).transpose(1, 2);  // [B, H, length, d]
  };
  torch::Tensor q = split_heads(torch::nn::functional::linear(query, w[0], b[0]), N);  // [B, H, N, d]
  torch::Tensor k = split_heads(torch::nn::functional::linear(kv, w[1], b[1]), S);     // [B, H, S, d]
  torch::Tensor v = split_heads(torch::nn::functional::linear(kv, w[2], b[2]), S);     // [B, H, S, d]

  torch::Tensor scores = torch::matmul(q / std::sqrt(static_cast<double>(head_dim)), k.transpose(-2, -1));  // [B, H, N, S]
  torch::Tensor probs = torch::softmax(scores, -1);
  probs = seeded_dropout(probs, dropout_, is_training(), generator);
  if (weights) *weights = probs;

  torch::Tensor out = torch::matmul(probs, v);                 // [B, H, N, d]
  out = out.transpose(1, 2).reshape({B, N, embed_dim_});        // [B, N, W]
  return out_proj(out);
}

FusionLayerImpl::FusionLayerImpl(int64_t embed_dim, int64_t num_heads, int64_t ffn_dim, double dropout)
    : dropout_(dropout) {
  attn = register_module("attn", PackedAttention(embed_dim, num_heads, dropout));
  norm1 = register_module("norm1", torch::nn::LayerNorm(torch::nn::LayerNormOptions({embed_dim})));
  norm2 = register_module("norm2", torch::nn::LayerNorm(torch::nn::LayerNormOptions({embed_dim})));
  ffn_in = torch::nn::Linear(embed_dim, ffn_dim);
  ffn_out = torch::nn::Linear(ffn_dim, embed_dim);
  // The Dropout entry keeps the reference indices; forward applies seeded_dropout in its place.
  ffn = register_module("ffn", torch::nn::Sequential(ffn_in, torch::nn::ReLU(), torch::nn::Dropout(dropout), ffn_out));
}

torch::Tensor FusionLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& kv, torch::Tensor* attention,
                                       const c10::optional<at::Generator>& generator) {
  torch::Tensor h = norm1(x + attn(x, kv, attention, generator));
  torch::Tensor f = ffn_out(seeded_dropout(torch::relu(ffn_in(h)), dropout_, is_training(), generator));
  return norm2(h + f);  // [B, N, W]
}

// ---- Fusion module ------------------------------------------------------------

FusionModuleImpl::FusionModuleImpl(const FusionModuleOptions& options) : options_(options) {
  const auto& o = options_;
  if (o.latent_channels <= 0 || o.embed_dim <= 0 || o.text_dim <= 0 || o.latent_size <= 0 || o.num_layers <= 0 ||
      o.ffn_multiplier <= 0) {
    throw Error("fusion module: every size must be positive, got " + o.to_string());
  }
  if (o.dropout < 0.0 || o.dropout >= 1.0) {
    throw Error("fusion module: dropout " + std::to_string(o.dropout) + " is outside [0, 1)");
  }
  latent_proj = register_module(
      "latent_proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(o.latent_channels, o.embed_dim, /*kernel_size=*/1)));
  text_proj = register_module("text_proj", torch::nn::Linear(o.text_dim, o.embed_dim));
  pos_embed = register_parameter("pos_embed", torch::randn({1, o.num_tokens(), o.embed_dim}) * kPosEmbedInitStd);
  cross_attn_layers = register_module("cross_attn_layers", torch::nn::ModuleList());
  for (int64_t i = 0; i < o.num_layers; ++i) {
    cross_attn_layers->push_back(FusionLayer(o.embed_dim, o.num_heads, o.ffn_multiplier * o.embed_dim, o.dropout));
  }
  out_proj = register_module(
      "out_proj", torch::nn::Conv2d(torch::nn::Conv2dOptions(o.embed_dim, o.latent_channels, /*kernel_size=*/1)));
}

FusionOutput FusionModuleImpl::forward(const torch::Tensor& z_img, const torch::Tensor& text_embeds,
                                       bool return_attention, c10::optional<at::Generator> generator) {
  const auto& o = options_;
  if (z_img.dim() != 4 || z_img.size(1) != o.latent_channels || z_img.size(2) != o.latent_size ||
      z_img.size(3) != o.latent_size) {
    throw Error("fusion module: latent has shape " + shape_of(z_img) + ", expected [B, " +
                std::to_string(o.latent_channels) + ", " + std::to_string(o.latent_size) + ", " +
                std::to_string(o.latent_size) + "]");
  }
  if (text_embeds.dim() != 3 || text_embeds.size(0) != z_img.size(0) || text_embeds.size(2) != o.text_dim) {
    throw Error("fusion module: text embeddings have shape " + shape_of(text_embeds) + ", expected [" +
                std::to_string(z_img.size(0)) + ", T, " + std::to_string(o.text_dim) + "]");
  }
  const int64_t B = z_img.size(0), h = z_img.size(2), w = z_img.size(3);

  torch::Tensor x = latent_proj(z_img).flatten(2).transpose(1, 2);  // [B, N, W]
  x = x + pos_embed;
  torch::Tensor text = text_proj(text_embeds);                      // [B, T, W]
  // Keys and values stay the input tokens in every layer, as in the reference;
  // only the queries carry the previous layer's output.
  const torch::Tensor kv = torch::cat({x, text}, 1);                // [B, N + T, W]

  FusionOutput output;
  for (const auto& module : *cross_attn_layers) {
    torch::Tensor weights;
    x = module->as<FusionLayerImpl>()->forward(x, kv, return_attention ? &weights : nullptr, generator);
    if (return_attention) output.attention.push_back(weights);  // [B, H, N, N + T]
  }

  x = x.transpose(1, 2).reshape({B, o.embed_dim, h, w});  // [B, W, h, w]
  output.fused = out_proj(x);                              // [B, C, h, w]
  return output;
}

torch::Tensor blend_fused_latent(const torch::Tensor& z_img, const torch::Tensor& z_fused, double alpha) {
  if (z_img.sizes() != z_fused.sizes()) {
    throw Error("fusion weight: z_img " + shape_of(z_img) + " and z_fused " + shape_of(z_fused) +
                " must have the same shape");
  }
  return z_img + alpha * (z_fused - z_img);
}

// ---- Checkpoints ----------------------------------------------------------------

void save_fusion_module(const fs::path& path, FusionModule& module, const std::string& prefix) {
  io::TensorList tensors;
  for (const auto& item : module->named_parameters()) {
    tensors.emplace_back(prefix + item.key(), item.value().detach());
  }
  io::save_safetensors(path, tensors, {{"fusion_options", module->options().to_string()}});
}

namespace {

bool has_safetensors_header(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  unsigned char bytes[9] = {};
  in.read(reinterpret_cast<char*>(bytes), sizeof(bytes));
  // Eight length bytes, then the JSON header's opening brace.
  return in.gcount() == 9 && bytes[8] == '{';
}

std::map<std::string, torch::Tensor> read_torch_checkpoint(const fs::path& path) {
  const std::string conversion_hint =
      "; convert it in Python: ckpt = torch.load(path, map_location='cpu'); "
      "safetensors.torch.save_file({k.removeprefix('module.'): v.contiguous() for k, v in "
      "ckpt['fusion_module'].items()}, 'fusion.safetensors')";
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("fusion checkpoint: failed to open " + path.string());
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());

  c10::IValue root;
  try {
    root = torch::pickle_load(bytes);
  } catch (const c10::Error& error) {
    throw Error("fusion checkpoint: LibTorch could not read " + path.string() + " (" +
                std::string(error.what_without_backtrace()) + ")" + conversion_hint);
  }
  if (!root.isGenericDict()) {
    throw Error("fusion checkpoint: " + path.string() + " does not contain a dict" + conversion_hint);
  }
  c10::impl::GenericDict dict = root.toGenericDict();
  if (dict.contains("fusion_module")) {
    c10::IValue inner = dict.at("fusion_module");
    if (!inner.isGenericDict()) {
      throw Error("fusion checkpoint: 'fusion_module' in " + path.string() + " is not a state dict" +
                  conversion_hint);
    }
    dict = inner.toGenericDict();
  }

  std::map<std::string, torch::Tensor> state;
  for (const auto& item : dict) {
    if (!item.key().isString() || !item.value().isTensor()) {
      throw Error("fusion checkpoint: " + path.string() + " has no 'fusion_module' state dict" + conversion_hint);
    }
    std::string key = item.key().toStringRef();
    if (starts_with(key, "module.")) key = key.substr(7);
    state[key] = item.value().toTensor();
  }
  return state;
}

}  // namespace

std::map<std::string, torch::Tensor> read_fusion_state_dict(const fs::path& path) {
  if (!fs::exists(path)) throw Error("fusion checkpoint: file not found: " + path.string());
  if (!has_safetensors_header(path)) return read_torch_checkpoint(path);

  auto file = io::SafetensorsFile::open(path);
  const bool prefixed = !file.names_with_prefix("fusion.").empty();
  std::map<std::string, torch::Tensor> state;
  for (auto& [key, value] : file.tensors(prefixed ? "fusion." : "")) {
    state[starts_with(key, "module.") ? key.substr(7) : key] = value;
  }
  return state;
}

void load_fusion_state_dict(FusionModule& module, const std::map<std::string, torch::Tensor>& state) {
  torch::NoGradGuard no_grad;
  std::set<std::string> expected;
  for (auto& item : module->named_parameters()) {
    expected.insert(item.key());
    auto it = state.find(item.key());
    if (it == state.end()) throw Error("fusion state dict: missing parameter '" + item.key() + "'");
    if (it->second.sizes() != item.value().sizes()) {
      throw Error("fusion state dict: '" + item.key() + "' has shape " + shape_of(it->second) + ", the module expects " +
                  shape_of(item.value()));
    }
    item.value().copy_(it->second);
  }
  for (const auto& [key, value] : state) {
    if (!expected.count(key)) throw Error("fusion state dict: unexpected key '" + key + "'");
  }
}

FusionModule load_fusion_module(const fs::path& path, const FusionModuleOptions& defaults) {
  auto state = read_fusion_state_dict(path);
  FusionModule module(fusion_options_from_state_dict(state, defaults));
  load_fusion_state_dict(module, state);
  return module;
}

}  // namespace evlf::models
