// DiT denoiser (Peebles & Xie, "Scalable Diffusion Models with Transformers",
// ICCV 2023), ported from facebookresearch/DiT `models.py`, with optional text
// cross-attention for late-fusion denoisers.
//
// Symbols: B batch, C latent channels, H = W = input_size latent side,
// p patch size, N = (H / p)^2 patch tokens, D hidden width, T text tokens,
// E text width.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <torch/torch.h>

namespace evlf::models {

/// \brief DiT sizes and conditioning; defaults are DiT-XL/2 on 256x256 images.
struct DiTOptions {
  int64_t input_size = 32;           // latent side H = W, in latent pixels
  int64_t patch_size = 2;            // patch side p, in latent pixels
  int64_t in_channels = 4;           // latent channels C
  int64_t hidden_size = 1152;        // token width D
  int64_t depth = 28;                // number of DiT blocks
  int64_t num_heads = 16;            // attention heads; D must be divisible by it
  double mlp_ratio = 4.0;            // MLP hidden width / D
  double class_dropout_prob = 0.1;   // label (and text) dropout in training, for guidance
  int64_t num_classes = 1000;        // class labels; label num_classes is the null label
  bool learn_sigma = true;           // output 2C channels: eps and the variance interpolation
  int64_t text_dim = 0;              // text embedding width E; 0 disables cross-attention

  int64_t out_channels() const { return learn_sigma ? 2 * in_channels : in_channels; }
  int64_t grid_size() const { return input_size / patch_size; }
  int64_t num_patches() const { return grid_size() * grid_size(); }

  /// Throws evlf::Error naming the first inconsistent field.
  void validate() const;
  /// One line for the run log, e.g. "DiT(input 32, patch 2, C 4, D 1152, ...)".
  std::string to_string() const;

  /// The DiT paper's configurations; `patch_size` is 2, 4 or 8.
  static DiTOptions S(int64_t patch_size = 2);
  static DiTOptions B(int64_t patch_size = 2);
  static DiTOptions L(int64_t patch_size = 2);
  static DiTOptions XL(int64_t patch_size = 2);
  /// Looks up "DiT-S/2" … "DiT-XL/8"; throws evlf::Error listing the names otherwise.
  static DiTOptions preset(const std::string& name);

  /// Reads the sizes a state dict fixes (input_size, patch_size, in_channels,
  /// hidden_size, depth, num_classes, learn_sigma, text_dim) and keeps the
  /// rest from `base`. The head count is not visible in the shapes: it comes
  /// from `base`, or from the paper preset with the same width when `base`'s
  /// count does not divide it.
  static DiTOptions from_state_dict(const std::map<std::string, torch::Tensor>& state,
                                    const DiTOptions& base);
  /// from_state_dict with the DiT-XL/2 defaults as `base`.
  static DiTOptions from_state_dict(const std::map<std::string, torch::Tensor>& state);
};

/// 2-D sine-cosine positional embedding of DiT (MAE's `get_2d_sincos_pos_embed`):
/// the first half of each row encodes the column, the second half the row.
torch::Tensor sincos_pos_embed_2d(int64_t embed_dim, int64_t grid_size);  // [grid^2, D]

/// Sinusoidal timestep features, cos first then sin (DiT `TimestepEmbedder`).
torch::Tensor timestep_embedding(const torch::Tensor& t, int64_t dim,
                                 double max_period = 10000.0);  // [B, dim]

/// \brief Multi-head self-attention with one fused qkv projection (timm `Attention`).
class SelfAttentionImpl : public torch::nn::Module {
 public:
  SelfAttentionImpl(int64_t dim, int64_t num_heads);
  torch::Tensor forward(const torch::Tensor& x);  // [B, N, D] -> [B, N, D]

  torch::nn::Linear qkv{nullptr}, proj{nullptr};

 private:
  int64_t num_heads_;
};
TORCH_MODULE(SelfAttention);

/// \brief Cross-attention from patch tokens to text tokens; parameters
/// `q`, `kv` (keys and values from the text, fused) and `proj`.
class CrossAttentionImpl : public torch::nn::Module {
 public:
  CrossAttentionImpl(int64_t dim, int64_t text_dim, int64_t num_heads);
  /// x [B, N, D], text [B, T, E] -> [B, N, D]; stores the weights
  /// [B, heads, N, T] in `attention` when it is not null.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& text,
                        torch::Tensor* attention = nullptr);
  /// Attends to text already projected by `kv`: text_kv [B', T, 2D] with
  /// B' <= B. Rows from B' on attend to zero text, the unconditional text of
  /// guidance, whose output is computed without the attention.
  torch::Tensor attend(const torch::Tensor& x, const torch::Tensor& text_kv, torch::Tensor* attention = nullptr);

  torch::nn::Linear q{nullptr}, kv{nullptr}, proj{nullptr};

 private:
  torch::Tensor attend_partly_zero(const torch::Tensor& x, const torch::Tensor& text_kv, torch::Tensor* attention);

  int64_t num_heads_;
};
TORCH_MODULE(CrossAttention);

/// GELU with the tanh approximation, as `gelu(x, approximate="tanh")`.
torch::Tensor gelu_tanh(const torch::Tensor& x);

/// \brief Two-layer MLP with tanh-approximated GELU (timm `Mlp`).
class MlpImpl : public torch::nn::Module {
 public:
  MlpImpl(int64_t dim, int64_t hidden);
  torch::Tensor forward(const torch::Tensor& x);  // [B, N, D] -> [B, N, D]

  torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(Mlp);

/// \brief adaLN-Zero block: modulated self-attention, optional text
/// cross-attention (pre-norm `norm_cross`, ungated residual), modulated MLP.
class DiTBlockImpl : public torch::nn::Module {
 public:
  DiTBlockImpl(const DiTOptions& options);
  /// x [B, N, D], c [B, D], text_kv [B', T, 2D] with B' <= B (the text
  /// through `cross_attn->kv`; rows from B' on have zero text) or undefined
  /// -> [B, N, D].
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& c,
                        const torch::Tensor& text_kv, torch::Tensor* attention = nullptr);

  torch::nn::LayerNorm norm1{nullptr}, norm2{nullptr}, norm_cross{nullptr};
  SelfAttention attn{nullptr};
  CrossAttention cross_attn{nullptr};
  Mlp mlp{nullptr};
  torch::nn::Sequential adaLN_modulation{nullptr};  // SiLU, Linear(D, 6D)
};
TORCH_MODULE(DiTBlock);

/// \brief Patch embedding: a p x p convolution with stride p (timm `PatchEmbed`).
class PatchEmbedImpl : public torch::nn::Module {
 public:
  PatchEmbedImpl(const DiTOptions& options);
  torch::Tensor forward(const torch::Tensor& x);  // [B, C, H, W] -> [B, N, D]

  torch::nn::Conv2d proj{nullptr};
};
TORCH_MODULE(PatchEmbed);

/// \brief Timestep embedder: 256 sinusoidal features, Linear, SiLU, Linear.
class TimestepEmbedderImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kFrequencies = 256;  // sinusoidal feature count

  explicit TimestepEmbedderImpl(int64_t hidden_size);
  torch::Tensor forward(const torch::Tensor& t);  // [B] -> [B, D]

  torch::nn::Sequential mlp{nullptr};
};
TORCH_MODULE(TimestepEmbedder);

/// \brief Label embedder with one extra row, the null label, when dropout is on.
class LabelEmbedderImpl : public torch::nn::Module {
 public:
  LabelEmbedderImpl(int64_t num_classes, int64_t hidden_size, double dropout_prob);
  /// y [B] -> [B, D]; rows where `drop` [B] is true take the null label.
  torch::Tensor forward(const torch::Tensor& y, const torch::Tensor& drop = {});

  torch::nn::Embedding embedding_table{nullptr};

 private:
  int64_t num_classes_;
};
TORCH_MODULE(LabelEmbedder);

/// \brief Final adaLN layer: modulated LayerNorm and a linear map to patches.
class FinalLayerImpl : public torch::nn::Module {
 public:
  explicit FinalLayerImpl(const DiTOptions& options);
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& c);  // [B, N, D] -> [B, N, p*p*C']

  torch::nn::LayerNorm norm_final{nullptr};
  torch::nn::Linear linear{nullptr};
  torch::nn::Sequential adaLN_modulation{nullptr};  // SiLU, Linear(D, 2D)
};
TORCH_MODULE(FinalLayer);

/// \brief The DiT denoiser with the official parameter names.
///
/// Text conditioning: when `text_dim > 0` every block attends to text
/// embeddings [B, T, E]. The unconditional text for guidance and for text
/// dropout is all zeros (no learned null embedding), so a zero row is the
/// text counterpart of the null label.
class DiTImpl : public torch::nn::Module {
 public:
  explicit DiTImpl(const DiTOptions& options);

  /// x [B, C, H, W], t [B] (diffusion steps, any dtype), y [B] labels in
  /// [0, num_classes] -> [B, out_channels, H, W]. `text` [B, T, E] is needed
  /// when text_dim > 0 and ignored otherwise. In training mode labels and
  /// text rows are dropped with class_dropout_prob using the global
  /// generator, unless `force_drop` [B] (bool) decides which rows to drop.
  /// When `attention` is not null it receives one [B, heads, N, T] tensor
  /// per block (cross-attention weights; nothing without text).
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& y,
                        const torch::Tensor& text = {}, const torch::Tensor& force_drop = {},
                        std::vector<torch::Tensor>* attention = nullptr);

  /// Projects text [B, T, E] to the keys and values of every block, [B, T, 2D]
  /// each: the part of the forward pass that depends on the text alone, so a
  /// sampling loop computes it once instead of once per step. Returns an
  /// empty list for a DiT without text.
  std::vector<torch::Tensor> project_text(const torch::Tensor& text);

  /// Runs `forward` with the text given by `project_text` and drops no label
  /// or text row. The projected text may cover only the first rows of the
  /// batch. The other rows attend to zero text, as the unconditional half of a
  /// guided batch does.
  torch::Tensor forward_projected(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& y,
                                  const std::vector<torch::Tensor>& text_kv,
                                  std::vector<torch::Tensor>* attention = nullptr);

  /// DiT `forward_with_cfg`: the first half of the batch is duplicated, the
  /// second half's labels are expected to be null. The first `cfg_channels`
  /// output channels are guided (0 or >= C: all C eps channels; the reference
  /// DiT uses 3); the remaining channels keep each row's own output.
  torch::Tensor forward_with_cfg(const torch::Tensor& x, const torch::Tensor& t,
                                 const torch::Tensor& y, double cfg_scale,
                                 int64_t cfg_channels = 0, const torch::Tensor& text = {});

  /// The label meaning "no class" (num_classes).
  int64_t null_label() const { return options_.num_classes; }
  const DiTOptions& options() const { return options_; }

  /// Copies every parameter and buffer from `state` (keys as in the DiT
  /// checkpoints); throws evlf::Error naming missing keys or wrong shapes.
  /// Extra keys are rejected unless `allow_extra`.
  void load_state(const std::map<std::string, torch::Tensor>& state, bool allow_extra = false);
  /// Parameters and buffers under their checkpoint names.
  std::map<std::string, torch::Tensor> state() const;
  /// Restores the reference initialisation (DiT `initialize_weights`).
  void initialize_weights();

  PatchEmbed x_embedder{nullptr};
  torch::Tensor pos_embed;  // [1, N, D], a fixed buffer, not trained
  TimestepEmbedder t_embedder{nullptr};
  LabelEmbedder y_embedder{nullptr};
  torch::nn::ModuleList blocks{nullptr};
  FinalLayer final_layer{nullptr};

 private:
  torch::Tensor unpatchify(const torch::Tensor& x) const;  // [B, N, p*p*C'] -> [B, C', H, W]
  void check_inputs(const torch::Tensor& x, const torch::Tensor& t, const torch::Tensor& y) const;
  void check_text(const torch::Tensor& text, int64_t rows) const;
  /// Runs the blocks and the final layer. `text_kv` contains one tensor per block, or none without text.
  torch::Tensor run_blocks(const torch::Tensor& x, const torch::Tensor& c, const std::vector<torch::Tensor>& text_kv,
                           std::vector<torch::Tensor>* attention);

  DiTOptions options_;
};
TORCH_MODULE(DiT);

/// A new DiT with the same options and a copy of every parameter and buffer.
DiT clone_dit(const DiT& model);

}  // namespace evlf::models
