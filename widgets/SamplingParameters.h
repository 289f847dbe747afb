#pragma once

#include <cstdint>
#include <string>

/// \brief Sampler choice for the reverse diffusion loop.
enum class Sampler { Ddpm, Ddim };

/// \brief The sampling settings a researcher edits in the parameter panel.
///
/// Plain data, so the GUI can copy it into a worker request. Defaults are the
/// published EVLF settings (50 DDPM steps, CFG 4.0, lambda 0.1, stop 25).
struct SamplingParameters {
  double fusion_weight = 1.0;   ///< alpha in z_img + alpha * (z_fused - z_img); 1 = EVLF as published.
  double cfg_scale = 4.0;       ///< Classifier-free guidance scale; 1 disables guidance.
  double mode_guidance = 0.1;   ///< Mode-guidance strength lambda; 0 disables it.
  int stop_t = 25;              ///< Mode guidance runs while the step index is above this value.
  int steps = 50;               ///< Number of respaced sampling steps.
  Sampler sampler = Sampler::Ddpm;
  std::int64_t seed = 0;        ///< Base seed; each (class, slot) derives its own noise from it.
  int ipc = 10;                 ///< Images per class.

  /// Returns the settings of the published EVLF runs.
  static SamplingParameters published() { return SamplingParameters{}; }

  /// Formats every field on one line for the run log.
  std::string to_string() const;

  bool operator==(const SamplingParameters& other) const;
  bool operator!=(const SamplingParameters& other) const { return !(*this == other); }
};
