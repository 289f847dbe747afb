// Fusion training on small synthetic data: the contrastive loss falls, the
// fused latent stays near its input, an interrupted and resumed run equals an
// uninterrupted one, cancellation raises, and checkpoints round-trip.
#include <QtTest>

#include <fstream>

#include <ATen/CPUGeneratorImpl.h>

#include "core/distill/fusion_trainer.h"
#include "core/io/safetensors.h"
#include "core/runtime/error.h"
#include "tests/support/test_support.h"

using evlf::distill::FusionTrainingData;
using evlf::distill::FusionTrainingOptions;
using evlf::distill::LatentProjector;
using evlf::distill::LatentProjectorOptions;
using evlf::models::FusionModule;
using evlf::models::FusionModuleOptions;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kEosId = 9;
constexpr int64_t kTokens = 5;

FusionModuleOptions small_fusion() {
  FusionModuleOptions o;
  o.latent_channels = 4;
  o.embed_dim = 32;
  o.num_heads = 2;
  o.num_layers = 1;
  o.text_dim = 16;
  o.latent_size = 4;
  return o;
}

LatentProjectorOptions small_projector() {
  LatentProjectorOptions o;
  o.latent_channels = 4;
  o.mid_channels = 8;
  o.pool_size = 2;
  o.text_dim = 16;
  return o;
}

// Two classes whose latents sit around +1 and -1, with distinct prompts.
FusionTrainingData two_class_data(int64_t samples) {
  torch::manual_seed(7);
  FusionTrainingData data;
  data.labels = torch::arange(samples, torch::kLong) % 2;
  const torch::Tensor sign = (1 - 2 * data.labels).to(torch::kFloat32).view({samples, 1, 1, 1});
  data.latents = sign + 0.3 * torch::randn({samples, 4, 4, 4});
  data.text_embeds = torch::randn({2, kTokens, 16});
  data.token_ids = torch::tensor(std::vector<int64_t>{1, 4, kEosId, 0, 0, 1, 5, 6, kEosId, 0}).view({2, kTokens});
  data.attention_mask = (data.token_ids != 0).to(torch::kLong);
  return data;
}

FusionTrainingOptions quick_options() {
  FusionTrainingOptions o;
  o.epochs = 3;
  o.batch_size = 4;
  o.grad_accumulation = 2;
  o.eos_id = kEosId;
  o.seed = 11;
  return o;
}

std::map<std::string, torch::Tensor> snapshot(FusionModule& fusion, LatentProjector& projector) {
  std::map<std::string, torch::Tensor> params;
  for (auto& item : fusion->named_parameters()) params["fusion." + item.key()] = item.value().detach().clone();
  for (auto& item : projector->named_parameters()) params["projector." + item.key()] = item.value().detach().clone();
  return params;
}

}  // namespace

class TestFusionTraining : public QObject {
  Q_OBJECT

 private:
  fs::path m_dir;

  // Runs an uninterrupted training and one cancelled after `cancel_after`
  // batches then resumed; both must end with bit-identical weights.
  void check_resume(int64_t cancel_after) {
    const FusionTrainingData data = two_class_data(16);
    FusionTrainingOptions options = quick_options();
    options.checkpoint_every = 1;

    torch::manual_seed(3);
    FusionModule fusion_a(small_fusion());
    LatentProjector projector_a(small_projector());
    options.checkpoint_path = m_dir / ("uninterrupted_" + std::to_string(cancel_after) + ".safetensors");
    evlf::distill::train_fusion(fusion_a, projector_a, data, options, {});

    torch::manual_seed(3);
    FusionModule fusion_b(small_fusion());
    LatentProjector projector_b(small_projector());
    options.checkpoint_path = m_dir / ("interrupted_" + std::to_string(cancel_after) + ".safetensors");
    evlf::JobControl job;
    job.on_progress = [&](const evlf::ProgressEvent& event) {
      if (event.step == cancel_after) job.cancel.cancel();
    };
    bool cancelled = false;
    try {
      evlf::distill::train_fusion(fusion_b, projector_b, data, options, job);
    } catch (const evlf::CancelledError&) {
      cancelled = true;
    }
    QVERIFY(cancelled);

    // A fresh process would build new modules; their initial weights must not matter.
    torch::manual_seed(99);
    FusionModule fusion_c(small_fusion());
    LatentProjector projector_c(small_projector());
    const auto result = evlf::distill::train_fusion(fusion_c, projector_c, data, options, {});
    QCOMPARE(result.resumed_from_batch, cancel_after);

    const auto expected = snapshot(fusion_a, projector_a);
    const auto actual = snapshot(fusion_c, projector_c);
    for (const auto& [name, value] : expected) {
      QVERIFY2(torch::equal(actual.at(name), value), ("resumed weights differ in " + name).c_str());
    }
  }

 private Q_SLOTS:
  void initTestCase() {
    torch::set_num_threads(1);
    m_dir = evlf::test::make_temp_dir("evlf-fusion-training");
  }
  void cleanupTestCase() { fs::remove_all(m_dir); }

  void infoNceFallsAndLatentStays() {
    const FusionTrainingData data = two_class_data(32);
    FusionTrainingOptions options = quick_options();
    options.epochs = 25;
    options.batch_size = 8;
    options.grad_accumulation = 1;
    options.fusion_lr = 3e-3;
    options.projector_lr = 3e-3;

    torch::manual_seed(5);
    FusionModule fusion(small_fusion());
    LatentProjector projector(small_projector());
    // InfoNCE over all samples; with 16 samples per class its minimum is log(16).
    const torch::Tensor positions =
        evlf::distill::eot_positions(data.token_ids, data.attention_mask, kEosId, options.text_pooling);
    const torch::Tensor text_vec =
        evlf::distill::gather_text_vector(data.text_embeds, positions).index_select(0, data.labels);
    const torch::Tensor text = data.text_embeds.index_select(0, data.labels);
    const torch::Tensor log_scale = torch::scalar_tensor(std::log(1.0 / options.objective.temperature));
    auto excess_info_nce = [&] {
      torch::NoGradGuard no_grad;
      fusion->eval();
      projector->eval();
      const torch::Tensor fused = fusion->forward(data.latents, text).fused;
      const double loss =
          evlf::distill::multi_positive_info_nce(projector(fused), text_vec, data.labels, log_scale).item<double>();
      return loss - std::log(16.0);
    };
    const double excess_before = excess_info_nce();

    int64_t reports = 0;
    evlf::JobControl job;
    job.on_progress = [&](const evlf::ProgressEvent& event) {
      ++reports;
      QCOMPARE(QString::fromStdString(event.stage), QString("train fusion"));
      QCOMPARE(static_cast<int>(event.metrics.size()), 5);
    };
    const auto result = evlf::distill::train_fusion(fusion, projector, data, options, job);
    QCOMPARE(reports, result.batches);

    const double excess_after = excess_info_nce();
    QVERIFY2(excess_after < 0.3 * excess_before, ("InfoNCE above its minimum went from " + std::to_string(excess_before) +
                                                   " to " + std::to_string(excess_after)).c_str());

    torch::NoGradGuard no_grad;
    const torch::Tensor fused = fusion->forward(data.latents, text).fused;
    const double mse = torch::mse_loss(fused, data.latents).item<double>();
    const double power = data.latents.pow(2).mean().item<double>();
    QVERIFY2(mse < 0.1 * power, ("MSE(z_fused, z_img) " + std::to_string(mse) + " vs latent power " +
                                 std::to_string(power)).c_str());
  }

  void resumeAfterAccumulatedBatch() { check_resume(/*cancel_after=*/5); }
  void resumeAfterOptimizerStep() { check_resume(/*cancel_after=*/6); }

  void learnedLogitScaleMoves() {
    torch::manual_seed(12);
    FusionModule fusion(small_fusion());
    LatentProjector projector(small_projector());
    FusionTrainingOptions options = quick_options();
    options.objective.learn_logit_scale = true;
    options.checkpoint_path = m_dir / "learned_scale.safetensors";
    const auto result = evlf::distill::train_fusion(fusion, projector, two_class_data(8), options, {});
    const double initial = 1.0 / options.objective.temperature;
    QVERIFY2(std::abs(result.logit_scale - initial) > 1e-6, std::to_string(result.logit_scale).c_str());
    const auto checkpoint = evlf::io::SafetensorsFile::open(options.checkpoint_path);
    QVERIFY(checkpoint.contains("nce.logit_scale"));
    QVERIFY(std::abs(std::exp(checkpoint.tensor("nce.logit_scale").item<double>()) - result.logit_scale) < 1e-5);
  }

  void fixedLogitScaleStays() {
    torch::manual_seed(12);
    FusionModule fusion(small_fusion());
    LatentProjector projector(small_projector());
    const auto result = evlf::distill::train_fusion(fusion, projector, two_class_data(8), quick_options(), {});
    QVERIFY(std::abs(result.logit_scale - 1.0 / quick_options().objective.temperature) < 1e-4);
  }

  void cancellationRaises() {
    torch::manual_seed(1);
    FusionModule fusion(small_fusion());
    LatentProjector projector(small_projector());
    evlf::JobControl job;
    job.cancel.cancel();
    bool cancelled = false;
    try {
      evlf::distill::train_fusion(fusion, projector, two_class_data(8), quick_options(), job);
    } catch (const evlf::CancelledError&) {
      cancelled = true;
    }
    QVERIFY(cancelled);
  }

  void sameSeedRepeats() {
    const FusionTrainingData data = two_class_data(8);
    std::map<std::string, torch::Tensor> runs[2];
    for (auto& run : runs) {
      torch::manual_seed(4);
      FusionModule fusion(small_fusion());
      LatentProjector projector(small_projector());
      evlf::distill::train_fusion(fusion, projector, data, quick_options(), {});
      run = snapshot(fusion, projector);
    }
    for (const auto& [name, value] : runs[0]) QVERIFY2(torch::equal(runs[1].at(name), value), name.c_str());
  }

  void mismatchedCheckpointRejected() {
    const FusionTrainingData data = two_class_data(8);
    FusionTrainingOptions options = quick_options();
    options.checkpoint_path = m_dir / "mismatch.safetensors";
    FusionModule fusion(small_fusion());
    LatentProjector projector(small_projector());
    evlf::distill::train_fusion(fusion, projector, data, options, {});
    options.seed += 1;
    QVERIFY_THROWS_EXCEPTION(evlf::Error, evlf::distill::train_fusion(fusion, projector, data, options, {}));
  }

  void moduleCheckpointRoundTrip() {
    torch::manual_seed(2);
    FusionModule fusion(small_fusion());
    const fs::path path = m_dir / "module.safetensors";
    evlf::models::save_fusion_module(path, fusion);
    FusionModuleOptions defaults;
    defaults.num_heads = small_fusion().num_heads;
    FusionModule loaded = evlf::models::load_fusion_module(path, defaults);
    QCOMPARE(QString::fromStdString(loaded->options().to_string()), QString::fromStdString(fusion->options().to_string()));
    for (auto& item : fusion->named_parameters()) {
      QVERIFY2(torch::equal(loaded->named_parameters()[item.key()], item.value()), item.key().c_str());
    }
  }

  void pickledCheckpointLoads() {
    // The published layout: a dict whose "fusion_module" entry is a state dict
    // saved from DataParallel, so keys carry "module.".
    torch::manual_seed(6);
    FusionModule fusion(small_fusion());
    c10::Dict<std::string, torch::Tensor> state;
    for (auto& item : fusion->named_parameters()) state.insert("module." + item.key(), item.value().detach());
    c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
    root.insert("fusion_module", state);
    root.insert("epoch", c10::IValue(int64_t{4}));
    const std::vector<char> bytes = torch::pickle_save(root);
    const fs::path path = m_dir / "published.pt";
    std::ofstream(path, std::ios::binary).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));

    FusionModuleOptions defaults;
    defaults.num_heads = small_fusion().num_heads;
    FusionModule loaded = evlf::models::load_fusion_module(path, defaults);
    for (auto& item : fusion->named_parameters()) {
      QVERIFY2(torch::equal(loaded->named_parameters()[item.key()], item.value()), item.key().c_str());
    }
  }

  void unreadableCheckpointNamesConversion() {
    const fs::path path = m_dir / "garbage.pt";
    std::ofstream(path, std::ios::binary) << "not a checkpoint";
    try {
      evlf::models::read_fusion_state_dict(path);
      QFAIL("reading a corrupt checkpoint did not raise");
    } catch (const evlf::Error& error) {
      QVERIFY2(std::string(error.what()).find("safetensors.torch.save_file") != std::string::npos, error.what());
    }
  }

  void fusionWeightBlends() {
    const torch::Tensor z_img = torch::zeros({1, 4, 2, 2});
    const torch::Tensor z_fused = torch::ones({1, 4, 2, 2});
    QVERIFY(torch::equal(evlf::models::blend_fused_latent(z_img, z_fused, 0.0), z_img));
    QVERIFY(torch::equal(evlf::models::blend_fused_latent(z_img, z_fused, 1.0), z_fused));
    QVERIFY(torch::allclose(evlf::models::blend_fused_latent(z_img, z_fused, 0.25), torch::full({1, 4, 2, 2}, 0.25)));
  }

  void poolingChoosesEot() {
    // Padded with end-of-text as Stable Diffusion's tokenizers do, plus a row without it.
    const torch::Tensor ids = torch::tensor(std::vector<int64_t>{1, kEosId, kEosId, kEosId, 1, 2, 3, 0}).view({2, 4});
    const torch::Tensor mask = torch::tensor({1, 1, 0, 0, 1, 1, 1, 0}, torch::kLong).view({2, 4});
    using evlf::distill::TextPooling;
    const auto first = evlf::distill::eot_positions(ids, mask, kEosId, TextPooling::FirstEot);
    const auto last = evlf::distill::eot_positions(ids, mask, kEosId, TextPooling::LastEot);
    QVERIFY(torch::equal(first, torch::tensor({1, 2}, torch::kLong)));
    QVERIFY(torch::equal(last, torch::tensor({3, 2}, torch::kLong)));
  }

  void lambda2Ramps() {
    QCOMPARE(evlf::distill::lambda2_at(0, 10), 0.05);
    QVERIFY(std::abs(evlf::distill::lambda2_at(5, 10) - 0.525) < 1e-12);
    QCOMPARE(evlf::distill::lambda2_at(10, 10), 1.0);
    QCOMPARE(evlf::distill::lambda2_at(50, 10), 1.0);
  }

  void trainingDropoutFollowsGenerator() {
    torch::manual_seed(8);
    FusionModule fusion(small_fusion());
    fusion->train();
    const torch::Tensor z = torch::randn({2, 4, 4, 4});
    const torch::Tensor text = torch::randn({2, kTokens, 16});
    auto a = fusion->forward(z, text, false, at::make_generator<at::CPUGeneratorImpl>(1)).fused;
    auto b = fusion->forward(z, text, false, at::make_generator<at::CPUGeneratorImpl>(1)).fused;
    auto c = fusion->forward(z, text, false, at::make_generator<at::CPUGeneratorImpl>(2)).fused;
    QVERIFY(torch::equal(a, b));
    QVERIFY(!torch::equal(a, c));
    fusion->eval();
    auto d = fusion->forward(z, text, false, at::make_generator<at::CPUGeneratorImpl>(1)).fused;
    auto e = fusion->forward(z, text, false, at::make_generator<at::CPUGeneratorImpl>(2)).fused;
    QVERIFY(torch::equal(d, e));
  }
};

QTEST_GUILESS_MAIN(TestFusionTraining)
#include "test_fusion_training.moc"
