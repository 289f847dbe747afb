// Gaussian diffusion of DiT / ADM with respacing, learned-range variance,
// the MSE + variational-bound loss, DDPM and DDIM steps, classifier-free
// guidance and MGD3 mode guidance.
//
// Symbols: B batch, C latent channels, C' model output channels (2C with a
// learned variance), H, W latent side. Timestep arguments `t` are indices
// into this (possibly respaced) diffusion; the model receives `model_timesteps(t)`.
#pragma once

#include <cstdint>
#include <string>

#include <torch/types.h>

namespace evlf::diffusion {

/// \brief How the reverse-process variance is chosen (ADM `ModelVarType`).
enum class VarianceKind {
  LearnedRange,  // the model interpolates between beta_t and the posterior variance
  FixedLarge,    // beta_t, with the posterior variance at t = 1 for t = 0
  FixedSmall,    // the clipped posterior variance
};

/// \brief Diffusion settings; defaults are DiT's `create_diffusion`.
struct DiffusionOptions {
  std::string noise_schedule = "linear";  // "linear" or "cosine"
  int64_t diffusion_steps = 1000;          // steps of the training process
  std::string timestep_respacing;          // "" keeps all; "50", "25,25" or "ddim50"
  bool learn_sigma = true;                 // learned-range variance, output 2C channels
  bool sigma_small = false;                // fixed variance kind without learn_sigma
  bool mse_only = false;                   // drop the variational-bound term from the loss

  /// One line for the run log.
  std::string to_string() const;
};

/// \brief Output of p_mean_variance; every tensor is [B, C, H, W].
struct MeanVariance {
  torch::Tensor mean;          // posterior mean of x_{t-1}
  torch::Tensor variance;
  torch::Tensor log_variance;
  torch::Tensor pred_xstart;   // predicted x_0
  torch::Tensor eps;           // predicted noise
};

/// \brief Per-sample training loss terms, each [B].
struct TrainingLosses {
  torch::Tensor loss;  // mse + vb (mse alone without a learned variance or with mse_only)
  torch::Tensor mse;   // mean squared error of the eps prediction
  torch::Tensor vb;    // variational-bound term in bits per dimension; undefined when absent
};

/// \brief Mode guidance of MGD3: shifts the posterior mean towards a mode.
struct ModeGuidance {
  torch::Tensor mode;   // [B or 1, C, H, W]; undefined disables guidance
  double scale = 0.1;   // lambda
  int64_t stop_t = 25;  // guidance acts while the respaced index i > stop_t

  bool active(int64_t index) const { return mode.defined() && scale != 0.0 && index > stop_t; }
};

/// Classifier-free guidance of a model output: channels [0, k) become
/// uncond + scale * (cond - uncond), where k = cfg_channels, or C when
/// cfg_channels is 0 or >= C; the other channels keep the conditional output.
torch::Tensor classifier_free_guidance(const torch::Tensor& cond, const torch::Tensor& uncond, double scale,
                                       int64_t cfg_channels, int64_t latent_channels);  // [B, C', H, W]

/// \brief The diffusion process and its tables (ADM `GaussianDiffusion`
/// together with `SpacedDiffusion`).
///
/// Tables are float64 as in the reference; each lookup casts to float32
/// before it meets a tensor, as ADM's `_extract_into_tensor` does.
class GaussianDiffusion {
 public:
  explicit GaussianDiffusion(const DiffusionOptions& options = DiffusionOptions());

  const DiffusionOptions& options() const { return options_; }
  int64_t num_timesteps() const { return betas.size(0); }
  VarianceKind variance_kind() const { return variance_kind_; }

  /// Diffusion step of the training process for each respaced index, [N] int64.
  const torch::Tensor& timestep_map() const { return timestep_map_; }
  /// Maps respaced indices t [B] to the steps the model was trained on.
  torch::Tensor model_timesteps(const torch::Tensor& t) const;  // [B]

  /// Samples x_t ~ q(x_t | x_0) with the given noise.
  torch::Tensor q_sample(const torch::Tensor& x_start, const torch::Tensor& t, const torch::Tensor& noise) const;
  /// q(x_{t-1} | x_t, x_0): mean, variance and clipped log-variance (pred_xstart, eps undefined).
  MeanVariance q_posterior(const torch::Tensor& x_start, const torch::Tensor& x_t, const torch::Tensor& t) const;
  /// p(x_{t-1} | x_t) from a model output [B, C', H, W] at x_t [B, C, H, W]; no clipping.
  MeanVariance p_mean_variance(const torch::Tensor& model_output, const torch::Tensor& x_t,
                               const torch::Tensor& t) const;

  /// ADM `training_losses` for eps prediction. The vb term uses the eps
  /// prediction detached, so it trains only the variance channels.
  TrainingLosses training_losses(const torch::Tensor& model_output, const torch::Tensor& x_start,
                                 const torch::Tensor& x_t, const torch::Tensor& t, const torch::Tensor& noise) const;

  /// Adds -lambda * sigma_t * (pred_xstart - mode) to out.mean, with
  /// sigma_t = exp(0.5 * log_variance); returns the added shift [B, C, H, W].
  static torch::Tensor apply_mode_guidance(MeanVariance& out, const torch::Tensor& mode, double scale);

  /// Ancestral step: mean + exp(0.5 * log_variance) * noise, without noise where t == 0.
  torch::Tensor ddpm_step(const MeanVariance& out, const torch::Tensor& t, const torch::Tensor& noise) const;
  /// DDIM step (Song et al. 2021, eq. 12) with stochasticity eta; `noise`
  /// may be undefined when eta is 0.
  torch::Tensor ddim_step(const MeanVariance& out, const torch::Tensor& x_t, const torch::Tensor& t, double eta,
                          const torch::Tensor& noise) const;

  // Tables, float64 [N].
  torch::Tensor betas, alphas_cumprod, alphas_cumprod_prev;
  torch::Tensor sqrt_alphas_cumprod, sqrt_one_minus_alphas_cumprod;
  torch::Tensor sqrt_recip_alphas_cumprod, sqrt_recipm1_alphas_cumprod;
  torch::Tensor posterior_variance, posterior_log_variance_clipped;
  torch::Tensor posterior_mean_coef1, posterior_mean_coef2;

 private:
  /// table[t] as float32, shaped [B, 1, 1, 1] on `like`'s device.
  torch::Tensor extract(const torch::Tensor& table, const torch::Tensor& t, const torch::Tensor& like) const;

  DiffusionOptions options_;
  VarianceKind variance_kind_;
  torch::Tensor timestep_map_;
};

}  // namespace evlf::diffusion
