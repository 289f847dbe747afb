// EVLF fusion module: joint self- and cross-attention between the visual
// latent and the text embedding, placed between the autoencoder and the
// denoiser (Cai et al., "Early Vision-Language Fusion", CVPR 2026).
//
// Symbols: B batch, C latent channels, h = w latent grid side, N = h·w latent
// tokens, T text tokens, D text width, W embed width, H heads.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace evlf::models {

/// \brief Sizes of the fusion module; defaults are the published model.
struct FusionModuleOptions {
  int64_t latent_channels = 4;  // C, channels of the autoencoder latent
  int64_t embed_dim = 256;      // W, width of the attention layers
  int64_t num_heads = 4;        // H, attention heads per layer
  int64_t num_layers = 2;       // attention layers
  int64_t ffn_multiplier = 2;   // feed-forward hidden width = ffn_multiplier · W
  double dropout = 0.1;         // attention and feed-forward dropout, training only
  int64_t text_dim = 768;       // D, width of the text encoder's hidden states
  int64_t latent_size = 32;     // h = w, latent grid side (image side / 8)

  /// The published configuration: 256-pixel images, SD-VAE latents, CLIP ViT-L/14 text.
  static FusionModuleOptions reference();
  /// The published widths for images of `image_size` pixels (latent side image_size / 8).
  static FusionModuleOptions for_image_size(int64_t image_size);

  int64_t num_tokens() const { return latent_size * latent_size; }
  /// One-line JSON for the run log.
  std::string to_string() const;
};

/// Reads every size the state dict's shapes determine (C, W, D, layers,
/// feed-forward width, latent side) and logs them. `num_heads` and `dropout`
/// come from `defaults` because no shape stores them. Keys are the reference
/// names, optionally prefixed "module."; strip any other prefix first.
FusionModuleOptions fusion_options_from_state_dict(const std::map<std::string, torch::Tensor>& state,
                                                   const FusionModuleOptions& defaults = {});

/// \brief Output of one fusion forward pass.
struct FusionOutput {
  torch::Tensor fused;                   // [B, C, h, w]
  std::vector<torch::Tensor> attention;  // per layer [B, H, N, N + T]; empty unless requested
};

/// \brief Multi-head attention with a packed query/key/value projection, laid
/// out as torch.nn.MultiheadAttention so its weights load by name, but
/// returning the weights of every head.
class PackedAttentionImpl : public torch::nn::Module {
 public:
  PackedAttentionImpl(int64_t embed_dim, int64_t num_heads, double dropout);

  /// query [B, N, W], kv [B, S, W] -> [B, N, W]; `weights` receives the
  /// per-head softmax [B, H, N, S] after attention dropout, as PyTorch 1.13
  /// returns them with average_attn_weights=False.
  torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& kv, torch::Tensor* weights,
                        const c10::optional<at::Generator>& generator);

 private:
  int64_t embed_dim_;
  int64_t num_heads_;
  double dropout_;

 public:
  torch::Tensor in_proj_weight;  // [3W, W], query, key and value rows
  torch::Tensor in_proj_bias;    // [3W]
  torch::nn::Linear out_proj{nullptr};
};
TORCH_MODULE(PackedAttention);

/// \brief One post-norm layer: x = LN1(x + MHA(x, kv, kv)), x = LN2(x + FFN(x)).
class FusionLayerImpl : public torch::nn::Module {
 public:
  FusionLayerImpl(int64_t embed_dim, int64_t num_heads, int64_t ffn_dim, double dropout);

  /// x [B, N, W], kv [B, N + T, W] (the module's input latent tokens and text
  /// tokens) -> [B, N, W]; `attention` receives [B, H, N, N + T].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& kv, torch::Tensor* attention,
                        const c10::optional<at::Generator>& generator);

 private:
  double dropout_;

 public:
  PackedAttention attn{nullptr};
  torch::nn::LayerNorm norm1{nullptr};
  torch::nn::LayerNorm norm2{nullptr};
  torch::nn::Sequential ffn{nullptr};  // Linear, ReLU, Dropout, Linear: keys ffn.0 and ffn.3
  torch::nn::Linear ffn_in{nullptr};   // the module stored at ffn.0
  torch::nn::Linear ffn_out{nullptr};  // the module stored at ffn.3
};
TORCH_MODULE(FusionLayer);

/// \brief The EVLF fusion module, ported from the published EVLF code and checked
/// against tensors it computed.
///
/// z_img [B, C, h, w] and text [B, T, D] -> z_fused [B, C, h, w]. Every layer
/// attends from the running latent tokens to the same keys and values: the
/// projected input latent tokens (with pos_embed) and text tokens. The output
/// replaces the latent; there is no residual to the input.
class FusionModuleImpl : public torch::nn::Module {
 public:
  explicit FusionModuleImpl(const FusionModuleOptions& options = {});

  /// `generator` draws the dropout masks in training mode (the default CPU
  /// generator when empty); evaluation mode ignores it.
  FusionOutput forward(const torch::Tensor& z_img, const torch::Tensor& text_embeds, bool return_attention = false,
                       c10::optional<at::Generator> generator = c10::nullopt);

  const FusionModuleOptions& options() const { return options_; }

 private:
  FusionModuleOptions options_;

 public:
  torch::nn::Conv2d latent_proj{nullptr};  // 1x1, C -> W
  torch::nn::Linear text_proj{nullptr};    // D -> W
  torch::Tensor pos_embed;                 // [1, N, W]
  torch::nn::ModuleList cross_attn_layers{nullptr};
  torch::nn::Conv2d out_proj{nullptr};     // 1x1, W -> C
};
TORCH_MODULE(FusionModule);

/// Inverted dropout whose mask comes from `generator` (CPU draws, moved to
/// x's device), so seeded training runs repeat exactly. Identity when
/// `training` is false or p is 0.
torch::Tensor seeded_dropout(const torch::Tensor& x, double p, bool training,
                             const c10::optional<at::Generator>& generator);

/// Fusion weight: z_alpha = z_img + alpha · (z_fused − z_img). alpha = 1 is
/// EVLF as published, 0 the plain latent. Shapes must match.
torch::Tensor blend_fused_latent(const torch::Tensor& z_img, const torch::Tensor& z_fused, double alpha);

// ---- Checkpoints -----------------------------------------------------------

/// Writes the module's state dict as safetensors, keys `prefix` + reference
/// name, with the options as metadata.
void save_fusion_module(const std::filesystem::path& path, FusionModule& module, const std::string& prefix = "fusion.");

/// Reads a fusion state dict: a safetensors file (keys with or without the
/// "fusion." prefix) or a published torch.save checkpoint whose
/// "fusion_module" entry is the state dict (keys possibly prefixed "module.").
/// Throws evlf::Error naming the conversion to run when LibTorch cannot read it.
std::map<std::string, torch::Tensor> read_fusion_state_dict(const std::filesystem::path& path);

/// Copies `state` into `module`; every parameter must be present with its
/// shape, and unknown keys are rejected.
void load_fusion_state_dict(FusionModule& module, const std::map<std::string, torch::Tensor>& state);

/// Builds a module sized from the checkpoint's shapes (heads and dropout from
/// `defaults`) and loads the weights.
FusionModule load_fusion_module(const std::filesystem::path& path, const FusionModuleOptions& defaults = {});

}  // namespace evlf::models
