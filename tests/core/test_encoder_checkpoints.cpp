// Weight files in the diffusers and Hugging Face key layouts. Random small
// models save, load and run, and renamed, reshaped or extra tensors are
// rejected by name. A tiny AutoencoderKL learns on Fashion-MNIST.
#include <QtTest>

#include "core/data/fashion_mnist.h"
#include "core/io/safetensors.h"
#include "core/models/autoencoder_kl.h"
#include "core/models/clip_text_encoder.h"
#include "core/runtime/error.h"
#include "tests/support/test_support.h"

using evlf::models::AutoencoderKL;
using evlf::models::AutoencoderKLOptions;
using evlf::models::ClipTextEncoder;
using evlf::models::ClipTextOptions;
using evlf::models::TensorMap;
namespace fs = std::filesystem;

namespace {

AutoencoderKLOptions tiny_autoencoder(int64_t channels) {
  AutoencoderKLOptions options;
  options.in_channels = channels;
  options.out_channels = channels;
  options.block_out_channels = {16, 32};
  options.layers_per_block = 1;
  options.latent_channels = 3;
  options.norm_num_groups = 8;
  options.sample_size = 28;
  return options;
}

ClipTextOptions tiny_text_encoder() {
  ClipTextOptions options;
  options.vocab_size = 300;
  options.hidden_size = 32;
  options.intermediate_size = 64;
  options.num_layers = 2;
  options.num_heads = 4;
  options.context = 16;
  options.bos_token_id = 298;
  options.eos_token_id = 299;
  return options;
}

/// Fills every parameter with random values, so no output is trivially zero.
void randomize(torch::nn::Module& module, uint64_t seed) {
  torch::manual_seed(seed);
  torch::NoGradGuard no_grad;
  for (auto& parameter : module.parameters()) parameter.copy_(torch::randn_like(parameter) * 0.2);
}

template <typename Load>
std::string error_of(Load load) {
  try {
    load();
  } catch (const evlf::Error& error) {
    return error.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TensorMap rename(TensorMap weights, const std::string& from, const std::string& to) {
  auto node = weights.extract(from);
  node.key() = to;
  weights.insert(std::move(node));
  return weights;
}

/// Mean squared reconstruction error of the posterior mean on `images`.
double reconstruction_error(AutoencoderKL& model, const torch::Tensor& images) {
  torch::NoGradGuard no_grad;
  model->eval();
  const torch::Tensor reconstruction = model->forward(images, /*sample_posterior=*/false).reconstruction;
  model->train();
  return torch::mse_loss(reconstruction, images).item<double>();
}

}  // namespace

class TestEncoderCheckpoints : public QObject {
  Q_OBJECT

 private:
  fs::path m_dir;

 private Q_SLOTS:
  void initTestCase() {
    m_dir = evlf::test::make_temp_dir("evlf-encoder-checkpoints");
    torch::set_num_threads(2);
  }
  void cleanupTestCase() { fs::remove_all(m_dir); }

  void autoencoderFileRoundTrip() {
    const AutoencoderKLOptions options = tiny_autoencoder(3);
    AutoencoderKL original(options);
    randomize(*original, 1);
    const fs::path path = m_dir / "vae.safetensors";
    evlf::io::save_safetensors(path, evlf::models::state_dict(*original));

    AutoencoderKL loaded = evlf::models::load_autoencoder_kl(path, options);
    const AutoencoderKLOptions detected =
        evlf::models::autoencoder_options_from_weights(evlf::models::state_dict(*original), options);
    QCOMPARE(detected.to_string(), options.to_string());

    torch::NoGradGuard no_grad;
    const torch::Tensor x = torch::rand({2, 3, 16, 16}) * 2 - 1;
    EVLF_COMPARE_TENSORS(loaded->encode(x).mean, original->encode(x).mean, 0, 0);
    const torch::Tensor z = torch::randn({2, 3, 8, 8});
    EVLF_COMPARE_TENSORS(loaded->decode(z), original->decode(z), 0, 0);
  }

  void autoencoderOlderAttentionNames() {
    const AutoencoderKLOptions options = tiny_autoencoder(1);
    AutoencoderKL original(options);
    randomize(*original, 2);
    TensorMap weights = evlf::models::state_dict(*original);
    for (const std::string part : {"encoder", "decoder"}) {
      const std::string base = part + ".mid_block.attentions.0.";
      for (const std::string kind : {"weight", "bias"}) {
        weights = rename(weights, base + "to_q." + kind, base + "query." + kind);
        weights = rename(weights, base + "to_k." + kind, base + "key." + kind);
        weights = rename(weights, base + "to_v." + kind, base + "value." + kind);
        weights = rename(weights, base + "to_out.0." + kind, base + "proj_attn." + kind);
      }
    }
    AutoencoderKL loaded = evlf::models::load_autoencoder_kl(weights, options);
    torch::NoGradGuard no_grad;
    const torch::Tensor x = torch::rand({1, 1, 12, 12});
    EVLF_COMPARE_TENSORS(loaded->forward(x, false).reconstruction, original->forward(x, false).reconstruction, 0, 0);
  }

  void autoencoderRejectsBadTensors() {
    const AutoencoderKLOptions options = tiny_autoencoder(3);
    AutoencoderKL model(options);
    const TensorMap weights = evlf::models::state_dict(*model);

    const std::string renamed_name = "decoder.up_blocks.1.resnets.0.norm1.weight";
    std::string message =
        error_of([&] { evlf::models::load_autoencoder_kl(rename(weights, renamed_name, "decoder.norm_x.weight"), options); });
    QVERIFY2(contains(message, "missing tensor '" + renamed_name + "'") && contains(message, "[32]"), message.c_str());

    TensorMap reshaped = weights;
    reshaped["quant_conv.weight"] = torch::zeros({6, 6, 3, 3});
    message = error_of([&] { evlf::models::load_autoencoder_kl(reshaped, options); });
    QVERIFY2(contains(message, "'quant_conv.weight'") && contains(message, "[6, 6, 3, 3]") &&
                 contains(message, "[6, 6, 1, 1]"),
             message.c_str());

    TensorMap extra = weights;
    extra["encoder.down_blocks.0.resnets.1.conv1.weight"] = torch::zeros({16, 16, 3, 3});
    message = error_of([&] { evlf::models::load_autoencoder_kl(extra, options); });
    QVERIFY2(contains(message, "unexpected tensor 'encoder.down_blocks.0.resnets.1.conv1.weight'"), message.c_str());

    AutoencoderKLOptions other = options;
    other.latent_channels = 4;
    message = error_of([&] { evlf::models::load_autoencoder_kl(weights, other); });
    QVERIFY2(contains(message, "'decoder.conv_in.weight' has shape [32, 3, 3, 3], expected [32, 4, 3, 3]"), message.c_str());

    message = error_of([&] { evlf::models::load_autoencoder_kl(rename(weights, "encoder.conv_in.weight", "x")); });
    QVERIFY2(contains(message, "'encoder.conv_in.weight'"), message.c_str());
  }

  void autoencoderShapes_data() {
    QTest::addColumn<int>("channels");
    QTest::addColumn<int>("height");
    QTest::addColumn<int>("width");
    QTest::newRow("grey 28x28") << 1 << 28 << 28;
    QTest::newRow("colour 32x48") << 3 << 32 << 48;
    QTest::newRow("colour 30x30") << 3 << 30 << 30;
    QTest::newRow("grey 9x17") << 1 << 9 << 17;
  }

  void autoencoderShapes() {
    QFETCH(int, channels);
    QFETCH(int, height);
    QFETCH(int, width);
    AutoencoderKLOptions options = tiny_autoencoder(channels);
    options.block_out_channels = {8, 16, 16};
    AutoencoderKL model(options);
    torch::NoGradGuard no_grad;

    const torch::Tensor x = torch::rand({2, channels, height, width});
    const torch::Tensor z = model->encode_latents(x, /*sample=*/true);
    const int64_t h = evlf::models::autoencoder_latent_side(options, height);
    const int64_t w = evlf::models::autoencoder_latent_side(options, width);
    QCOMPARE(z.sizes().vec(), (std::vector<int64_t>{2, options.latent_channels, h, w}));
    const torch::Tensor image = model->decode_latents(z);
    QCOMPARE(image.sizes().vec(), (std::vector<int64_t>{2, channels, h * 4, w * 4}));
    QCOMPARE(model->encode(x).kl().sizes().vec(), (std::vector<int64_t>{2}));
  }

  void autoencoderRejectsWrongInput() {
    AutoencoderKL model(tiny_autoencoder(3));
    std::string message = error_of([&] { model->encode(torch::zeros({1, 1, 16, 16})); });
    QVERIFY2(contains(message, "[1, 1, 16, 16]"), message.c_str());
    message = error_of([&] { model->decode(torch::zeros({1, 4, 8, 8})); });
    QVERIFY2(contains(message, "[1, 4, 8, 8]"), message.c_str());
    message = error_of([&] { model->encode(torch::zeros({1, 3, 16, 16})).sample(torch::zeros({1, 3, 4, 4})); });
    QVERIFY2(contains(message, "[1, 3, 4, 4]"), message.c_str());
    AutoencoderKLOptions bad = tiny_autoencoder(3);
    bad.block_out_channels = {12, 32};
    message = error_of([&] { AutoencoderKL model_with_bad_groups(bad); });
    QVERIFY2(contains(message, "block width 12"), message.c_str());
  }

  void textEncoderFileRoundTrip() {
    const ClipTextOptions options = tiny_text_encoder();
    ClipTextEncoder original(options);
    randomize(*original, 3);
    TensorMap weights = evlf::models::state_dict(*original);
    weights["text_model.embeddings.position_ids"] = torch::arange(options.context).unsqueeze(0);
    const fs::path path = m_dir / "text.safetensors";
    evlf::io::save_safetensors(path, weights);

    ClipTextEncoder loaded = evlf::models::load_clip_text_encoder(path, options);
    const ClipTextOptions detected = evlf::models::clip_text_options_from_weights(weights, options);
    QCOMPARE(detected.to_string(), options.to_string());

    torch::NoGradGuard no_grad;
    const torch::Tensor ids = torch::tensor({298, 5, 7, 299, 299, 0}, torch::kLong).view({1, 6});
    const auto out = loaded->forward(ids);
    QCOMPARE(out.eos_position.item<int64_t>(), int64_t(3));
    EVLF_COMPARE_TENSORS(out.last_hidden_state, original->forward(ids).last_hidden_state, 0, 0);
    EVLF_COMPARE_TENSORS(out.pooled[0], out.last_hidden_state[0][3], 0, 0);

    // A padding mask leaves positions before the padding unchanged.
    const torch::Tensor mask = torch::tensor({1, 1, 1, 1, 0, 0}, torch::kLong).view({1, 6});
    const auto masked = loaded->forward(ids, mask);
    EVLF_COMPARE_TENSORS(masked.last_hidden_state.slice(1, 0, 4), out.last_hidden_state.slice(1, 0, 4), 1e-6, 1e-6);
  }

  void textEncoderRejectsBadTensors() {
    const ClipTextOptions options = tiny_text_encoder();
    ClipTextEncoder model(options);
    const TensorMap weights = evlf::models::state_dict(*model);

    const std::string name = "text_model.encoder.layers.1.self_attn.k_proj.weight";
    std::string message = error_of(
        [&] { evlf::models::load_clip_text_encoder(rename(weights, name, "text_model.encoder.layers.1.self_attn.key.weight"), options); });
    QVERIFY2(contains(message, "missing tensor '" + name + "'"), message.c_str());

    TensorMap reshaped = weights;
    reshaped["text_model.final_layer_norm.weight"] = torch::ones({31});
    message = error_of([&] { evlf::models::load_clip_text_encoder(reshaped, options); });
    QVERIFY2(contains(message, "'text_model.final_layer_norm.weight' has shape [31], expected [32]"), message.c_str());

    TensorMap extra = weights;
    extra["text_model.encoder.layers.2.layer_norm1.weight"] = torch::ones({32});
    message = error_of([&] { evlf::models::load_clip_text_encoder(extra, options); });
    QVERIFY2(contains(message, "unexpected tensor 'text_model.encoder.layers.2.layer_norm1.weight'"), message.c_str());

    ClipTextOptions longer = options;
    longer.context = 20;
    message = error_of([&] { evlf::models::load_clip_text_encoder(weights, longer); });
    QVERIFY2(contains(message, "position_embedding.weight' has shape [16, 32], expected [20, 32]"), message.c_str());

    message = error_of([&] { ClipTextEncoder(options)->forward(torch::zeros({1, 17}, torch::kLong)); });
    QVERIFY2(contains(message, "[1, 17]"), message.c_str());
  }

  void autoencoderLearnsFashionMnist() {
    const auto folder = evlf::data::find_fashion_mnist();
    if (!folder) QSKIP("Fashion-MNIST not found; install Debian's dataset-fashion-mnist package");
    const evlf::data::LabeledImages data = evlf::data::load_fashion_mnist(*folder, evlf::data::Split::Test);
    // Halved to 14x14 so that a few hundred steps fit in the test's time.
    torch::Tensor images = data.images.slice(0, 0, 320).to(torch::kFloat) / 127.5 - 1.0;  // [320, 1, 28, 28]
    images = torch::avg_pool2d(images, /*kernel_size=*/2);                                 // [320, 1, 14, 14]
    const torch::Tensor train = images.slice(0, 0, 256);
    const torch::Tensor held_out = images.slice(0, 256, 320);

    torch::manual_seed(0);
    AutoencoderKLOptions options = tiny_autoencoder(1);
    options.block_out_channels = {8, 16};
    options.norm_num_groups = 4;
    AutoencoderKL model(options);
    const double before = reconstruction_error(model, held_out);

    torch::optim::Adam optimizer(model->parameters(), torch::optim::AdamOptions(3e-3));
    constexpr int kSteps = 150;
    constexpr int64_t kBatch = 8;
    constexpr double kKlWeight = 1e-6;
    for (int step = 0; step < kSteps; ++step) {
      const torch::Tensor batch = train.index_select(0, torch::randint(train.size(0), {kBatch}, torch::kLong));
      const auto out = model->forward(batch);
      const torch::Tensor loss = torch::mse_loss(out.reconstruction, batch) + kKlWeight * out.posterior.kl().mean();
      optimizer.zero_grad();
      loss.backward();
      optimizer.step();
    }
    const double after = reconstruction_error(model, held_out);
    QVERIFY2(after < 0.5 * before,
             ("held-out MSE " + std::to_string(before) + " -> " + std::to_string(after) + ", expected to halve").c_str());
  }
};

QTEST_GUILESS_MAIN(TestEncoderCheckpoints)
#include "test_encoder_checkpoints.moc"
