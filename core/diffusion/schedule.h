// Beta schedules and timestep respacing of the DiT / ADM Gaussian diffusion
// (openai/guided-diffusion `gaussian_diffusion.py` and `respace.py`, as
// copied into facebookresearch/DiT `diffusion/`).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <torch/types.h>

namespace evlf::diffusion {

/// Betas of a named schedule over `steps` diffusion steps, float64 [steps].
/// "linear": 1e-4 to 0.02 scaled by 1000 / steps; "cosine": Nichol & Dhariwal
/// (2021) eq. 17 with s = 0.008 and betas capped at 0.999. Throws evlf::Error
/// for another name.
torch::Tensor named_beta_schedule(const std::string& name, int64_t steps);

/// The diffusion steps kept when respacing `num_timesteps` steps (ADM
/// `space_timesteps`), sorted ascending. `section_counts` is either
/// comma-separated counts ("10", "25,25"), each taking evenly spaced steps
/// from its equal share of the range, or "ddimN", a fixed stride giving
/// exactly N steps. An empty string keeps all steps. Throws evlf::Error when
/// a section requests more steps than it has or no stride fits "ddimN".
std::vector<int64_t> space_timesteps(int64_t num_timesteps, const std::string& section_counts);

}  // namespace evlf::diffusion
