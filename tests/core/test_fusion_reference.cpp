// Fusion module, projector and training objective against the tensors the
// published Python code computed (evlf_fusion_reference.safetensors). Every
// size comes from the file's metadata and shapes.
#include <QtTest>

#include "core/distill/fusion_objective.h"
#include "core/io/safetensors.h"
#include "core/models/fusion_module.h"
#include "tests/support/test_support.h"

using evlf::distill::LatentProjector;
using evlf::distill::LatentProjectorOptions;
using evlf::distill::TextPooling;
using evlf::io::SafetensorsFile;
using evlf::models::FusionModule;
using evlf::models::FusionModuleOptions;

namespace {

constexpr char kFile[] = "evlf_fusion_reference.safetensors";
constexpr double kForwardRtol = 1e-5;
constexpr double kForwardAtol = 1e-5;
constexpr double kGradRtol = 1e-4;
constexpr double kGradAtol = 1e-5;

}  // namespace

class TestFusionReference : public QObject {
  Q_OBJECT

 private:
  std::optional<SafetensorsFile> m_file;
  FusionModule m_fusion{nullptr};
  LatentProjector m_projector{nullptr};

  // Text vector pooled the reference way (last end-of-text, else last masked-in position).
  torch::Tensor reference_text_vector() {
    const auto positions = evlf::distill::eot_positions(m_file->tensor("input.token_ids"),
                                                        m_file->tensor("input.attention_mask"),
                                                        m_file->metadata_int("eos_id"), TextPooling::LastEot);
    return evlf::distill::gather_text_vector(m_file->tensor("input.text_embeds"), positions);
  }

 private Q_SLOTS:
  void initTestCase() {
    const auto path = evlf::test::reference_file(kFile);
    if (!path) QSKIP(evlf::test::missing_reference_message(kFile).c_str());
    m_file = SafetensorsFile::open(*path);

    // Sizes from the shapes; heads and dropout only from metadata.
    FusionModuleOptions defaults;
    defaults.num_heads = m_file->metadata_int("num_heads");
    defaults.dropout = m_file->metadata_double("dropout");
    const auto state = m_file->tensors("fusion.");
    const FusionModuleOptions options = evlf::models::fusion_options_from_state_dict(state, defaults);
    QCOMPARE(options.embed_dim, m_file->metadata_int("embed_dim"));
    QCOMPARE(options.latent_channels, m_file->metadata_int("latent_dim"));
    QCOMPARE(options.text_dim, m_file->metadata_int("text_dim"));
    QCOMPARE(options.num_layers, m_file->metadata_int("num_layers"));
    QCOMPARE(options.latent_size, m_file->metadata_int("image_size") / 8);
    m_fusion = FusionModule(options);
    evlf::models::load_fusion_state_dict(m_fusion, state);
    m_fusion->eval();

    LatentProjectorOptions projector_options;
    projector_options.latent_channels = options.latent_channels;
    projector_options.mid_channels = m_file->metadata_int("mid_channels");
    projector_options.text_dim = options.text_dim;
    m_projector = LatentProjector(projector_options);
    torch::NoGradGuard no_grad;
    for (auto& item : m_projector->named_parameters()) item.value().copy_(m_file->tensor("projector." + item.key()));
  }

  void fusedOutputMatches() {
    const auto out = m_fusion->forward(m_file->tensor("input.latent"), m_file->tensor("input.text_embeds"));
    EVLF_COMPARE_TENSORS(out.fused, m_file->tensor("expected.fused"), kForwardRtol, kForwardAtol);
    QVERIFY(out.attention.empty());
  }

  void attentionPerHeadMatches() {
    const auto out = m_fusion->forward(m_file->tensor("input.latent"), m_file->tensor("input.text_embeds"),
                                       /*return_attention=*/true);
    QCOMPARE(static_cast<int64_t>(out.attention.size()), m_file->metadata_int("num_layers"));
    for (std::size_t i = 0; i < out.attention.size(); ++i) {
      EVLF_COMPARE_TENSORS(out.attention[i], m_file->tensor("expected.attention.layer" + std::to_string(i)),
                           kForwardRtol, kForwardAtol);
    }
  }

  void lastEotPoolingMatches() {
    const auto positions = evlf::distill::eot_positions(m_file->tensor("input.token_ids"),
                                                        m_file->tensor("input.attention_mask"),
                                                        m_file->metadata_int("eos_id"), TextPooling::LastEot);
    QVERIFY(torch::equal(positions, m_file->tensor("expected.eot_position")));
    EVLF_COMPARE_TENSORS(reference_text_vector(), m_file->tensor("expected.text_vec"), 0.0, 0.0);
  }

  void projectorMatches() {
    torch::NoGradGuard no_grad;
    const auto projected = m_projector(m_file->tensor("expected.fused"));
    EVLF_COMPARE_TENSORS(projected, m_file->tensor("expected.projected"), kForwardRtol, kForwardAtol);
  }

  void lossTermsMatch() {
    const double lambda2 = evlf::distill::lambda2_at(m_file->metadata_int("step"), m_file->metadata_int("ramp_steps"));
    QVERIFY(std::abs(lambda2 - m_file->tensor("expected.lambda2").item<double>()) < 1e-6);

    const torch::Tensor z_img = m_file->tensor("input.latent");
    const auto fused = m_fusion->forward(z_img, m_file->tensor("input.text_embeds")).fused;
    const auto terms = evlf::distill::fusion_loss(fused, z_img, m_projector(fused), reference_text_vector(),
                                                  m_file->tensor("input.labels"), m_file->tensor("nce.logit_scale"),
                                                  m_file->metadata_double("lambda1"), lambda2);
    EVLF_COMPARE_TENSORS(terms.infonce.reshape({1}), m_file->tensor("expected.loss_infonce"), kForwardRtol, kForwardAtol);
    EVLF_COMPARE_TENSORS(terms.l2.reshape({1}), m_file->tensor("expected.loss_l2"), kForwardRtol, kForwardAtol);
    EVLF_COMPARE_TENSORS(terms.total.reshape({1}), m_file->tensor("expected.loss_total"), kForwardRtol, kForwardAtol);
  }

  void logitScaleIsInverseTemperature() {
    const double expected = std::log(1.0 / m_file->metadata_double("init_temperature"));
    QVERIFY(std::abs(m_file->tensor("nce.logit_scale").item<double>() - expected) < 1e-6);
  }

  void gradientsMatch() {
    m_fusion->zero_grad();
    m_projector->zero_grad();
    const torch::Tensor z_img = m_file->tensor("input.latent");
    const auto fused = m_fusion->forward(z_img, m_file->tensor("input.text_embeds")).fused;
    const double lambda2 = evlf::distill::lambda2_at(m_file->metadata_int("step"), m_file->metadata_int("ramp_steps"));
    const auto terms = evlf::distill::fusion_loss(fused, z_img, m_projector(fused), reference_text_vector(),
                                                  m_file->tensor("input.labels"), m_file->tensor("nce.logit_scale"),
                                                  m_file->metadata_double("lambda1"), lambda2);
    terms.total.backward();

    std::map<std::string, torch::Tensor> params;
    for (auto& item : m_fusion->named_parameters()) params["fusion." + item.key()] = item.value();
    for (auto& item : m_projector->named_parameters()) params["projector." + item.key()] = item.value();

    const auto names = m_file->names_with_prefix("expected.grad.");
    QVERIFY(!names.empty());
    for (const auto& name : names) {
      const std::string param = name.substr(std::string("expected.grad.").size());
      QVERIFY2(params.count(param), ("no parameter named " + param).c_str());
      const torch::Tensor expected = m_file->tensor(name);
      const double scale = expected.abs().max().item<double>();
      EVLF_COMPARE_TENSORS(params[param].grad(), expected, kGradRtol, std::max(kGradAtol, 1e-4 * scale));
    }
  }

  void stateDictRoundTrip() {
    const auto dir = evlf::test::make_temp_dir("evlf-fusion-reference");
    const auto path = dir / "fusion.safetensors";
    evlf::models::save_fusion_module(path, m_fusion);
    FusionModuleOptions defaults;
    defaults.num_heads = m_file->metadata_int("num_heads");
    FusionModule loaded = evlf::models::load_fusion_module(path, defaults);
    loaded->eval();
    const auto out = loaded->forward(m_file->tensor("input.latent"), m_file->tensor("input.text_embeds"));
    EVLF_COMPARE_TENSORS(out.fused, m_file->tensor("expected.fused"), kForwardRtol, kForwardAtol);
    std::filesystem::remove_all(dir);
  }
};

QTEST_GUILESS_MAIN(TestFusionReference)
#include "test_fusion_reference.moc"
