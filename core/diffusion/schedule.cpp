// Beta schedules and respacing; ported from DiT `diffusion/gaussian_diffusion.py`
// (`get_named_beta_schedule`) and `diffusion/respace.py` (`space_timesteps`).
#include "core/diffusion/schedule.h"

#include <cmath>
#include <set>
#include <sstream>

#include "core/runtime/error.h"

namespace evlf::diffusion {

namespace {

constexpr double kLinearBetaStart = 1e-4;   // at 1000 steps
constexpr double kLinearBetaEnd = 0.02;     // at 1000 steps
constexpr double kCosineOffset = 0.008;     // s in Nichol & Dhariwal eq. 17
constexpr double kMaxCosineBeta = 0.999;    // cap that avoids a singular last step

double cosine_alpha_bar(double t) {
  const double angle = (t + kCosineOffset) / (1.0 + kCosineOffset) * M_PI / 2.0;
  return std::cos(angle) * std::cos(angle);
}

}  // namespace

torch::Tensor named_beta_schedule(const std::string& name, int64_t steps) {
  if (steps <= 0) throw Error("diffusion steps must be positive, got " + std::to_string(steps));
  if (name == "linear") {
    const double scale = 1000.0 / static_cast<double>(steps);
    return torch::linspace(scale * kLinearBetaStart, scale * kLinearBetaEnd, steps, torch::kDouble);  // [steps]
  }
  if (name == "cosine") {
    auto betas = torch::empty({steps}, torch::kDouble);
    auto accessor = betas.accessor<double, 1>();
    for (int64_t i = 0; i < steps; ++i) {
      const double t1 = static_cast<double>(i) / steps, t2 = static_cast<double>(i + 1) / steps;
      accessor[i] = std::min(1.0 - cosine_alpha_bar(t2) / cosine_alpha_bar(t1), kMaxCosineBeta);
    }
    return betas;
  }
  throw Error("unknown noise schedule '" + name + "'; expected 'linear' or 'cosine'");
}

std::vector<int64_t> space_timesteps(int64_t num_timesteps, const std::string& section_counts) {
  std::vector<int64_t> steps;
  if (section_counts.empty()) {
    for (int64_t i = 0; i < num_timesteps; ++i) steps.push_back(i);
    return steps;
  }

  if (section_counts.rfind("ddim", 0) == 0) {
    const int64_t desired = std::stoll(section_counts.substr(4));
    for (int64_t stride = 1; stride < num_timesteps; ++stride) {
      if ((num_timesteps + stride - 1) / stride == desired) {
        for (int64_t i = 0; i < num_timesteps; i += stride) steps.push_back(i);
        return steps;
      }
    }
    throw Error("cannot take exactly " + std::to_string(desired) + " steps with a fixed stride from " +
                std::to_string(num_timesteps) + " diffusion steps; choose another 'ddimN'");
  }

  std::vector<int64_t> counts;
  std::stringstream stream(section_counts);
  for (std::string item; std::getline(stream, item, ',');) {
    try {
      counts.push_back(std::stoll(item));
    } catch (const std::exception&) {
      throw Error("invalid timestep respacing '" + section_counts + "'; expected counts like \"50\" or \"25,25\"");
    }
  }

  const int64_t sections = static_cast<int64_t>(counts.size());
  const int64_t size_per = num_timesteps / sections;
  const int64_t extra = num_timesteps % sections;
  std::set<int64_t> kept;
  int64_t start = 0;
  for (int64_t i = 0; i < sections; ++i) {
    const int64_t size = size_per + (i < extra ? 1 : 0);
    if (size < counts[i]) {
      throw Error("cannot divide a section of " + std::to_string(size) + " steps into " + std::to_string(counts[i]));
    }
    const double stride = counts[i] <= 1 ? 1.0 : static_cast<double>(size - 1) / static_cast<double>(counts[i] - 1);
    double position = 0.0;
    for (int64_t k = 0; k < counts[i]; ++k) {
      // Python's round() sends ties to the even neighbour, as nearbyint does by default.
      kept.insert(start + static_cast<int64_t>(std::nearbyint(position)));
      position += stride;
    }
    start += size;
  }
  return {kept.begin(), kept.end()};
}

}  // namespace evlf::diffusion
