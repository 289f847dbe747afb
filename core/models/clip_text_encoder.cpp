#include "core/models/clip_text_encoder.h"

#include <cmath>
#include <limits>

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include "core/io/safetensors.h"
#include "core/runtime/error.h"
#include "core/runtime/log.h"

namespace evlf::models {

namespace {

const char* const kModel = "CLIP text encoder";
const char* const kPositionIds = "text_model.embeddings.position_ids";
// quick_gelu approximates GELU by x * sigmoid(1.702 x), as OpenAI's CLIP does.
constexpr double kQuickGeluSlope = 1.702;

torch::nn::LayerNorm layer_norm(int64_t width, double eps) {
  return torch::nn::LayerNorm(torch::nn::LayerNormOptions({width}).eps(eps));
}

}  // namespace

ClipActivation parse_clip_activation(const std::string& name) {
  if (name == "quick_gelu") return ClipActivation::QuickGelu;
  if (name == "gelu") return ClipActivation::Gelu;
  throw Error("unknown CLIP hidden_act '" + name + "'; expected 'quick_gelu' or 'gelu'");
}

std::string clip_activation_name(ClipActivation activation) {
  return activation == ClipActivation::QuickGelu ? "quick_gelu" : "gelu";
}

ClipTextOptions ClipTextOptions::vit_l14() { return ClipTextOptions{}; }

ClipTextOptions ClipTextOptions::vit_b32() {
  ClipTextOptions options;
  options.hidden_size = 512;
  options.intermediate_size = 2048;
  options.num_heads = 8;
  return options;
}

void ClipTextOptions::validate() const {
  auto require = [](bool ok, const std::string& message) {
    if (!ok) throw Error("invalid CLIP text options: " + message);
  };
  require(vocab_size > 0, "vocab_size must be positive, got " + std::to_string(vocab_size));
  require(hidden_size > 0, "hidden_size must be positive, got " + std::to_string(hidden_size));
  require(intermediate_size > 0, "intermediate_size must be positive, got " + std::to_string(intermediate_size));
  require(num_layers > 0, "num_layers must be positive, got " + std::to_string(num_layers));
  require(num_heads > 0 && hidden_size % num_heads == 0,
          "num_heads " + std::to_string(num_heads) + " does not divide hidden_size " + std::to_string(hidden_size));
  require(context > 0, "context must be positive, got " + std::to_string(context));
  require(eos_token_id >= 0 && eos_token_id < vocab_size,
          "eos_token_id " + std::to_string(eos_token_id) + " is outside the vocabulary of " +
              std::to_string(vocab_size));
}

std::string ClipTextOptions::to_string() const {
  nlohmann::json json{{"vocab_size", vocab_size},
                      {"hidden_size", hidden_size},
                      {"intermediate_size", intermediate_size},
                      {"num_layers", num_layers},
                      {"num_heads", num_heads},
                      {"context", context},
                      {"hidden_act", clip_activation_name(hidden_act)},
                      {"layer_norm_eps", layer_norm_eps},
                      {"bos_token_id", bos_token_id},
                      {"eos_token_id", eos_token_id}};
  return json.dump();
}

// ---------------------------------------------------------------------------
// Layers

ClipAttentionImpl::ClipAttentionImpl(int64_t hidden_size, int64_t num_heads)
    : q_proj(register_module("q_proj", torch::nn::Linear(hidden_size, hidden_size))),
      k_proj(register_module("k_proj", torch::nn::Linear(hidden_size, hidden_size))),
      v_proj(register_module("v_proj", torch::nn::Linear(hidden_size, hidden_size))),
      out_proj(register_module("out_proj", torch::nn::Linear(hidden_size, hidden_size))),
      num_heads_(num_heads) {}

torch::Tensor ClipAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  const int64_t B = x.size(0), T = x.size(1), D = x.size(2);
  const int64_t head_dim = D / num_heads_;
  auto split_heads = [&](const torch::Tensor& t) {
    return t.view({B, T, num_heads_, head_dim}).transpose(1, 2);  // [B, heads, T, head_dim]
  };
  const torch::Tensor q = split_heads(q_proj(x)), k = split_heads(k_proj(x)), v = split_heads(v_proj(x));

  const double scale = 1.0 / std::sqrt(static_cast<double>(head_dim));
  torch::Tensor scores = torch::matmul(q, k.transpose(-2, -1)) * scale + mask;  // [B, heads, T, T]
  torch::Tensor h = torch::matmul(torch::softmax(scores, /*dim=*/-1), v);      // [B, heads, T, head_dim]
  h = h.transpose(1, 2).reshape({B, T, D});                                     // [B, T, D]
  return out_proj(h);
}

ClipMlpImpl::ClipMlpImpl(int64_t hidden_size, int64_t intermediate_size, ClipActivation activation)
    : fc1(register_module("fc1", torch::nn::Linear(hidden_size, intermediate_size))),
      fc2(register_module("fc2", torch::nn::Linear(intermediate_size, hidden_size))),
      activation_(activation) {}

torch::Tensor ClipMlpImpl::forward(const torch::Tensor& x) {
  torch::Tensor h = fc1(x);  // [B, T, F]
  h = activation_ == ClipActivation::QuickGelu ? h * torch::sigmoid(kQuickGeluSlope * h) : torch::gelu(h);
  return fc2(h);  // [B, T, D]
}

ClipEncoderLayerImpl::ClipEncoderLayerImpl(const ClipTextOptions& options)
    : self_attn(register_module("self_attn", ClipAttention(options.hidden_size, options.num_heads))),
      layer_norm1(register_module("layer_norm1", layer_norm(options.hidden_size, options.layer_norm_eps))),
      mlp(register_module("mlp", ClipMlp(options.hidden_size, options.intermediate_size, options.hidden_act))),
      layer_norm2(register_module("layer_norm2", layer_norm(options.hidden_size, options.layer_norm_eps))) {}

torch::Tensor ClipEncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& mask) {
  torch::Tensor h = x + self_attn(layer_norm1(x), mask);  // [B, T, D]
  return h + mlp(layer_norm2(h));
}

// ---------------------------------------------------------------------------
// Text encoder

ClipTextEncoderImpl::ClipTextEncoderImpl(const ClipTextOptions& options) : options_(options) {
  options_.validate();
  auto text_model = register_module("text_model", std::make_shared<torch::nn::Module>());
  auto embeddings = text_model->register_module("embeddings", std::make_shared<torch::nn::Module>());
  auto encoder = text_model->register_module("encoder", std::make_shared<torch::nn::Module>());

  token_embedding = embeddings->register_module(
      "token_embedding", torch::nn::Embedding(options_.vocab_size, options_.hidden_size));
  position_embedding = embeddings->register_module(
      "position_embedding", torch::nn::Embedding(options_.context, options_.hidden_size));

  torch::nn::ModuleList layer_list;
  for (int64_t i = 0; i < options_.num_layers; ++i) {
    layers.emplace_back(options_);
    layer_list->push_back(layers.back());
  }
  encoder->register_module("layers", layer_list);
  final_layer_norm = text_model->register_module("final_layer_norm",
                                                 layer_norm(options_.hidden_size, options_.layer_norm_eps));
}

ClipTextOutput ClipTextEncoderImpl::forward(const torch::Tensor& ids, const torch::Tensor& attention_mask) {
  if (ids.dim() != 2 || ids.size(1) < 1 || ids.size(1) > options_.context || ids.scalar_type() != torch::kLong) {
    throw Error("CLIP text encoder: ids must be int64 [B, T] with 1 <= T <= " + std::to_string(options_.context) +
                ", got " + shape_string(ids.sizes()) + " of type " + std::string(c10::toString(ids.scalar_type())));
  }
  if (attention_mask.defined() && attention_mask.sizes() != ids.sizes()) {
    throw Error("CLIP text encoder: attention_mask has shape " + shape_string(attention_mask.sizes()) +
                ", expected the ids' shape " + shape_string(ids.sizes()));
  }
  const int64_t B = ids.size(0), T = ids.size(1);
  const auto float_options = token_embedding->weight.options();

  const torch::Tensor positions = torch::arange(T, ids.options().device(token_embedding->weight.device()));
  torch::Tensor x = token_embedding(ids.to(positions.device())) + position_embedding(positions);  // [B, T, D]

  // Causal mask: position t attends to positions <= t.
  const double lowest = std::numeric_limits<float>::lowest();
  torch::Tensor mask = torch::full({T, T}, lowest, float_options).triu(/*diagonal=*/1);  // [T, T]
  if (attention_mask.defined()) {
    const torch::Tensor padding = (attention_mask.to(x.device()) == 0).view({B, 1, 1, T});
    mask = mask.view({1, 1, T, T}).repeat({B, 1, 1, 1}).masked_fill(padding, lowest);  // [B, 1, T, T]
  }

  for (auto& layer : layers) x = layer(x, mask);
  x = final_layer_norm(x);  // [B, T, D]

  // Pool at the first end-of-text id. NOTE: a row without one is pooled at
  // its last position (Hugging Face's argmax would pick position 0).
  const torch::Tensor is_eos = ids.to(x.device()) == options_.eos_token_id;  // [B, T]
  const torch::Tensor has_eos = is_eos.any(/*dim=*/1);
  torch::Tensor eos_position = is_eos.to(torch::kInt).argmax(/*dim=*/1);     // [B]
  eos_position = torch::where(has_eos, eos_position, torch::full_like(eos_position, T - 1));
  const torch::Tensor pooled = x.index({torch::arange(B, eos_position.options()), eos_position});  // [B, D]

  return ClipTextOutput{x, pooled, eos_position};
}

// ---------------------------------------------------------------------------
// Loading

ClipTextOptions clip_text_options_from_weights(const TensorMap& weights, const ClipTextOptions& base) {
  ClipTextOptions options = base;
  const auto& token = require_tensor(weights, "text_model.embeddings.token_embedding.weight", kModel);
  const auto& position = require_tensor(weights, "text_model.embeddings.position_embedding.weight", kModel);
  options.vocab_size = token.size(0);
  options.hidden_size = token.size(1);
  options.context = position.size(0);
  options.intermediate_size = require_tensor(weights, "text_model.encoder.layers.0.mlp.fc1.weight", kModel).size(0);

  options.num_layers = 0;
  while (weights.count("text_model.encoder.layers." + std::to_string(options.num_layers) +
                       ".layer_norm1.weight") != 0) {
    ++options.num_layers;
  }

  logger()->info("CLIP text encoder sizes from weights: vocab_size {}, hidden_size {}, intermediate_size {}, "
                 "context {}, num_layers {}",
                 options.vocab_size, options.hidden_size, options.intermediate_size, options.context,
                 options.num_layers);
  return options;
}

ClipTextEncoder load_clip_text_encoder(const TensorMap& weights, const ClipTextOptions& options) {
  const ClipTextOptions detected = clip_text_options_from_weights(weights, options);
  if (detected.to_string() != options.to_string()) {
    logger()->warn("CLIP text configuration {} differs from the sizes in the weights {}", options.to_string(),
                   detected.to_string());
  }
  ClipTextEncoder model(options);
  load_state_dict(*model, weights, kModel, /*ignored=*/{kPositionIds});
  logger()->info("CLIP text encoder loaded: {}", options.to_string());
  return model;
}

ClipTextEncoder load_clip_text_encoder(const std::filesystem::path& path, const ClipTextOptions& options,
                                       const std::string& prefix) {
  const io::SafetensorsFile file = io::SafetensorsFile::open(path);
  return load_clip_text_encoder(file.tensors(prefix), options);
}

}  // namespace evlf::models
