// Denoiser training: DiT's training loop (AdamW, EMA, label dropout for
// guidance) with checkpoints that resume exactly, DiffFit-style fine-tuning
// and Minimax diffusion's representativeness and diversity terms.
//
// Symbols: N training latents, B batch, C latent channels, H, W latent side,
// K classes, T text tokens, E text width, M memory size.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/diffusion/gaussian_diffusion.h"
#include "core/models/dit.h"
#include "core/runtime/progress.h"

namespace evlf::distill {

/// \brief Which real memory member the representativeness term pulls towards.
enum class RepresentativeTarget {
  MostSimilar,   // 1 - max cosine similarity
  LeastSimilar,  // 1 - min cosine similarity, as the published Minimax script computes it
};

/// \brief Denoiser training settings; defaults follow DiT's `train.py`.
struct DenoiserTrainOptions {
  int64_t steps = 1000;           // optimizer steps in total (a resumed run continues to this count)
  int64_t batch_size = 32;        // latents per step, drawn with replacement
  double learning_rate = 1e-4;    // AdamW learning rate
  double weight_decay = 0.0;      // AdamW weight decay
  double ema_decay = 0.9999;      // EMA weight of the previous average per step
  bool fine_tune = false;         // train only biases, norms and label embeddings (DiffFit)
  diffusion::DiffusionOptions diffusion;  // the training process (1000 steps, no respacing)
  uint64_t seed = 0;              // every step's batch, timesteps, noise and dropout derive from it

  bool minimax = false;           // add the Minimax representativeness and diversity terms
  double lambda_pos = 0.002;      // weight of the representativeness term
  double lambda_neg = 0.008;      // weight of the diversity term
  int64_t memory_size = 64;       // M: members kept per class in each memory
  RepresentativeTarget representative_target = RepresentativeTarget::MostSimilar;

  std::filesystem::path checkpoint_path;  // safetensors file; empty disables checkpoints
  int64_t checkpoint_every = 0;           // steps between checkpoints; 0 = only at the end
  bool resume = true;                     // continue from checkpoint_path when it exists
  int64_t log_every = 10;                 // steps between progress reports with metrics

  /// One line for the run log.
  std::string to_string() const;
};

/// \brief Training data: latents with labels, and for a text DiT one text
/// embedding per class.
struct DenoiserTrainData {
  torch::Tensor latents;     // [N, C, H, W], already scaled
  torch::Tensor labels;      // [N] int64 in [0, K)
  torch::Tensor class_text;  // [K, T, E] for a DiT with text_dim > 0, else undefined
};

/// \brief Outcome of a training run.
struct DenoiserTrainResult {
  int64_t step = 0;                 // optimizer steps done, including resumed ones
  int64_t resumed_from = 0;         // step read from the checkpoint, 0 for a fresh run
  std::vector<double> losses;       // diffusion loss (batch mean) of each step run here
  std::vector<double> pos_terms;    // weighted representativeness term per step (0 without minimax)
  std::vector<double> neg_terms;    // weighted diversity term per step
};

/// Names of the parameters `fine_tune` trains: those containing "bias",
/// "norm", "gamma" or "y_embed" (DiffFit, as the Minimax fine-tuning marks them).
bool is_fine_tune_parameter(const std::string& name);

/// Returns the EMA decay used after optimizer step `step` (0-based): the
/// configured decay, capped early in training at (1 + step) / (10 + step).
/// The cap lets a short run's average move away from the initial weights,
/// which include DiT's zero-initialised output layer. A constant 0.999 keeps
/// 0.999^1200 = 30 % of them after 1,200 steps.
double ema_decay_at(double decay, int64_t step);

/// Trains `model` in place and keeps `ema` as its exponential moving
/// average. A fresh run copies the model into the EMA first. With a
/// checkpoint that exists and `resume`, model, EMA, AdamW moments, the
/// Minimax memories and the step are restored, and the run continues as an
/// uninterrupted one would. Reports progress and checks cancellation through
/// `control` every step; on cancellation it writes a checkpoint (when a path
/// is set) and raises evlf::CancelledError.
DenoiserTrainResult train_denoiser(models::DiT model, models::DiT ema, const DenoiserTrainData& data,
                                   const DenoiserTrainOptions& options, const JobControl& control = {});

}  // namespace evlf::distill
