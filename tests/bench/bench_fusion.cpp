// Fusion module throughput at the published size: latent 4x32x32, width 256,
// 2 layers, 4 heads, text 77x768. Training step = forward, projector, loss,
// backward at batch 16; inference = forward alone at batch 1.
#include <benchmark/benchmark.h>

#include <cmath>

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include "core/distill/fusion_objective.h"
#include "core/models/fusion_module.h"

namespace {

constexpr int64_t kClipTokens = 77;
constexpr int64_t kTrainBatch = 16;

void BM_FusionTrainStep(benchmark::State& state) {
  torch::manual_seed(0);
  const auto options = evlf::models::FusionModuleOptions::reference();
  evlf::models::FusionModule fusion(options);
  evlf::distill::LatentProjectorOptions projector_options;
  projector_options.text_dim = options.text_dim;
  evlf::distill::LatentProjector projector(projector_options);
  fusion->train();

  const torch::Tensor z_img = torch::randn({kTrainBatch, options.latent_channels, options.latent_size, options.latent_size});
  const torch::Tensor text = torch::randn({kTrainBatch, kClipTokens, options.text_dim});
  const torch::Tensor text_vec = text.select(1, kClipTokens - 1);
  const torch::Tensor labels = torch::arange(kTrainBatch, torch::kLong) % 4;
  const torch::Tensor log_scale = torch::full({}, std::log(1.0 / 0.07));
  auto generator = at::make_generator<at::CPUGeneratorImpl>(0);

  for (auto _ : state) {
    fusion->zero_grad();
    projector->zero_grad();
    const auto fused = fusion->forward(z_img, text, false, generator).fused;
    const auto terms = evlf::distill::fusion_loss(fused, z_img, projector(fused), text_vec, labels, log_scale,
                                                  /*lambda1=*/0.1, /*lambda2=*/1.0);
    terms.total.backward();
    benchmark::DoNotOptimize(terms.total.item<float>());
  }
  state.counters["samples/s"] = benchmark::Counter(static_cast<double>(state.iterations() * kTrainBatch),
                                                   benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FusionTrainStep)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_FusionForwardBatch1(benchmark::State& state) {
  torch::manual_seed(0);
  const auto options = evlf::models::FusionModuleOptions::reference();
  evlf::models::FusionModule fusion(options);
  fusion->eval();
  torch::NoGradGuard no_grad;
  const torch::Tensor z_img = torch::randn({1, options.latent_channels, options.latent_size, options.latent_size});
  const torch::Tensor text = torch::randn({1, kClipTokens, options.text_dim});
  for (auto _ : state) {
    benchmark::DoNotOptimize(fusion->forward(z_img, text).fused.sum().item<float>());
  }
}
BENCHMARK(BM_FusionForwardBatch1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
