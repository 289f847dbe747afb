// Sampling loop; follows ADM `p_sample_loop_progressive` and `ddim_sample`
// (DiT `diffusion/gaussian_diffusion.py`) with guidance applied per step.
#include "core/diffusion/sampler.h"

#include <sstream>

#include <ATen/CPUGeneratorImpl.h>

#include "core/runtime/error.h"

namespace evlf::diffusion {

namespace {

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

torch::Tensor per_sample_norm(const torch::Tensor& x) {
  return x.flatten(1).norm(2, 1);  // [B]
}

}  // namespace

DenoiserFn make_dit_denoiser(models::DiT model, torch::Tensor y, torch::Tensor text) {
  if (text.defined() && (text.dim() != 3 || text.size(0) != y.size(0))) {
    throw Error("text " + c10::str(text.sizes()) + " does not match the " + std::to_string(y.size(0)) +
                " labels; pass one [T, E] text row per label");
  }

  // The text keys and values are the same at every step, so they are projected on the first call. The
  // unconditional half of a guided batch needs no projection, because the DiT treats rows past the
  // projected text as rows with zero text.
  std::vector<torch::Tensor> text_kv;
  return [model, y, text, text_kv](const torch::Tensor& x, const torch::Tensor& t,
                                   std::vector<torch::Tensor>* attention) mutable {
    const int64_t B = y.size(0);
    const int64_t R = x.size(0);
    if (R != B && R != 2 * B) {
      throw Error("denoiser batch " + std::to_string(R) + " is neither the label count " + std::to_string(B) +
                  " nor twice it");
    }
    auto labels = y.to(x.device());
    if (R == 2 * B) labels = torch::cat({labels, torch::full_like(labels, model->null_label())});  // [2B]
    if (text_kv.empty() && text.defined()) text_kv = model->project_text(text.to(x.device()));
    return model->forward_projected(x, t, labels, text_kv, attention);
  };
}

uint64_t noise_stream_seed(const NoiseKey& key) {
  uint64_t state = splitmix64(key.seed);
  state = splitmix64(state ^ static_cast<uint64_t>(key.class_index));
  return splitmix64(state ^ static_cast<uint64_t>(key.slot));
}

SeededNoise::SeededNoise(std::vector<NoiseKey> keys, std::vector<int64_t> sample_shape)
    : sample_shape_(std::move(sample_shape)) {
  for (const NoiseKey& key : keys) generators_.push_back(at::detail::createCPUGenerator(noise_stream_seed(key)));
}

torch::Tensor SeededNoise::draw() {
  std::vector<torch::Tensor> rows;
  rows.reserve(generators_.size());
  for (auto& generator : generators_) {
    rows.push_back(torch::randn(sample_shape_, generator, torch::kFloat));
  }
  return torch::stack(rows);  // [B, C, H, W]
}

torch::Tensor SeededNoise::initial() { return draw(); }
torch::Tensor SeededNoise::step(int64_t) { return draw(); }

RecordedNoise::RecordedNoise(torch::Tensor initial, torch::Tensor steps)
    : initial_(std::move(initial)), steps_(std::move(steps)) {
  if (steps_.dim() != initial_.dim() + 1 || steps_.sizes().slice(1) != initial_.sizes()) {
    throw Error("recorded step noise " + c10::str(steps_.sizes()) + " does not match x_T " +
                c10::str(initial_.sizes()) + " with one leading step dimension");
  }
}

torch::Tensor RecordedNoise::step(int64_t k) {
  if (k < 0 || k >= steps_.size(0)) {
    throw Error("recorded noise has " + std::to_string(steps_.size(0)) + " steps, step " + std::to_string(k) +
                " requested");
  }
  return steps_[k];
}

std::string SamplerOptions::to_string() const {
  std::ostringstream out;
  out << "Sampler(" << (kind == SamplerKind::DDPM ? "ddpm" : "ddim") << ", eta " << eta << ", cfg_scale "
      << cfg_scale << ", cfg_channels " << cfg_channels << ", mode_guidance "
      << (mode_guidance.mode.defined() ? "on" : "off") << ", lambda " << mode_guidance.scale << ", stop_t "
      << mode_guidance.stop_t << ", trace_attention " << (trace_attention ? "true" : "false") << ")";
  return out.str();
}

torch::Tensor sample_loop(const GaussianDiffusion& diffusion, const DenoiserFn& model, NoiseSource& noise,
                          const SamplerOptions& options, torch::Device device, const StepCallback& callback,
                          const JobControl* control) {
  torch::NoGradGuard no_grad;
  auto x = noise.initial().to(device);  // [B, C, H, W]
  const int64_t B = x.size(0), C = x.size(1);
  const int64_t N = diffusion.num_timesteps();
  const bool guided = options.cfg_scale != 1.0;

  torch::Tensor mode;
  if (options.mode_guidance.mode.defined()) {
    mode = options.mode_guidance.mode.to(device);
    if (mode.dim() != x.dim() || (mode.size(0) != 1 && mode.size(0) != B) || mode.sizes().slice(1) != x.sizes().slice(1)) {
      throw Error("mode " + c10::str(mode.sizes()) + " does not match the batch " + c10::str(x.sizes()));
    }
  }

  for (int64_t k = 0; k < N; ++k) {
    if (control != nullptr) control->throw_if_cancelled();
    const int64_t i = N - 1 - k;
    const auto t = torch::full({B}, i, torch::TensorOptions().dtype(torch::kLong).device(device));  // [B]
    const auto model_t = diffusion.model_timesteps(t);

    // Model output, guided when the scale is not 1.
    std::vector<torch::Tensor> attention;
    auto* attention_out = options.trace_attention ? &attention : nullptr;
    torch::Tensor output, cfg_delta_norm = torch::zeros({B});
    if (guided) {
      const auto both = model(torch::cat({x, x}), torch::cat({model_t, model_t}), attention_out);  // [2B, C', H, W]
      const auto cond = both.narrow(0, 0, B), uncond = both.narrow(0, B, B);
      output = classifier_free_guidance(cond, uncond, options.cfg_scale, options.cfg_channels, C);
      cfg_delta_norm = per_sample_norm(cond.narrow(1, 0, C) - uncond.narrow(1, 0, C)).cpu();
      for (auto& map : attention) map = map.narrow(0, 0, B);  // conditional rows only
    } else {
      output = model(x, model_t, attention_out);
    }

    auto out = diffusion.p_mean_variance(output, x, t);
    // NOTE: DDIM builds x_{t-1} from pred_xstart and eps, not from the
    // posterior mean, so mode guidance changes only the reported norm there.
    torch::Tensor shift_norm = torch::zeros({B});
    if (options.mode_guidance.active(i)) {
      shift_norm = per_sample_norm(GaussianDiffusion::apply_mode_guidance(out, mode, options.mode_guidance.scale)).cpu();
    }

    const auto step_noise = noise.step(k).to(device);
    x = options.kind == SamplerKind::DDPM ? diffusion.ddpm_step(out, t, step_noise)
                                          : diffusion.ddim_step(out, x, t, options.eta, step_noise);

    if (control != nullptr) control->report({"sample", k + 1, N, {}, {}});
    if (callback) {
      StepInfo info;
      info.index = i;
      info.num_steps = N;
      info.timestep = model_t[0].item<int64_t>();
      info.x_t = x;
      info.pred_xstart = out.pred_xstart;
      info.mode_shift_norm = shift_norm;
      info.cfg_delta_norm = cfg_delta_norm;
      info.attention = std::move(attention);
      if (!callback(info)) throw CancelledError();
    }
  }
  return x;
}

}  // namespace evlf::diffusion
