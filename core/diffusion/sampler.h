// Sampling loop: N reverse steps for a batch, with classifier-free guidance,
// mode guidance, per-sample reproducible noise, a per-step trace and
// cancellation.
//
// Symbols: B samples in the batch, C latent channels, H, W latent side,
// N respaced steps, R model rows (B, or 2B with guidance).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "core/diffusion/gaussian_diffusion.h"
#include "core/models/dit.h"
#include "core/runtime/progress.h"

namespace evlf::diffusion {

/// A conditioned denoiser for sampling. `x` [R, C, H, W] and model timesteps
/// `t` [R]; when R is twice the batch, rows B..2B-1 take the unconditional
/// input (null label, zero text). Returns the model output [R, C', H, W] and,
/// when `attention` is not null, appends one [R, heads, HW/p^2, T] map per block.
using DenoiserFn =
    std::function<torch::Tensor(const torch::Tensor& x, const torch::Tensor& t, std::vector<torch::Tensor>* attention)>;

/// Wraps a DiT conditioned on labels y [B] and, for a text DiT, text [B, T, E].
/// The unconditional rows use the null label and zero text. The text is
/// projected to keys and values on the first call, so one wrapper serves one
/// sampling loop, on one thread, of a model whose weights do not change.
DenoiserFn make_dit_denoiser(models::DiT model, torch::Tensor y, torch::Tensor text = {});

/// \brief Identity of one sample's noise stream.
struct NoiseKey {
  uint64_t seed = 0;
  int64_t class_index = 0;
  int64_t slot = 0;  // index of the sample within its class
};

/// Seed of the generator for one (seed, class, slot), mixed with SplitMix64.
uint64_t noise_stream_seed(const NoiseKey& key);

/// \brief Supplies x_T and the noise of every step.
class NoiseSource {
 public:
  virtual ~NoiseSource() = default;
  /// x_T for the whole batch [B, C, H, W], float32 on the CPU.
  virtual torch::Tensor initial() = 0;
  /// Noise of the k-th step in draw order (k = 0 is the highest step) [B, C, H, W].
  virtual torch::Tensor step(int64_t k) = 0;
};

/// \brief One CPU generator per sample, seeded by its NoiseKey, so a sample's
/// noise does not depend on the other samples in its batch or on the device.
class SeededNoise : public NoiseSource {
 public:
  /// `sample_shape` is [C, H, W].
  SeededNoise(std::vector<NoiseKey> keys, std::vector<int64_t> sample_shape);
  torch::Tensor initial() override;
  torch::Tensor step(int64_t k) override;

 private:
  torch::Tensor draw();

  std::vector<torch::Generator> generators_;
  std::vector<int64_t> sample_shape_;
};

/// \brief Noise given in advance, for parity tests against recorded runs.
class RecordedNoise : public NoiseSource {
 public:
  /// `initial` [B, C, H, W]; `steps` [N, B, C, H, W] in draw order.
  RecordedNoise(torch::Tensor initial, torch::Tensor steps);
  torch::Tensor initial() override { return initial_; }
  torch::Tensor step(int64_t k) override;

 private:
  torch::Tensor initial_, steps_;
};

enum class SamplerKind { DDPM, DDIM };

/// \brief Sampling settings; defaults are the MGD3 reference (with 50
/// respaced steps set on the diffusion).
struct SamplerOptions {
  SamplerKind kind = SamplerKind::DDPM;
  double eta = 0.0;            // DDIM stochasticity; ignored by DDPM
  double cfg_scale = 4.0;      // classifier-free guidance scale; 1 disables guidance
  int64_t cfg_channels = 0;    // guided output channels; 0 = all C, 3 = the reference DiT
  ModeGuidance mode_guidance;  // mode [B or 1, C, H, W]; undefined mode disables it
  bool trace_attention = false;  // collect attention maps for the callback

  std::string to_string() const;
};

/// \brief State passed to the step callback after each step.
struct StepInfo {
  int64_t index = 0;            // respaced index i, counting down from N-1 to 0
  int64_t num_steps = 0;        // N
  int64_t timestep = 0;         // diffusion step the model saw
  torch::Tensor x_t;            // sample after this step [B, C, H, W]
  torch::Tensor pred_xstart;    // guided x_0 prediction [B, C, H, W]
  torch::Tensor mode_shift_norm;  // L2 norm of the mode-guidance shift per sample [B]; zeros when inactive
  torch::Tensor cfg_delta_norm;   // L2 norm of cond - uncond eps per sample [B]; zeros without guidance
  std::vector<torch::Tensor> attention;  // per block [B, heads, HW/p^2, T] when traced
};

/// Returns false to stop the run; the sampler then raises evlf::CancelledError.
using StepCallback = std::function<bool(const StepInfo&)>;

/// Runs every step of `diffusion` from x_T to x_0 and returns x_0 [B, C, H, W]
/// on `device`. Raises evlf::CancelledError when `control` is cancelled
/// (checked before each step) or the callback returns false.
torch::Tensor sample_loop(const GaussianDiffusion& diffusion, const DenoiserFn& model, NoiseSource& noise,
                          const SamplerOptions& options, torch::Device device = torch::kCPU,
                          const StepCallback& callback = {}, const JobControl* control = nullptr);

}  // namespace evlf::diffusion
