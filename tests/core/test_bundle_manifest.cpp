// Bundle manifests: a valid manifest round-trips; missing files, unknown
// architectures, missing roles and malformed JSON are rejected with messages
// that name the field.
#include <QtTest>

#include <fstream>

#include "core/io/bundle_manifest.h"
#include "core/runtime/error.h"
#include "tests/support/test_support.h"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

json valid_manifest() {
  auto component = [](const std::string& architecture, const std::string& weights) {
    return json{{"architecture", architecture}, {"weights", weights}, {"config", json::object()}};
  };
  return {{"format", "evlf-bundle"},
          {"version", 1},
          {"name", "toy"},
          {"scaling_factor", 0.5},
          {"dataset",
           {{"name", "fashion-mnist"},
            {"image_size", 32},
            {"channels", 1},
            {"class_names", {"T-shirt/top", "Trouser"}},
            {"prompt_template", "a photo of a {}"}}},
          {"components",
           {{"autoencoder", component("autoencoder_kl", "autoencoder.safetensors")},
            {"text_encoder", component("clip_text", "text_encoder.safetensors")},
            {"tokenizer",
             {{"architecture", "clip_bpe"}, {"key_layout", "hf"}, {"vocab", "tokenizer/vocab.json"}, {"merges", "tokenizer/merges.txt"}}},
            {"denoiser_late", component("dit", "denoiser_late.safetensors")},
            {"fusion", component("evlf_fusion", "fusion.safetensors")}}}};
}

}  // namespace

class TestBundleManifest : public QObject {
  Q_OBJECT

 private:
  fs::path m_dir;

  void write(const json& manifest) { std::ofstream(m_dir / "bundle.json") << manifest.dump(2); }

  std::string load_error() {
    try {
      evlf::io::read_bundle_manifest(m_dir);
    } catch (const evlf::Error& error) {
      return error.what();
    }
    return "";
  }

 private Q_SLOTS:
  void init() {
    m_dir = evlf::test::make_temp_dir("evlf-bundle");
    fs::create_directories(m_dir / "tokenizer");
    for (const char* file : {"autoencoder.safetensors", "text_encoder.safetensors", "denoiser_late.safetensors",
                             "fusion.safetensors", "tokenizer/vocab.json", "tokenizer/merges.txt"}) {
      std::ofstream(m_dir / file) << "x";
    }
  }
  void cleanup() { fs::remove_all(m_dir); }

  void validManifestRoundTrips() {
    write(valid_manifest());
    const auto manifest = evlf::io::read_bundle_manifest(m_dir);
    QCOMPARE(manifest.name, std::string("toy"));
    QCOMPARE(manifest.dataset.class_names.size(), std::size_t(2));
    QCOMPARE(manifest.component("autoencoder").key_layout, std::string("diffusers"));
    QVERIFY(manifest.component("fusion").weights.is_absolute());

    evlf::io::write_bundle_manifest(manifest);
    const auto again = evlf::io::read_bundle_manifest(m_dir);
    QCOMPARE(again.component("tokenizer").merges, manifest.component("tokenizer").merges);
    QCOMPARE(again.scaling_factor, 0.5);
  }

  void rejectsBadManifests_data() {
    QTest::addColumn<QString>("pointer");
    QTest::addColumn<QString>("replacement");
    QTest::addColumn<QString>("expected");
    QTest::newRow("missing file") << "/components/fusion/weights" << "\"absent.safetensors\""
                                  << "field 'components.fusion.weights' names 'absent.safetensors', which was not found";
    QTest::newRow("unknown architecture") << "/components/denoiser_late/architecture" << "\"unet\""
                                          << "field 'components.denoiser_late.architecture' is 'unet', an unknown architecture";
    QTest::newRow("wrong type") << "/scaling_factor" << "\"big\"" << "field 'scaling_factor' must be a number";
    QTest::newRow("bad version") << "/version" << "7" << "field 'version' is 7";
    QTest::newRow("no placeholder") << "/dataset/prompt_template" << "\"a photo\"" << "field 'dataset.prompt_template' has no {}";
    QTest::newRow("unknown role") << "/components/vocoder" << "{\"architecture\":\"dit\"}" << "field 'components.vocoder' is an unknown role";
    QTest::newRow("bad layout") << "/components/autoencoder/key_layout" << "\"compvis\"" << "field 'components.autoencoder.key_layout' is 'compvis'";
  }

  void rejectsBadManifests() {
    QFETCH(QString, pointer);
    QFETCH(QString, replacement);
    QFETCH(QString, expected);
    json manifest = valid_manifest();
    manifest[json::json_pointer(pointer.toStdString())] = json::parse(replacement.toStdString());
    write(manifest);
    const std::string message = load_error();
    QVERIFY2(message.find(expected.toStdString()) != std::string::npos, message.c_str());
  }

  void rejectsMissingRole() {
    json manifest = valid_manifest();
    manifest["components"].erase("text_encoder");
    write(manifest);
    const std::string message = load_error();
    QVERIFY2(message.find("field 'components.text_encoder' is missing") != std::string::npos, message.c_str());
  }

  void rejectsMalformedJson() {
    std::ofstream(m_dir / "bundle.json") << "{\"format\": \"evlf-bundle\",";
    const std::string message = load_error();
    QVERIFY2(message.find("bundle.json is not valid JSON") != std::string::npos, message.c_str());
  }

  void rejectsMissingManifest() {
    const std::string message = load_error();
    QVERIFY2(message.find("has no bundle.json") != std::string::npos, message.c_str());
  }
};

QTEST_GUILESS_MAIN(TestBundleManifest)
#include "test_bundle_manifest.moc"
