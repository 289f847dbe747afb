// AutoencoderKL against the latent-diffusion reference: moments, posterior,
// sample and decoded mean, with either attention key style.
#include <QtTest>

#include <nlohmann/json.hpp>

#include "core/io/safetensors.h"
#include "core/models/autoencoder_kl.h"
#include "tests/support/test_support.h"

using evlf::io::SafetensorsFile;
using evlf::models::AutoencoderKL;
using evlf::models::AutoencoderKLOptions;
using evlf::models::TensorMap;

namespace {

const char* const kFile = "autoencoder_kl_reference.safetensors";
constexpr double kRtol = 1e-5;
constexpr double kAtol = 1e-5;

/// Options from the file's metadata; out_channels from the decoder's shape.
AutoencoderKLOptions options_from_metadata(const SafetensorsFile& file, const TensorMap& weights) {
  AutoencoderKLOptions options;
  options.in_channels = file.metadata_int("in_channels");
  options.block_out_channels =
      nlohmann::json::parse(file.metadata_value("block_out_channels")).get<std::vector<int64_t>>();
  options.layers_per_block = file.metadata_int("layers_per_block");
  options.latent_channels = file.metadata_int("latent_channels");
  options.norm_num_groups = file.metadata_int("norm_num_groups");
  options.out_channels = weights.at("decoder.conv_out.weight").size(0);
  options.sample_size = file.metadata_int("size");
  return options;
}

/// Renames the attention keys to the other diffusers style.
TensorMap switch_attention_style(const TensorMap& weights, bool to_old_names) {
  const std::vector<std::pair<std::string, std::string>> current_to_old{
      {".to_q.", ".query."}, {".to_k.", ".key."}, {".to_v.", ".value."}, {".to_out.0.", ".proj_attn."}};
  TensorMap result;
  for (const auto& [name, value] : weights) {
    std::string renamed = name;
    for (const auto& [current, old] : current_to_old) {
      const std::string& from = to_old_names ? current : old;
      const std::string& to = to_old_names ? old : current;
      const auto at = renamed.find(from);
      if (renamed.find(".attentions.") != std::string::npos && at != std::string::npos) {
        renamed.replace(at, from.size(), to);
        break;
      }
    }
    result[renamed] = value;
  }
  return result;
}

}  // namespace

class TestReferenceAutoencoder : public QObject {
  Q_OBJECT

 private:
  std::optional<SafetensorsFile> m_file;
  TensorMap m_weights;
  AutoencoderKLOptions m_options;

  void check_against_reference(AutoencoderKL& model) {
    torch::NoGradGuard no_grad;
    model->eval();
    const torch::Tensor x = m_file->tensor("input.x");
    const torch::Tensor noise = m_file->tensor("input.noise");

    const torch::Tensor moments = model->quant_conv(model->encoder(x));
    EVLF_COMPARE_TENSORS(moments, m_file->tensor("expected.moments"), kRtol, kAtol);

    const evlf::models::DiagonalGaussian posterior = model->encode(x);
    EVLF_COMPARE_TENSORS(posterior.mean, m_file->tensor("expected.mean"), kRtol, kAtol);
    EVLF_COMPARE_TENSORS(posterior.std, m_file->tensor("expected.std"), kRtol, kAtol);
    EVLF_COMPARE_TENSORS(posterior.sample(noise), m_file->tensor("expected.sample"), kRtol, kAtol);
    EVLF_COMPARE_TENSORS(model->decode(posterior.mean), m_file->tensor("expected.decoded_mean"), kRtol, kAtol);
  }

 private Q_SLOTS:
  void initTestCase() {
    const auto path = evlf::test::reference_file(kFile);
    if (!path) QSKIP(evlf::test::missing_reference_message(kFile).c_str());
    m_file = SafetensorsFile::open(*path);
    m_weights = m_file->tensors("vae.");
    m_options = options_from_metadata(*m_file, m_weights);
  }

  void sizesReadFromShapes() {
    AutoencoderKLOptions base;
    base.norm_num_groups = m_options.norm_num_groups;
    const AutoencoderKLOptions detected = evlf::models::autoencoder_options_from_weights(m_weights, base);
    QCOMPARE(detected.in_channels, m_options.in_channels);
    QCOMPARE(detected.block_out_channels, m_options.block_out_channels);
    QCOMPARE(detected.layers_per_block, m_options.layers_per_block);
    QCOMPARE(detected.latent_channels, m_options.latent_channels);
  }

  void encodeDecodeMatchReference() {
    AutoencoderKL model = evlf::models::load_autoencoder_kl(m_weights, m_options);
    check_against_reference(model);
  }

  void otherAttentionKeyStyleMatchesReference() {
    const bool file_uses_current_names = m_file->metadata_value("attention_keys") == "to_q";
    const TensorMap renamed = switch_attention_style(m_weights, /*to_old_names=*/file_uses_current_names);
    const std::string probe = file_uses_current_names ? "encoder.mid_block.attentions.0.query.weight"
                                                      : "encoder.mid_block.attentions.0.to_q.weight";
    QVERIFY2(renamed.count(probe) == 1, ("renaming produced no '" + probe + "'").c_str());

    AutoencoderKL model = evlf::models::load_autoencoder_kl(renamed, m_options);
    check_against_reference(model);
  }

  void scaledLatentsApplyScalingFactor() {
    torch::NoGradGuard no_grad;
    AutoencoderKL model = evlf::models::load_autoencoder_kl(m_weights, m_options);
    const double scale = model->options().scaling_factor;
    const torch::Tensor x = m_file->tensor("input.x");

    const torch::Tensor z = model->encode_latents(x, m_file->tensor("input.noise"));
    EVLF_COMPARE_TENSORS(z, m_file->tensor("expected.sample") * scale, kRtol, kAtol);
    const torch::Tensor z_mean = model->encode_latents(x, /*sample=*/false);
    EVLF_COMPARE_TENSORS(z_mean, m_file->tensor("expected.mean") * scale, kRtol, kAtol);
    const torch::Tensor decoded = model->decode_latents(m_file->tensor("expected.mean") * scale);
    EVLF_COMPARE_TENSORS(decoded, m_file->tensor("expected.decoded_mean"), kRtol, 1e-4);
  }
};

QTEST_GUILESS_MAIN(TestReferenceAutoencoder)
#include "test_reference_autoencoder.moc"
