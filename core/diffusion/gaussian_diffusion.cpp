// Gaussian diffusion; ported from DiT `diffusion/gaussian_diffusion.py`,
// `diffusion/respace.py` and `diffusion/diffusion_utils.py`, with MGD3's
// mode guidance added to the posterior mean.
#include "core/diffusion/gaussian_diffusion.h"

#include <cmath>
#include <sstream>

#include "core/diffusion/schedule.h"
#include "core/runtime/error.h"

namespace evlf::diffusion {

namespace {

constexpr double kPixelBin = 1.0 / 255.0;  // half-width of one 8-bit bin in [-1, 1]
constexpr double kLogFloor = 1e-12;        // clamp before log in the decoder likelihood

/// Mean over every dimension but the first (ADM `mean_flat`).
torch::Tensor mean_flat(const torch::Tensor& x) {
  return x.flatten(1).mean(1);  // [B]
}

/// KL(N(mean1, exp(logvar1)) || N(mean2, exp(logvar2))) element-wise (ADM `normal_kl`).
torch::Tensor normal_kl(const torch::Tensor& mean1, const torch::Tensor& logvar1, const torch::Tensor& mean2,
                        const torch::Tensor& logvar2) {
  return 0.5 * (-1.0 + logvar2 - logvar1 + torch::exp(logvar1 - logvar2) +
                (mean1 - mean2).pow(2) * torch::exp(-logvar2));
}

/// Tanh approximation of the standard normal CDF (ADM `approx_standard_normal_cdf`).
torch::Tensor approx_standard_normal_cdf(const torch::Tensor& x) {
  return 0.5 * (1.0 + torch::tanh(std::sqrt(2.0 / M_PI) * (x + 0.044715 * x.pow(3))));
}

/// Log-likelihood of x under a Gaussian discretised into 255 bins on [-1, 1]
/// (ADM `discretized_gaussian_log_likelihood`).
torch::Tensor discretized_gaussian_log_likelihood(const torch::Tensor& x, const torch::Tensor& means,
                                                  const torch::Tensor& log_scales) {
  const auto centered = x - means;
  const auto inv_stdv = torch::exp(-log_scales);
  const auto cdf_plus = approx_standard_normal_cdf(inv_stdv * (centered + kPixelBin));
  const auto cdf_min = approx_standard_normal_cdf(inv_stdv * (centered - kPixelBin));
  const auto log_cdf_plus = torch::log(cdf_plus.clamp_min(kLogFloor));
  const auto log_one_minus_cdf_min = torch::log((1.0 - cdf_min).clamp_min(kLogFloor));
  const auto log_cdf_delta = torch::log((cdf_plus - cdf_min).clamp_min(kLogFloor));
  return torch::where(x < -0.999, log_cdf_plus, torch::where(x > 0.999, log_one_minus_cdf_min, log_cdf_delta));
}

/// [first, values[:-1]...] or [values[1:]..., last] style shifts of a 1-D table.
torch::Tensor prepend(double first, const torch::Tensor& values) {
  return torch::cat({torch::full({1}, first, values.options()), values.narrow(0, 0, values.size(0) - 1)});
}

void check_same_shape(const torch::Tensor& a, const char* a_name, const torch::Tensor& b, const char* b_name) {
  if (a.sizes() != b.sizes()) {
    throw Error(std::string(a_name) + " has shape " + c10::str(a.sizes()) + " but " + b_name + " has shape " +
                c10::str(b.sizes()));
  }
}

}  // namespace

std::string DiffusionOptions::to_string() const {
  std::ostringstream out;
  out << "GaussianDiffusion(noise_schedule " << noise_schedule << ", diffusion_steps " << diffusion_steps
      << ", timestep_respacing \"" << timestep_respacing << "\", learn_sigma " << (learn_sigma ? "true" : "false")
      << ", sigma_small " << (sigma_small ? "true" : "false") << ", mse_only " << (mse_only ? "true" : "false")
      << ")";
  return out.str();
}

torch::Tensor classifier_free_guidance(const torch::Tensor& cond, const torch::Tensor& uncond, double scale,
                                       int64_t cfg_channels, int64_t latent_channels) {
  check_same_shape(cond, "conditional output", uncond, "unconditional output");
  const int64_t guided = (cfg_channels <= 0 || cfg_channels >= latent_channels) ? latent_channels : cfg_channels;
  const auto cond_eps = cond.narrow(1, 0, guided), uncond_eps = uncond.narrow(1, 0, guided);
  const auto guided_eps = uncond_eps + scale * (cond_eps - uncond_eps);  // [B, k, H, W]
  return torch::cat({guided_eps, cond.narrow(1, guided, cond.size(1) - guided)}, 1);  // [B, C', H, W]
}

GaussianDiffusion::GaussianDiffusion(const DiffusionOptions& options) : options_(options) {
  variance_kind_ = options.learn_sigma   ? VarianceKind::LearnedRange
                   : options.sigma_small ? VarianceKind::FixedSmall
                                         : VarianceKind::FixedLarge;

  // Respacing keeps the chosen steps' alphas_cumprod and derives new betas
  // from their ratios (ADM `SpacedDiffusion`).
  const auto base_betas = named_beta_schedule(options.noise_schedule, options.diffusion_steps);  // [T]
  const auto base_alphas_cumprod = torch::cumprod(1.0 - base_betas, 0);
  const auto use = space_timesteps(options.diffusion_steps, options.timestep_respacing);
  std::vector<double> new_betas;
  double last_alpha_cumprod = 1.0;
  const auto base = base_alphas_cumprod.accessor<double, 1>();
  for (int64_t step : use) {
    new_betas.push_back(1.0 - base[step] / last_alpha_cumprod);
    last_alpha_cumprod = base[step];
  }
  timestep_map_ = torch::tensor(use, torch::kLong);  // [N]
  betas = torch::tensor(new_betas, torch::kDouble);  // [N]
  if (options.timestep_respacing.empty()) betas = base_betas;

  // Tables of ADM `GaussianDiffusion.__init__`.
  const auto alphas = 1.0 - betas;
  alphas_cumprod = torch::cumprod(alphas, 0);
  alphas_cumprod_prev = prepend(1.0, alphas_cumprod);
  sqrt_alphas_cumprod = torch::sqrt(alphas_cumprod);
  sqrt_one_minus_alphas_cumprod = torch::sqrt(1.0 - alphas_cumprod);
  sqrt_recip_alphas_cumprod = torch::sqrt(1.0 / alphas_cumprod);
  sqrt_recipm1_alphas_cumprod = torch::sqrt(1.0 / alphas_cumprod - 1.0);
  posterior_variance = betas * (1.0 - alphas_cumprod_prev) / (1.0 - alphas_cumprod);
  // The posterior variance is 0 at t = 0, so the log uses its value at t = 1 there.
  const int64_t n = betas.size(0);
  posterior_log_variance_clipped =
      n > 1 ? torch::log(torch::cat({posterior_variance.narrow(0, 1, 1), posterior_variance.narrow(0, 1, n - 1)}))
            : torch::empty({0}, torch::kDouble);
  posterior_mean_coef1 = betas * torch::sqrt(alphas_cumprod_prev) / (1.0 - alphas_cumprod);
  posterior_mean_coef2 = (1.0 - alphas_cumprod_prev) * torch::sqrt(alphas) / (1.0 - alphas_cumprod);
}

torch::Tensor GaussianDiffusion::extract(const torch::Tensor& table, const torch::Tensor& t,
                                         const torch::Tensor& like) const {
  const auto values = table.index_select(0, t.to(torch::kCPU, torch::kLong)).to(torch::kFloat);  // [B]
  std::vector<int64_t> shape(like.dim(), 1);
  shape[0] = values.size(0);
  return values.view(shape).to(like.device());  // [B, 1, 1, 1]
}

torch::Tensor GaussianDiffusion::model_timesteps(const torch::Tensor& t) const {
  return timestep_map_.index_select(0, t.to(torch::kCPU, torch::kLong)).to(t.device());  // [B]
}

torch::Tensor GaussianDiffusion::q_sample(const torch::Tensor& x_start, const torch::Tensor& t,
                                          const torch::Tensor& noise) const {
  check_same_shape(x_start, "x_start", noise, "noise");
  return extract(sqrt_alphas_cumprod, t, x_start) * x_start + extract(sqrt_one_minus_alphas_cumprod, t, x_start) * noise;
}

MeanVariance GaussianDiffusion::q_posterior(const torch::Tensor& x_start, const torch::Tensor& x_t,
                                            const torch::Tensor& t) const {
  check_same_shape(x_start, "x_start", x_t, "x_t");
  MeanVariance out;
  out.mean = extract(posterior_mean_coef1, t, x_t) * x_start + extract(posterior_mean_coef2, t, x_t) * x_t;
  out.variance = extract(posterior_variance, t, x_t);
  out.log_variance = extract(posterior_log_variance_clipped, t, x_t);
  return out;
}

MeanVariance GaussianDiffusion::p_mean_variance(const torch::Tensor& model_output, const torch::Tensor& x_t,
                                                const torch::Tensor& t) const {
  const int64_t C = x_t.size(1);
  const int64_t expected_channels = variance_kind_ == VarianceKind::LearnedRange ? 2 * C : C;
  if (model_output.dim() != x_t.dim() || model_output.size(0) != x_t.size(0) || model_output.size(1) != expected_channels) {
    throw Error("model output has shape " + c10::str(model_output.sizes()) + " for x_t " + c10::str(x_t.sizes()) +
                "; expected " + std::to_string(expected_channels) + " channels");
  }
  if (t.dim() != 1 || t.size(0) != x_t.size(0)) {
    throw Error("timesteps have shape " + c10::str(t.sizes()) + ", expected [" + std::to_string(x_t.size(0)) + "]");
  }

  MeanVariance out;
  out.eps = model_output.narrow(1, 0, C);
  if (variance_kind_ == VarianceKind::LearnedRange) {
    const auto var_values = model_output.narrow(1, C, C);             // [B, C, H, W] in [-1, 1]
    const auto min_log = extract(posterior_log_variance_clipped, t, x_t);
    const auto max_log = extract(torch::log(betas), t, x_t);
    const auto frac = (var_values + 1) / 2;
    out.log_variance = frac * max_log + (1 - frac) * min_log;
    out.variance = torch::exp(out.log_variance);
  } else {
    torch::Tensor variance = posterior_variance, log_variance = posterior_log_variance_clipped;
    if (variance_kind_ == VarianceKind::FixedLarge) {
      const int64_t n = betas.size(0);
      variance = torch::cat({posterior_variance.narrow(0, 1, 1), betas.narrow(0, 1, n - 1)});
      log_variance = torch::log(variance);
    }
    out.variance = extract(variance, t, x_t).expand_as(x_t);
    out.log_variance = extract(log_variance, t, x_t).expand_as(x_t);
  }
  out.pred_xstart = extract(sqrt_recip_alphas_cumprod, t, x_t) * x_t - extract(sqrt_recipm1_alphas_cumprod, t, x_t) * out.eps;
  out.mean = q_posterior(out.pred_xstart, x_t, t).mean;
  return out;
}

TrainingLosses GaussianDiffusion::training_losses(const torch::Tensor& model_output, const torch::Tensor& x_start,
                                                  const torch::Tensor& x_t, const torch::Tensor& t,
                                                  const torch::Tensor& noise) const {
  check_same_shape(x_start, "x_start", noise, "noise");
  TrainingLosses terms;
  const int64_t C = x_t.size(1);
  const auto eps = model_output.narrow(1, 0, C);
  terms.mse = mean_flat((noise - eps).pow(2));  // [B]

  if (variance_kind_ == VarianceKind::LearnedRange && !options_.mse_only) {
    // The bound trains the variance only: the eps prediction is frozen.
    const auto frozen = torch::cat({eps.detach(), model_output.narrow(1, C, C)}, 1);  // [B, 2C, H, W]
    const auto truth = q_posterior(x_start, x_t, t);
    const auto out = p_mean_variance(frozen, x_t, t);
    const auto kl = mean_flat(normal_kl(truth.mean, truth.log_variance, out.mean, out.log_variance)) / std::log(2.0);
    const auto decoder_nll =
        mean_flat(-discretized_gaussian_log_likelihood(x_start, out.mean, 0.5 * out.log_variance)) / std::log(2.0);
    terms.vb = torch::where(t.to(kl.device()) == 0, decoder_nll, kl);  // [B]
    terms.loss = terms.mse + terms.vb;
  } else {
    terms.loss = terms.mse;
  }
  return terms;
}

torch::Tensor GaussianDiffusion::apply_mode_guidance(MeanVariance& out, const torch::Tensor& mode, double scale) {
  const auto sigma = torch::exp(0.5 * out.log_variance);                // [B, C, H, W]
  const auto shift = -scale * sigma * (out.pred_xstart - mode);         // [B, C, H, W]
  out.mean = out.mean + shift;
  return shift;
}

torch::Tensor GaussianDiffusion::ddpm_step(const MeanVariance& out, const torch::Tensor& t,
                                           const torch::Tensor& noise) const {
  check_same_shape(out.mean, "posterior mean", noise, "noise");
  std::vector<int64_t> shape(noise.dim(), 1);
  shape[0] = noise.size(0);
  const auto nonzero = (t != 0).to(noise.scalar_type()).view(shape).to(noise.device());  // [B, 1, 1, 1]
  return out.mean + nonzero * torch::exp(0.5 * out.log_variance) * noise;
}

torch::Tensor GaussianDiffusion::ddim_step(const MeanVariance& out, const torch::Tensor& x_t, const torch::Tensor& t,
                                           double eta, const torch::Tensor& noise) const {
  // ADM `ddim_sample`: eps is recomputed from pred_xstart.
  const auto eps = (extract(sqrt_recip_alphas_cumprod, t, x_t) * x_t - out.pred_xstart) /
                   extract(sqrt_recipm1_alphas_cumprod, t, x_t);
  const auto alpha_bar = extract(alphas_cumprod, t, x_t);
  const auto alpha_bar_prev = extract(alphas_cumprod_prev, t, x_t);
  const auto sigma =
      eta * torch::sqrt((1 - alpha_bar_prev) / (1 - alpha_bar)) * torch::sqrt(1 - alpha_bar / alpha_bar_prev);
  const auto mean_pred = out.pred_xstart * torch::sqrt(alpha_bar_prev) + torch::sqrt(1 - alpha_bar_prev - sigma.pow(2)) * eps;
  if (eta == 0.0) return mean_pred;
  if (!noise.defined()) throw Error("DDIM with eta " + std::to_string(eta) + " needs a noise tensor");
  std::vector<int64_t> shape(noise.dim(), 1);
  shape[0] = noise.size(0);
  const auto nonzero = (t != 0).to(noise.scalar_type()).view(shape).to(noise.device());
  return mean_pred + nonzero * sigma * noise;
}

}  // namespace evlf::diffusion
