// CLIP text transformer (Radford et al., 2021) with Hugging Face
// `CLIPTextModel` parameter names, so OpenAI CLIP text weights converted by
// transformers and Stable Diffusion text encoders load.
//
// Symbols: B batch, T tokens (at most the context length), D hidden size,
// F feed-forward width.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <torch/nn/module.h>
#include <torch/nn/modules/embedding.h>
#include <torch/nn/modules/linear.h>
#include <torch/nn/modules/normalization.h>

#include "core/models/state_dict.h"

namespace evlf::models {

/// Activation of the feed-forward layers.
enum class ClipActivation {
  QuickGelu,  // x * sigmoid(1.702 x), OpenAI CLIP
  Gelu,       // exact erf GELU
};

/// Parses "quick_gelu" or "gelu"; throws evlf::Error naming other values.
ClipActivation parse_clip_activation(const std::string& name);
std::string clip_activation_name(ClipActivation activation);

/// \brief Configuration of a CLIP text transformer, with the defaults of
/// CLIP ViT-L/14's text tower (the Stable Diffusion 1.x text encoder).
struct ClipTextOptions {
  int64_t vocab_size = 49408;          // token embedding rows
  int64_t hidden_size = 768;           // D, model width
  int64_t intermediate_size = 3072;    // F, feed-forward width
  int64_t num_layers = 12;             // transformer layers
  int64_t num_heads = 12;              // attention heads; must divide hidden_size
  int64_t context = 77;                // max_position_embeddings, longest id sequence
  ClipActivation hidden_act = ClipActivation::QuickGelu;
  double layer_norm_eps = 1e-5;        // LayerNorm epsilon
  int64_t bos_token_id = 49406;        // <|startoftext|>
  int64_t eos_token_id = 49407;        // <|endoftext|>; the pooled vector is taken at its first occurrence

  /// CLIP ViT-L/14 text tower: 768 wide, 12 layers, 12 heads.
  static ClipTextOptions vit_l14();
  /// CLIP ViT-B/32 and ViT-B/16 text tower: 512 wide, 12 layers, 8 heads.
  static ClipTextOptions vit_b32();

  /// Throws evlf::Error naming the field when a value is out of range.
  void validate() const;
  /// One-line JSON for the run log.
  std::string to_string() const;
};

/// \brief Multi-head self-attention with separate q, k, v projections.
class ClipAttentionImpl : public torch::nn::Module {
 public:
  ClipAttentionImpl(int64_t hidden_size, int64_t num_heads);
  /// x [B, T, D]; mask [T, T] or [B, 1, T, T], added to the scores.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask);  // [B, T, D]

  torch::nn::Linear q_proj{nullptr};
  torch::nn::Linear k_proj{nullptr};
  torch::nn::Linear v_proj{nullptr};
  torch::nn::Linear out_proj{nullptr};

 private:
  int64_t num_heads_;
};
TORCH_MODULE(ClipAttention);

/// \brief Feed-forward block: fc1, activation, fc2.
class ClipMlpImpl : public torch::nn::Module {
 public:
  ClipMlpImpl(int64_t hidden_size, int64_t intermediate_size, ClipActivation activation);
  torch::Tensor forward(const torch::Tensor& x);  // [B, T, D] -> [B, T, D]

  torch::nn::Linear fc1{nullptr};
  torch::nn::Linear fc2{nullptr};

 private:
  ClipActivation activation_;
};
TORCH_MODULE(ClipMlp);

/// \brief One pre-LayerNorm transformer layer.
class ClipEncoderLayerImpl : public torch::nn::Module {
 public:
  explicit ClipEncoderLayerImpl(const ClipTextOptions& options);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& mask);  // [B, T, D] -> [B, T, D]

  ClipAttention self_attn{nullptr};
  torch::nn::LayerNorm layer_norm1{nullptr};
  ClipMlp mlp{nullptr};
  torch::nn::LayerNorm layer_norm2{nullptr};
};
TORCH_MODULE(ClipEncoderLayer);

/// \brief Output of the text encoder.
struct ClipTextOutput {
  torch::Tensor last_hidden_state;  // [B, T, D], after the final LayerNorm
  torch::Tensor pooled;             // [B, D], the hidden state at eos_position
  torch::Tensor eos_position;       // [B] int64
};

/// \brief The text transformer: token and position embeddings, causal
/// pre-LN layers, final LayerNorm. Parameters sit under `text_model.`.
class ClipTextEncoderImpl : public torch::nn::Module {
 public:
  explicit ClipTextEncoderImpl(const ClipTextOptions& options = {});

  /// ids [B, T] int64 with T <= context. `attention_mask` [B, T] (1 = token,
  /// 0 = padding) additionally hides padded keys when given; the reference
  /// CLIP and Stable Diffusion use the causal mask alone.
  ClipTextOutput forward(const torch::Tensor& ids, const torch::Tensor& attention_mask = {});

  const ClipTextOptions& options() const { return options_; }

  // Submodules of `text_model`, registered under their Hugging Face names.
  torch::nn::Embedding token_embedding{nullptr};
  torch::nn::Embedding position_embedding{nullptr};
  std::vector<ClipEncoderLayer> layers;
  torch::nn::LayerNorm final_layer_norm{nullptr};

 private:
  ClipTextOptions options_;
};
TORCH_MODULE(ClipTextEncoder);

/// Reads vocab_size, hidden_size, intermediate_size, context and num_layers
/// from tensor shapes (`text_model.` names) and logs them; num_heads,
/// hidden_act, the epsilon and the special ids come from `base`. Throws
/// evlf::Error naming the tensor when one that defines a size is missing.
ClipTextOptions clip_text_options_from_weights(const TensorMap& weights, const ClipTextOptions& base = {});

/// Builds a text encoder from `options` and loads `weights` strictly (an
/// unused `text_model.embeddings.position_ids` buffer is accepted and
/// ignored); a missing tensor, another shape or an extra tensor raises
/// evlf::Error naming the tensor and both shapes.
ClipTextEncoder load_clip_text_encoder(const TensorMap& weights, const ClipTextOptions& options);

/// Loads the tensors under `prefix` of a safetensors file.
ClipTextEncoder load_clip_text_encoder(const std::filesystem::path& path, const ClipTextOptions& options,
                                       const std::string& prefix = "");

}  // namespace evlf::models
