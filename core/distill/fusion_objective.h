// Training objective of the EVLF fusion module: a latent projector, the
// symmetric multi-positive InfoNCE between projected latents and pooled text
// vectors, the MSE that keeps the fused latent near the input, the λ2 ramp,
// condition augmentation and text pooling.
//
// Symbols: B batch, C latent channels, h = w latent side, T text tokens,
// D text width, M projector mid channels, P pooled grid side.
#pragma once

#include <string>

#include <torch/torch.h>

namespace evlf::distill {

/// \brief Sizes of the latent projector; defaults are the published model.
struct LatentProjectorOptions {
  int64_t latent_channels = 4;  // C
  int64_t mid_channels = 64;    // M, channels after the strided convolution
  int64_t pool_size = 4;        // P, side of the adaptive average pool output
  int64_t text_dim = 768;       // D, width of the pooled text vector it is matched to

  std::string to_string() const;
};

/// \brief Maps a latent to the text width for the contrastive loss:
/// conv 4x4 stride 4 -> adaptive average pool to P x P -> linear -> LayerNorm.
class LatentProjectorImpl : public torch::nn::Module {
 public:
  explicit LatentProjectorImpl(const LatentProjectorOptions& options = {});

  /// z [B, C, h, w] -> [B, D]; h and w must be at least 4.
  torch::Tensor forward(const torch::Tensor& z);

  const LatentProjectorOptions& options() const { return options_; }

 private:
  LatentProjectorOptions options_;

 public:
  torch::nn::Conv2d conv_down{nullptr};
  torch::nn::Sequential fc{nullptr};  // fc.0 Linear(M·P·P, D), fc.1 LayerNorm(D)
};
TORCH_MODULE(LatentProjector);

/// \brief Loss weights and the contrastive temperature.
struct FusionObjectiveOptions {
  double lambda1 = 0.1;         // weight of the InfoNCE term
  double lambda2_start = 0.05;  // MSE weight at batch 0
  double lambda2_end = 1.0;     // MSE weight from ramp_steps on
  double temperature = 0.07;    // logits are cosine similarity / temperature
  bool learn_logit_scale = false;  // the reference declares the scale learnable but never optimises it

  std::string to_string() const;
};

/// λ2 at batch index `step` (counted per batch, before gradient accumulation):
/// start + (end − start) · step / ramp_steps while step < ramp_steps, then end.
double lambda2_at(int64_t step, int64_t ramp_steps, const FusionObjectiveOptions& options = {});

/// Symmetric multi-positive InfoNCE (mean of image->text and text->image).
/// Every pair with equal labels is a positive, self included; each row
/// contributes −(logsumexp over positives of log p − log #positives).
/// image_features, text_features [B, D], labels [B] -> scalar. Features are
/// L2-normalised here; logits = exp(log_logit_scale) · cosine similarity.
torch::Tensor multi_positive_info_nce(const torch::Tensor& image_features, const torch::Tensor& text_features,
                                      const torch::Tensor& labels, const torch::Tensor& log_logit_scale);

/// \brief The loss terms of one batch.
struct FusionLossTerms {
  torch::Tensor total;    // λ1 · infonce + λ2 · l2, scalar
  torch::Tensor infonce;  // scalar
  torch::Tensor l2;       // MSE(z_fused, z_img), scalar
  double lambda2 = 0.0;
};

/// Loss = λ1 · InfoNCE(projected, text_vec) + λ2 · MSE(z_fused, z_img).
FusionLossTerms fusion_loss(const torch::Tensor& z_fused, const torch::Tensor& z_img, const torch::Tensor& projected,
                            const torch::Tensor& text_vec, const torch::Tensor& labels,
                            const torch::Tensor& log_logit_scale, double lambda1, double lambda2);

/// \brief Condition augmentation applied to the text embeddings in training.
struct ConditionAugmentOptions {
  double drop_all_probability = 0.2;  // chance per batch that every text embedding becomes zeros
  double element_dropout = 0.1;       // inverted dropout on single elements otherwise
  double noise_std = 0.01;            // Gaussian noise added after the dropout
};

/// Returns augmented text embeddings [B, T, D]; the random draws come from `generator`.
torch::Tensor augment_condition(const torch::Tensor& text_embeds, const ConditionAugmentOptions& options,
                                at::Generator& generator);

/// Choice of the hidden state that represents the whole prompt.
enum class TextPooling {
  FirstEot,  // first position holding the end-of-text id (CLIP's pooled output)
  LastEot,   // last position holding it; the reference's choice
};

TextPooling parse_text_pooling(const std::string& name);
std::string text_pooling_name(TextPooling pooling);

/// Returns the pooled token position per row [B] for token_ids [B, T]: the
/// first or last position holding `eos_id`. A row without it falls back to
/// the last position `attention_mask` covers, or to T − 1 without a mask.
torch::Tensor eot_positions(const torch::Tensor& token_ids, const torch::Tensor& attention_mask, int64_t eos_id,
                            TextPooling pooling);

/// text_embeds [B, T, D] at `positions` [B] -> [B, D].
torch::Tensor gather_text_vector(const torch::Tensor& text_embeds, const torch::Tensor& positions);

}  // namespace evlf::distill
