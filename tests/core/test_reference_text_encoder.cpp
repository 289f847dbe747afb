// CLIP text encoder against OpenAI's CLIP text transformer: last hidden
// state, pooled vector and end-of-text position; the gelu variant against a
// plain re-computation that the quick_gelu reference validates.
#include <QtTest>

#include <cmath>

#include "core/io/safetensors.h"
#include "core/models/clip_text_encoder.h"
#include "tests/support/test_support.h"

using evlf::io::SafetensorsFile;
using evlf::models::ClipActivation;
using evlf::models::ClipTextEncoder;
using evlf::models::ClipTextOptions;
using evlf::models::TensorMap;

namespace {

const char* const kFile = "clip_text_reference.safetensors";
constexpr double kRtol = 1e-5;
constexpr double kAtol = 1e-5;

ClipTextOptions options_from_metadata(const SafetensorsFile& file, const TensorMap& weights) {
  ClipTextOptions options;
  options.vocab_size = file.metadata_int("vocab_size");
  options.hidden_size = file.metadata_int("hidden_size");
  options.num_layers = file.metadata_int("num_layers");
  options.num_heads = file.metadata_int("num_heads");
  options.context = file.metadata_int("context");
  options.hidden_act = evlf::models::parse_clip_activation(file.metadata_value("hidden_act"));
  options.eos_token_id = file.metadata_int("eos_token_id");
  options.bos_token_id = file.metadata_int("bos_token_id");
  options.layer_norm_eps = file.metadata_double("layer_norm_eps");
  options.intermediate_size = weights.at("text_model.encoder.layers.0.mlp.fc1.weight").size(0);
  return options;
}

/// The text transformer written out with plain tensor ops, one head at a
/// time, as an independent check of the module.
torch::Tensor plain_forward(const TensorMap& w, const ClipTextOptions& options, const torch::Tensor& ids) {
  const int64_t T = ids.size(1), D = options.hidden_size, heads = options.num_heads, head_dim = D / heads;
  auto linear = [&](const torch::Tensor& x, const std::string& name) {
    return torch::matmul(x, w.at(name + ".weight").t()) + w.at(name + ".bias");
  };
  auto norm = [&](const torch::Tensor& x, const std::string& name) {
    return torch::layer_norm(x, {D}, w.at(name + ".weight"), w.at(name + ".bias"), options.layer_norm_eps);
  };
  torch::Tensor x = w.at("text_model.embeddings.token_embedding.weight").index({ids}) +
                    w.at("text_model.embeddings.position_embedding.weight").slice(0, 0, T);
  const torch::Tensor future = torch::ones({T, T}, torch::kBool).triu(1);

  for (int64_t layer = 0; layer < options.num_layers; ++layer) {
    const std::string p = "text_model.encoder.layers." + std::to_string(layer);
    const torch::Tensor h = norm(x, p + ".layer_norm1");
    const torch::Tensor q = linear(h, p + ".self_attn.q_proj");
    const torch::Tensor k = linear(h, p + ".self_attn.k_proj");
    const torch::Tensor v = linear(h, p + ".self_attn.v_proj");
    std::vector<torch::Tensor> head_outputs;
    for (int64_t head = 0; head < heads; ++head) {
      const auto part = [&](const torch::Tensor& t) { return t.slice(2, head * head_dim, (head + 1) * head_dim); };
      torch::Tensor scores = torch::matmul(part(q), part(k).transpose(1, 2)) / std::sqrt(double(head_dim));
      scores = scores.masked_fill(future, -std::numeric_limits<double>::infinity());
      head_outputs.push_back(torch::matmul(torch::softmax(scores, -1), part(v)));
    }
    x = x + linear(torch::cat(head_outputs, 2), p + ".self_attn.out_proj");

    torch::Tensor m = linear(norm(x, p + ".layer_norm2"), p + ".mlp.fc1");
    m = options.hidden_act == ClipActivation::Gelu ? 0.5 * m * (1 + torch::erf(m / std::sqrt(2.0)))
                                                   : m * torch::sigmoid(1.702 * m);
    x = x + linear(m, p + ".mlp.fc2");
  }
  return norm(x, "text_model.final_layer_norm");
}

}  // namespace

class TestReferenceTextEncoder : public QObject {
  Q_OBJECT

 private:
  std::optional<SafetensorsFile> m_file;
  TensorMap m_weights;
  ClipTextOptions m_options;

 private Q_SLOTS:
  void initTestCase() {
    const auto path = evlf::test::reference_file(kFile);
    if (!path) QSKIP(evlf::test::missing_reference_message(kFile).c_str());
    m_file = SafetensorsFile::open(*path);
    m_weights = m_file->tensors();
    for (auto it = m_weights.begin(); it != m_weights.end();) {
      it = it->first.rfind("text_model.", 0) == 0 ? std::next(it) : m_weights.erase(it);
    }
    m_options = options_from_metadata(*m_file, m_weights);
  }

  void sizesReadFromShapes() {
    const ClipTextOptions detected = evlf::models::clip_text_options_from_weights(m_weights, m_options);
    QCOMPARE(detected.vocab_size, m_options.vocab_size);
    QCOMPARE(detected.hidden_size, m_options.hidden_size);
    QCOMPARE(detected.num_layers, m_options.num_layers);
    QCOMPARE(detected.context, m_options.context);
  }

  void forwardMatchesReference() {
    QVERIFY(m_weights.count("text_model.embeddings.position_ids") == 1);
    ClipTextEncoder model = evlf::models::load_clip_text_encoder(m_weights, m_options);
    torch::NoGradGuard no_grad;
    const evlf::models::ClipTextOutput out = model->forward(m_file->tensor("input.ids"));

    EVLF_COMPARE_TENSORS(out.last_hidden_state, m_file->tensor("expected.last_hidden_state"), kRtol, kAtol);
    EVLF_COMPARE_TENSORS(out.pooled, m_file->tensor("expected.pooled"), kRtol, kAtol);
    QVERIFY(out.eos_position.equal(m_file->tensor("expected.eos_position")));
  }

  void plainForwardMatchesReference() {
    torch::NoGradGuard no_grad;
    const torch::Tensor hidden = plain_forward(m_weights, m_options, m_file->tensor("input.ids"));
    EVLF_COMPARE_TENSORS(hidden, m_file->tensor("expected.last_hidden_state"), kRtol, kAtol);
  }

  void otherActivationMatchesPlainForward() {
    ClipTextOptions options = m_options;
    options.hidden_act =
        m_options.hidden_act == ClipActivation::Gelu ? ClipActivation::QuickGelu : ClipActivation::Gelu;
    ClipTextEncoder model = evlf::models::load_clip_text_encoder(m_weights, options);
    torch::NoGradGuard no_grad;
    const torch::Tensor ids = m_file->tensor("input.ids");
    const evlf::models::ClipTextOutput out = model->forward(ids);

    EVLF_COMPARE_TENSORS(out.last_hidden_state, plain_forward(m_weights, options, ids), kRtol, kAtol);
    const double change = (out.last_hidden_state - m_file->tensor("expected.last_hidden_state")).abs().max().item<double>();
    QVERIFY2(change > 1e-4, "switching the activation left the output unchanged");
  }

  void shorterSequenceMatchesPrefix() {
    ClipTextEncoder model = evlf::models::load_clip_text_encoder(m_weights, m_options);
    torch::NoGradGuard no_grad;
    const torch::Tensor ids = m_file->tensor("input.ids");
    const int64_t T = ids.size(1) / 2;
    const torch::Tensor prefix = model->forward(ids.slice(1, 0, T)).last_hidden_state;
    // The causal mask makes each position independent of later ones.
    EVLF_COMPARE_TENSORS(prefix, m_file->tensor("expected.last_hidden_state").slice(1, 0, T), kRtol, kAtol);
  }
};

QTEST_GUILESS_MAIN(TestReferenceTextEncoder)
#include "test_reference_text_encoder.moc"
