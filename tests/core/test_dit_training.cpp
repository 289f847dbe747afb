// A tiny DiT trained briefly on two well separated latent classes: the loss
// falls, and guided samples land nearer their class mean than unguided ones.
#include <QtTest>

#include "core/diffusion/gaussian_diffusion.h"
#include "core/diffusion/sampler.h"
#include "core/distill/denoiser_trainer.h"
#include "core/models/dit.h"
#include "tests/support/test_support.h"

using evlf::models::DiT;
using evlf::models::DiTOptions;

namespace {

constexpr int64_t kPerClass = 64;      // training latents per class
constexpr double kClassSpread = 0.1;   // std of each class around its mean
constexpr int64_t kSamplesPerClass = 16;

DiTOptions tiny_options() {
  DiTOptions options;
  options.input_size = 4;
  options.patch_size = 2;
  options.in_channels = 2;
  options.hidden_size = 32;
  options.depth = 2;
  options.num_heads = 2;
  options.num_classes = 2;
  return options;
}

/// Class means: opposite checkerboards of amplitude 0.8.
torch::Tensor class_means(const DiTOptions& options) {
  const auto board = (torch::arange(options.input_size).unsqueeze(1) + torch::arange(options.input_size).unsqueeze(0))
                         .remainder(2)
                         .to(torch::kFloat) * 1.6 - 0.8;                  // [H, W]
  const auto mean0 = board.expand({options.in_channels, options.input_size, options.input_size});
  return torch::stack({mean0, -mean0});  // [2, C, H, W]
}

/// Returns the mean distance of the samples to their class means.
double mean_distance(const torch::Tensor& samples, const torch::Tensor& means, const torch::Tensor& labels) {
  return (samples - means.index_select(0, labels)).flatten(1).norm(2, 1).mean().item<double>();
}

}  // namespace

class TestDiTTraining : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  // These models are a few thousand parameters, so one intra-op thread is
  // fastest and avoids spinning threads on a shared machine.
  void initTestCase() { torch::set_num_threads(1); }

  void geluMatchesTanhApproximation() {
    const auto x = torch::cat({torch::linspace(-12.0, 12.0, 4001), torch::tensor({-1e20, -0.0, 0.0, 1e20})});
    const auto expected = torch::gelu(x, "tanh");
    const auto got = evlf::models::gelu_tanh(x);
    QVERIFY(torch::isfinite(got).all().item<bool>());
    QVERIFY2(torch::allclose(got, expected, 1e-6, 1e-6),
             qPrintable(QString("largest difference %1").arg((got - expected).abs().max().item<double>())));
  }

  void lossFallsAndGuidanceHelps() {
    torch::manual_seed(0);
    const auto options = tiny_options();
    const auto means = class_means(options);
    const auto labels = torch::cat({torch::zeros({kPerClass}, torch::kLong), torch::ones({kPerClass}, torch::kLong)});
    const auto latents = means.index_select(0, labels) + kClassSpread * torch::randn({2 * kPerClass, 2, 4, 4});

    DiT model(options);
    DiT ema = evlf::models::clone_dit(model);
    evlf::distill::DenoiserTrainOptions train;
    train.steps = 400;
    train.batch_size = 32;
    train.learning_rate = 2e-3;
    train.seed = 3;
    const auto result = evlf::distill::train_denoiser(model, ema, {latents, labels, {}}, train);
    QCOMPARE(static_cast<int64_t>(result.losses.size()), train.steps);

    const auto history = torch::tensor(result.losses, torch::kDouble);
    const double first = history.narrow(0, 0, 50).mean().item<double>();
    const double last = history.narrow(0, train.steps - 50, 50).mean().item<double>();
    QVERIFY2(last < 0.7 * first, ("loss went from " + std::to_string(first) + " to " + std::to_string(last)).c_str());

    // Sample both classes with and without guidance from the same noise.
    evlf::diffusion::DiffusionOptions diffusion_options;
    diffusion_options.timestep_respacing = "25";
    const evlf::diffusion::GaussianDiffusion diffusion(diffusion_options);
    const auto sample_labels = torch::cat({torch::zeros({kSamplesPerClass}, torch::kLong),
                                           torch::ones({kSamplesPerClass}, torch::kLong)});
    auto run = [&](double cfg_scale) {
      std::vector<evlf::diffusion::NoiseKey> keys;
      for (int64_t i = 0; i < sample_labels.size(0); ++i) keys.push_back({11, sample_labels[i].item<int64_t>(), i});
      evlf::diffusion::SeededNoise noise(keys, {options.in_channels, options.input_size, options.input_size});
      evlf::diffusion::SamplerOptions sampler;
      sampler.cfg_scale = cfg_scale;
      return evlf::diffusion::sample_loop(diffusion, evlf::diffusion::make_dit_denoiser(model, sample_labels), noise,
                                          sampler);
    };
    const double unguided = mean_distance(run(1.0), means, sample_labels);
    const double guided = mean_distance(run(4.0), means, sample_labels);
    qInfo("loss %.4f -> %.4f, distance unguided %.4f guided %.4f", first, last, unguided, guided);
    QVERIFY2(guided < unguided, ("guided distance " + std::to_string(guided) + " is not below unguided " +
                                 std::to_string(unguided)).c_str());
  }

  void emaDecayWarmsUp() {
    QCOMPARE(evlf::distill::ema_decay_at(0.9999, 0), 0.1);
    QCOMPARE(evlf::distill::ema_decay_at(0.9999, 90), 0.91);
    QCOMPARE(evlf::distill::ema_decay_at(0.999, 1000000), 0.999);
  }

  // With DiT's default decay of 0.9999, a short run's EMA must follow the
  // trained output layer instead of staying near its zero initialisation.
  void shortRunEmaFollowsModel() {
    torch::manual_seed(2);
    const auto options = tiny_options();
    const auto latents = torch::randn({16, 2, 4, 4});
    const auto labels = torch::arange(16).remainder(2);
    DiT model(options);
    DiT ema = evlf::models::clone_dit(model);
    evlf::distill::DenoiserTrainOptions train;
    train.steps = 60;
    train.batch_size = 8;
    train.learning_rate = 2e-3;
    evlf::distill::train_denoiser(model, ema, {latents, labels, {}}, train);

    const auto trained = model->state().at("final_layer.linear.weight");
    const auto averaged = ema->state().at("final_layer.linear.weight");
    const double ratio = averaged.norm().item<double>() / trained.norm().item<double>();
    qInfo("EMA output layer norm / model output layer norm: %.3f", ratio);
    QVERIFY2(ratio > 0.8, ("EMA output layer is " + std::to_string(ratio) + " of the model's").c_str());
  }

  void fineTuneTrainsOnlySelectedParameters() {
    torch::manual_seed(1);
    const auto options = tiny_options();
    const auto labels = torch::tensor({0, 1, 0, 1}, torch::kLong);
    const auto latents = torch::randn({4, 2, 4, 4});
    DiT model(options);
    {
      torch::NoGradGuard no_grad;
      for (auto& parameter : model->parameters()) parameter.add_(0.05 * torch::randn_like(parameter));
    }
    const auto before = model->state();
    std::map<std::string, torch::Tensor> copy;
    for (const auto& [name, tensor] : before) copy[name] = tensor.clone();

    evlf::distill::DenoiserTrainOptions train;
    train.steps = 5;
    train.batch_size = 4;
    train.fine_tune = true;
    train.minimax = true;
    DiT ema = evlf::models::clone_dit(model);
    const auto result = evlf::distill::train_denoiser(model, ema, {latents, labels, {}}, train);
    QVERIFY(result.neg_terms.back() > 0.0);

    for (const auto& [name, tensor] : model->state()) {
      const bool changed = !torch::equal(tensor, copy[name]);
      const bool trainable = evlf::distill::is_fine_tune_parameter(name) && name != "pos_embed";
      QVERIFY2(changed == trainable, (name + (changed ? " changed" : " did not change")).c_str());
    }
  }
};

QTEST_GUILESS_MAIN(TestDiTTraining)
#include "test_dit_training.moc"
