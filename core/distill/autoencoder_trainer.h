// Training of a small AutoencoderKL on an image set: MSE reconstruction
// plus a weighted KL term towards N(0, I), as latent-diffusion autoencoders
// use (without the perceptual and adversarial terms, which need networks
// this project does not ship).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <torch/torch.h>

#include "core/models/autoencoder_kl.h"
#include "core/runtime/progress.h"

namespace evlf::distill {

/// \brief Settings of train_autoencoder.
struct AutoencoderTrainOptions {
  int64_t steps = 3000;            // optimizer steps in total; a resumed run continues to this count
  int64_t batch_size = 64;         // images per step
  double learning_rate = 1e-3;     // AdamW learning rate, cosine-decayed to 10 % over the run
  double weight_decay = 0.0;       // AdamW decoupled weight decay
  double kl_weight = 1e-6;         // weight of the KL term per latent element
  int64_t image_size = 32;         // square side the images are padded to
  uint64_t seed = 0;               // batch order and posterior noise derive from it
  std::filesystem::path checkpoint_path;  // empty: no checkpoints
  int64_t checkpoint_every = 500;  // steps between checkpoints
  bool resume = true;              // continue from checkpoint_path when it exists
  int64_t log_every = 10;          // steps between progress reports with metrics

  std::string to_string() const;
};

struct AutoencoderTrainResult {
  int64_t step = 0;
  int64_t resumed_from = 0;
  double final_loss = 0.0;
};

/// Trains `model` in place on uint8 images [N, C, H, W]. Reports metrics
/// loss, mse, kl and lr through `job` (stage "train autoencoder"). On
/// cancellation writes a checkpoint (when a path is set) and raises
/// evlf::CancelledError.
AutoencoderTrainResult train_autoencoder(models::AutoencoderKL& model, const torch::Tensor& images,
                                         const AutoencoderTrainOptions& options, const JobControl& job = {});

/// Mean reconstruction PSNR in dB over uint8 images [N, C, H, W] at their
/// native size (the padding is cropped): encode to the posterior mean,
/// decode, compare in [0, 1].
double reconstruction_psnr(models::AutoencoderKL& model, const torch::Tensor& images, int64_t image_size,
                           const JobControl& job = {});

/// Standard deviation of the unscaled latent means of `images`; 1 / std is
/// the scaling factor that gives unit-variance diffusion inputs.
double latent_std(models::AutoencoderKL& model, const torch::Tensor& images, int64_t image_size);

}  // namespace evlf::distill
