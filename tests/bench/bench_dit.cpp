// DiT denoiser throughput: forward passes per second for DiT-S/2 on 32x32
// latents and for a small Fashion-MNIST-sized DiT, and a full 50-step guided
// sampling loop. Run: build/tests/bench/evlf_bench --benchmark_filter=DiT
#include <benchmark/benchmark.h>

#include <torch/torch.h>

#include "core/diffusion/gaussian_diffusion.h"
#include "core/diffusion/sampler.h"
#include "core/models/dit.h"

namespace {

using evlf::models::DiT;
using evlf::models::DiTOptions;

DiTOptions dit_s2_options() {
  DiTOptions options = DiTOptions::S(2);
  options.input_size = 32;
  options.num_classes = 1000;
  return options;
}

/// Latent 4x8x8, width 256, depth 6, patch 2: the size of an embedded Fashion-MNIST denoiser.
DiTOptions small_options() {
  DiTOptions options;
  options.input_size = 8;
  options.patch_size = 2;
  options.in_channels = 4;
  options.hidden_size = 256;
  options.depth = 6;
  options.num_heads = 4;
  options.num_classes = 10;
  return options;
}

DiT perturbed(const DiTOptions& options) {
  torch::manual_seed(0);
  DiT model(options);
  torch::NoGradGuard no_grad;
  for (auto& parameter : model->parameters()) parameter.add_(0.02 * torch::randn_like(parameter));
  model->eval();
  return model;
}

void run_forward(benchmark::State& state, const DiTOptions& options) {
  const int64_t batch = state.range(0);
  DiT model = perturbed(options);
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({batch, options.in_channels, options.input_size, options.input_size});
  const auto t = torch::randint(1000, {batch}, torch::kLong);
  const auto y = torch::randint(options.num_classes, {batch}, torch::kLong);
  for (auto _ : state) benchmark::DoNotOptimize(model->forward(x, t, y));
  state.counters["forward/s"] = benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  state.counters["samples/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * batch), benchmark::Counter::kIsRate);
}

void BM_DiT_S2_Forward(benchmark::State& state) { run_forward(state, dit_s2_options()); }
void BM_DiT_Small_Forward(benchmark::State& state) { run_forward(state, small_options()); }

void run_sampling(benchmark::State& state, const DiTOptions& options) {
  const int64_t batch = state.range(0);
  DiT model = perturbed(options);
  evlf::diffusion::DiffusionOptions diffusion_options;
  diffusion_options.timestep_respacing = "50";
  const evlf::diffusion::GaussianDiffusion diffusion(diffusion_options);
  const auto labels = torch::arange(batch, torch::kLong).remainder(options.num_classes);
  evlf::diffusion::SamplerOptions sampler;
  sampler.mode_guidance.mode = torch::zeros({batch, options.in_channels, options.input_size, options.input_size});
  for (auto _ : state) {
    std::vector<evlf::diffusion::NoiseKey> keys;
    for (int64_t i = 0; i < batch; ++i) keys.push_back({0, labels[i].item<int64_t>(), i});
    evlf::diffusion::SeededNoise noise(keys, {options.in_channels, options.input_size, options.input_size});
    benchmark::DoNotOptimize(evlf::diffusion::sample_loop(
        diffusion, evlf::diffusion::make_dit_denoiser(model, labels), noise, sampler));
  }
  state.counters["samples/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * batch), benchmark::Counter::kIsRate);
}

void BM_DiT_Small_Sample50Guided(benchmark::State& state) { run_sampling(state, small_options()); }
void BM_DiT_S2_Sample50Guided(benchmark::State& state) { run_sampling(state, dit_s2_options()); }

}  // namespace

BENCHMARK(BM_DiT_S2_Forward)->Arg(1)->Arg(16)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DiT_Small_Forward)->Arg(1)->Arg(16)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DiT_Small_Sample50Guided)->Arg(1)->Arg(16)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DiT_S2_Sample50Guided)->Arg(1)->Unit(benchmark::kMillisecond);
