// Throughput of the autoencoder and the CLIP text encoder with random
// weights: images per second for encode and decode, prompts per second.
#include <benchmark/benchmark.h>

#include <torch/torch.h>

#include "core/models/autoencoder_kl.h"
#include "core/models/clip_text_encoder.h"

using evlf::models::AutoencoderKL;
using evlf::models::AutoencoderKLOptions;
using evlf::models::ClipTextEncoder;
using evlf::models::ClipTextOptions;

namespace {

AutoencoderKLOptions autoencoder_config(int64_t image_side) {
  AutoencoderKLOptions options =
      image_side <= 32 ? AutoencoderKLOptions::small(/*channels=*/1) : AutoencoderKLOptions::sd_vae();
  options.sample_size = image_side;
  return options;
}

/// Arguments: image side, batch. 32 uses the small config, larger sides the SD VAE.
void BM_AutoencoderEncode(benchmark::State& state) {
  const int64_t side = state.range(0), batch = state.range(1);
  torch::NoGradGuard no_grad;
  AutoencoderKL model(autoencoder_config(side));
  model->eval();
  const torch::Tensor x = torch::rand({batch, model->options().in_channels, side, side}) * 2 - 1;
  for (auto _ : state) benchmark::DoNotOptimize(model->encode_latents(x));
  state.SetItemsProcessed(state.iterations() * batch);
}

void BM_AutoencoderDecode(benchmark::State& state) {
  const int64_t side = state.range(0), batch = state.range(1);
  torch::NoGradGuard no_grad;
  AutoencoderKL model(autoencoder_config(side));
  model->eval();
  const int64_t latent_side = evlf::models::autoencoder_latent_side(model->options(), side);
  const torch::Tensor z = torch::randn({batch, model->options().latent_channels, latent_side, latent_side});
  for (auto _ : state) benchmark::DoNotOptimize(model->decode_latents(z));
  state.SetItemsProcessed(state.iterations() * batch);
}

/// Arguments: hidden size (64: 4 heads, 2 layers; 768: CLIP ViT-L/14, 12 layers), batch.
void BM_ClipTextEncoder(benchmark::State& state) {
  const int64_t width = state.range(0), batch = state.range(1);
  ClipTextOptions options = ClipTextOptions::vit_l14();
  if (width != options.hidden_size) {
    options.hidden_size = width;
    options.intermediate_size = 4 * width;
    options.num_layers = 2;
    options.num_heads = 4;
    options.vocab_size = 1000;
    options.bos_token_id = 998;
    options.eos_token_id = 999;
  }
  torch::NoGradGuard no_grad;
  ClipTextEncoder model(options);
  model->eval();
  const torch::Tensor ids = torch::randint(options.vocab_size, {batch, options.context}, torch::kLong);
  for (auto _ : state) benchmark::DoNotOptimize(model->forward(ids).pooled);
  state.SetItemsProcessed(state.iterations() * batch);
}

}  // namespace

BENCHMARK(BM_AutoencoderEncode)->Args({32, 16})->Args({256, 1})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AutoencoderDecode)->Args({32, 16})->Args({256, 1})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ClipTextEncoder)->Args({64, 16})->Args({768, 4})->Unit(benchmark::kMillisecond);
