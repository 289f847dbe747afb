// Sampler and trainer contracts: cancellation within one step, noise that
// depends only on (seed, class, slot), traced attention maps, and checkpoint
// resume that reproduces an uninterrupted training run.
#include <QtTest>

#include "core/diffusion/gaussian_diffusion.h"
#include "core/diffusion/sampler.h"
#include "core/distill/denoiser_trainer.h"
#include "core/models/dit.h"
#include "core/runtime/error.h"
#include "tests/support/test_support.h"

using evlf::diffusion::GaussianDiffusion;
using evlf::diffusion::NoiseKey;
using evlf::diffusion::SamplerOptions;
using evlf::diffusion::SeededNoise;
using evlf::diffusion::StepInfo;
using evlf::models::DiT;
using evlf::models::DiTOptions;

namespace {

DiTOptions small_options(int64_t text_dim = 0) {
  DiTOptions options;
  options.input_size = 4;
  options.patch_size = 2;
  options.in_channels = 2;
  options.hidden_size = 32;
  options.depth = 2;
  options.num_heads = 4;
  options.num_classes = 3;
  options.text_dim = text_dim;
  return options;
}

/// Builds a DiT with every parameter perturbed, so no zero-initialised layer hides an input.
DiT perturbed_dit(const DiTOptions& options, uint64_t seed) {
  torch::manual_seed(seed);
  DiT model(options);
  torch::NoGradGuard no_grad;
  for (auto& parameter : model->parameters()) parameter.add_(0.1 * torch::randn_like(parameter));
  model->eval();
  return model;
}

GaussianDiffusion spaced_diffusion(int64_t steps) {
  evlf::diffusion::DiffusionOptions options;
  options.timestep_respacing = std::to_string(steps);
  return GaussianDiffusion(options);
}

SamplerOptions guided_options(const torch::Tensor& mode) {
  SamplerOptions options;
  options.cfg_scale = 3.0;
  options.mode_guidance.mode = mode;
  options.mode_guidance.scale = 0.1;
  options.mode_guidance.stop_t = 4;
  return options;
}

std::vector<int64_t> sample_shape(const DiTOptions& options) {
  return {options.in_channels, options.input_size, options.input_size};
}

}  // namespace

class TestSampler : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  // These models are a few thousand parameters, so one intra-op thread is
  // fastest and avoids spinning threads on a shared machine.
  void initTestCase() { torch::set_num_threads(1); }

  void callbackFalseStopsAtOnce() {
    const auto options = small_options();
    DiT model = perturbed_dit(options, 1);
    const auto diffusion = spaced_diffusion(10);
    int64_t model_calls = 0;
    const auto denoiser = evlf::diffusion::make_dit_denoiser(model, torch::tensor({0, 1}, torch::kLong));
    const evlf::diffusion::DenoiserFn counted = [&](const torch::Tensor& x, const torch::Tensor& t,
                                                    std::vector<torch::Tensor>* attention) {
      ++model_calls;
      return denoiser(x, t, attention);
    };
    SeededNoise noise({{1, 0, 0}, {1, 1, 0}}, sample_shape(options));
    int64_t steps_seen = 0;
    const auto stop_at_third = [&](const StepInfo&) { return ++steps_seen < 3; };
    QVERIFY_THROWS_EXCEPTION(evlf::CancelledError, evlf::diffusion::sample_loop(diffusion, counted, noise,
                                                                                 guided_options({}), torch::kCPU,
                                                                                 stop_at_third));
    QCOMPARE(steps_seen, int64_t{3});
    QCOMPARE(model_calls, int64_t{3});
  }

  void jobControlStopsBeforeNextStep() {
    const auto options = small_options();
    DiT model = perturbed_dit(options, 2);
    const auto diffusion = spaced_diffusion(10);
    int64_t model_calls = 0;
    const auto denoiser = evlf::diffusion::make_dit_denoiser(model, torch::tensor({2}, torch::kLong));
    const evlf::diffusion::DenoiserFn counted = [&](const torch::Tensor& x, const torch::Tensor& t,
                                                    std::vector<torch::Tensor>* attention) {
      ++model_calls;
      return denoiser(x, t, attention);
    };
    SeededNoise noise({{1, 2, 0}}, sample_shape(options));
    evlf::JobControl control;
    const auto cancel_at_second = [&](const StepInfo& info) {
      if (info.index == diffusion.num_timesteps() - 2) control.cancel.cancel();
      return true;
    };
    QVERIFY_THROWS_EXCEPTION(evlf::CancelledError,
                             evlf::diffusion::sample_loop(diffusion, counted, noise, guided_options({}), torch::kCPU,
                                                          cancel_at_second, &control));
    QCOMPARE(model_calls, int64_t{2});
  }

  void noiseIndependentOfBatching() {
    const auto options = small_options();
    DiT model = perturbed_dit(options, 3);
    const auto diffusion = spaced_diffusion(10);
    constexpr int64_t kSamples = 8;
    std::vector<NoiseKey> keys;
    std::vector<int64_t> classes;
    for (int64_t i = 0; i < kSamples; ++i) {
      keys.push_back({42, i % 3, i / 3});
      classes.push_back(i % 3);
    }
    const auto labels = torch::tensor(classes, torch::kLong);
    const auto modes = torch::randn({kSamples, 2, 4, 4});

    SeededNoise batch_noise(keys, sample_shape(options));
    const auto batched = evlf::diffusion::sample_loop(
        diffusion, evlf::diffusion::make_dit_denoiser(model, labels), batch_noise, guided_options(modes));

    for (int64_t i = 0; i < kSamples; ++i) {
      SeededNoise single_noise({keys[i]}, sample_shape(options));
      SeededNoise batch_again(keys, sample_shape(options));
      QVERIFY(torch::equal(single_noise.initial()[0], batch_again.initial()[i]));
      QVERIFY(torch::equal(single_noise.step(0)[0], batch_again.step(0)[i]));

      SeededNoise fresh({keys[i]}, sample_shape(options));
      const auto single = evlf::diffusion::sample_loop(
          diffusion, evlf::diffusion::make_dit_denoiser(model, labels.narrow(0, i, 1)), fresh,
          guided_options(modes.narrow(0, i, 1)));
      // Batched matrix products may round differently from single-row ones,
      // so the samples agree to float32 rounding at their own scale.
      const double scale = batched[i].abs().max().item<double>();
      EVLF_COMPARE_TENSORS(single[0], batched[i], 1e-5, 1e-5 * scale);
    }
  }

  void distinctKeysGiveDistinctNoise() {
    SeededNoise noise({{5, 0, 0}, {5, 0, 1}, {5, 1, 0}, {6, 0, 0}}, {2, 4, 4});
    const auto x = noise.initial();
    for (int64_t a = 0; a < 4; ++a) {
      for (int64_t b = a + 1; b < 4; ++b) QVERIFY(!torch::allclose(x[a], x[b]));
    }
  }

  void textAttentionIsTraced() {
    const auto options = small_options(/*text_dim=*/8);
    DiT model = perturbed_dit(options, 4);
    const auto diffusion = spaced_diffusion(5);
    constexpr int64_t kTokens = 5;
    const auto text = torch::randn({2, kTokens, 8});
    SeededNoise noise({{1, 0, 0}, {1, 1, 0}}, sample_shape(options));
    SamplerOptions sampler = guided_options({});
    sampler.trace_attention = true;
    int64_t steps = 0;
    evlf::diffusion::sample_loop(
        diffusion, evlf::diffusion::make_dit_denoiser(model, torch::tensor({0, 1}, torch::kLong), text), noise, sampler,
        torch::kCPU, [&](const StepInfo& info) {
          ++steps;
          if (static_cast<int64_t>(info.attention.size()) != options.depth) return false;
          for (const auto& map : info.attention) {
            if (map.sizes() != torch::IntArrayRef({2, options.num_heads, options.num_patches(), kTokens})) return false;
            if (!torch::allclose(map.sum(-1), torch::ones({2, options.num_heads, options.num_patches()}), 1e-5, 1e-5)) {
              return false;
            }
          }
          return info.cfg_delta_norm.gt(0).all().item<bool>();
        });
    QCOMPARE(steps, diffusion.num_timesteps());
  }

  void projectedTextMatchesPlainForward() {
    const auto options = small_options(/*text_dim=*/8);
    DiT model = perturbed_dit(options, 5);
    torch::NoGradGuard no_grad;
    const auto labels = torch::tensor({0, 2}, torch::kLong);
    const auto text = torch::randn({2, 5, 8});
    auto denoiser = evlf::diffusion::make_dit_denoiser(model, labels, text);
    const auto t = torch::tensor({7, 7, 7, 7}, torch::kLong);

    // Two calls, so the second one reuses the keys and values projected by the first.
    for (int call = 0; call < 2; ++call) {
      const auto x = torch::randn({4, options.in_channels, options.input_size, options.input_size});
      const auto guided_labels = torch::cat({labels, torch::full_like(labels, model->null_label())});
      const auto guided_text = torch::cat({text, torch::zeros_like(text)});
      std::vector<torch::Tensor> expected_attention, attention;
      const auto expected = model->forward(x, t, guided_labels, guided_text, {}, &expected_attention);
      QVERIFY(torch::allclose(denoiser(x, t, &attention), expected, 1e-5, 1e-6));
      QCOMPARE(attention.size(), expected_attention.size());
      for (std::size_t block = 0; block < attention.size(); ++block) {
        QVERIFY(torch::allclose(attention[block], expected_attention[block], 1e-5, 1e-6));
      }
    }
    const auto x = torch::randn({2, options.in_channels, options.input_size, options.input_size});
    const auto t2 = torch::tensor({3, 3}, torch::kLong);
    QVERIFY(torch::allclose(denoiser(x, t2, nullptr), model->forward(x, t2, labels, text), 1e-5, 1e-6));
  }

  void textRowsMustMatchLabels() {
    DiT model = perturbed_dit(small_options(/*text_dim=*/8), 6);
    const auto labels = torch::tensor({0, 1, 2}, torch::kLong);
    QVERIFY_THROWS_EXCEPTION(evlf::Error, evlf::diffusion::make_dit_denoiser(model, labels, torch::randn({2, 5, 8})));
    QVERIFY_THROWS_EXCEPTION(evlf::Error, evlf::diffusion::make_dit_denoiser(model, labels, torch::randn({3, 8})));

    auto wrongWidth = evlf::diffusion::make_dit_denoiser(model, labels, torch::randn({3, 5, 6}));
    const auto x = torch::randn({3, 2, 4, 4});
    QVERIFY_THROWS_EXCEPTION(evlf::Error, wrongWidth(x, torch::tensor({1, 1, 1}, torch::kLong), nullptr));
  }

  void resumeMatchesUninterrupted() {
    const auto options = small_options();
    const auto latents = torch::randn({12, 2, 4, 4});
    const auto labels = torch::arange(12, torch::kLong).remainder(3);
    const auto folder = evlf::test::make_temp_dir("dit_resume");

    evlf::distill::DenoiserTrainOptions train;
    train.steps = 12;
    train.batch_size = 6;
    train.learning_rate = 1e-3;
    train.ema_decay = 0.9;
    train.minimax = true;
    train.memory_size = 4;
    train.seed = 9;

    DiT whole = perturbed_dit(options, 5);
    DiT whole_ema = evlf::models::clone_dit(whole);
    train.checkpoint_path = folder / "whole.safetensors";
    evlf::distill::train_denoiser(whole, whole_ema, {latents, labels, {}}, train);

    // Cancel after five steps, then resume with differently initialised models.
    DiT first = perturbed_dit(options, 5);
    DiT first_ema = evlf::models::clone_dit(first);
    train.checkpoint_path = folder / "split.safetensors";
    evlf::JobControl control;
    control.on_progress = [&](const evlf::ProgressEvent& event) {
      if (event.step == 5) control.cancel.cancel();
    };
    QVERIFY_THROWS_EXCEPTION(evlf::CancelledError,
                             evlf::distill::train_denoiser(first, first_ema, {latents, labels, {}}, train, control));

    DiT resumed = perturbed_dit(options, 77);
    DiT resumed_ema = evlf::models::clone_dit(resumed);
    const auto result = evlf::distill::train_denoiser(resumed, resumed_ema, {latents, labels, {}}, train);
    QCOMPARE(result.resumed_from, int64_t{5});
    QCOMPARE(result.step, train.steps);

    const auto expected = whole->state(), expected_ema = whole_ema->state();
    for (const auto& [name, tensor] : resumed->state()) QVERIFY2(torch::equal(tensor, expected.at(name)), name.c_str());
    for (const auto& [name, tensor] : resumed_ema->state()) {
      QVERIFY2(torch::equal(tensor, expected_ema.at(name)), ("ema." + name).c_str());
    }
    std::filesystem::remove_all(folder);
  }
};

QTEST_GUILESS_MAIN(TestSampler)
#include "test_sampler.moc"
