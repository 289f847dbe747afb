// Safetensors reader and writer: round trips, the reference files, and
// every kind of corrupt file rejected with a specific message.
#include <QtTest>

#include <cstring>
#include <fstream>

#include "core/io/safetensors.h"
#include "core/runtime/error.h"
#include "tests/support/test_support.h"

using evlf::io::DType;
using evlf::io::SafetensorsFile;
namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> file_bytes(const std::string& header_json, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> bytes(8);
  uint64_t n = header_json.size();
  for (int i = 0; i < 8; ++i, n >>= 8) bytes[i] = static_cast<uint8_t>(n & 0xff);
  bytes.insert(bytes.end(), header_json.begin(), header_json.end());
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

/// Returns the error message raised while parsing `bytes`, or "" when none.
std::string parse_error(const std::vector<uint8_t>& bytes) {
  try {
    SafetensorsFile::from_bytes(bytes, "corrupt.safetensors");
  } catch (const evlf::Error& error) {
    return error.what();
  }
  return "";
}

}  // namespace

class TestSafetensors : public QObject {
  Q_OBJECT

 private:
  fs::path m_dir;

 private Q_SLOTS:
  void initTestCase() { m_dir = evlf::test::make_temp_dir("evlf-safetensors"); }
  void cleanupTestCase() { fs::remove_all(m_dir); }

  void roundTripEveryDtype_data() {
    QTest::addColumn<int>("scalar");
    QTest::newRow("F32") << int(torch::kFloat32);
    QTest::newRow("F16") << int(torch::kFloat16);
    QTest::newRow("BF16") << int(torch::kBFloat16);
    QTest::newRow("F64") << int(torch::kFloat64);
    QTest::newRow("I64") << int(torch::kInt64);
    QTest::newRow("I32") << int(torch::kInt32);
    QTest::newRow("I16") << int(torch::kInt16);
    QTest::newRow("I8") << int(torch::kInt8);
    QTest::newRow("U8") << int(torch::kUInt8);
    QTest::newRow("BOOL") << int(torch::kBool);
  }

  void roundTripEveryDtype() {
    QFETCH(int, scalar);
    const auto type = static_cast<torch::ScalarType>(scalar);
    torch::manual_seed(7);
    torch::Tensor value = (torch::randn({3, 5, 2}) * 50).to(type);
    torch::Tensor scalar_value = torch::ones({}, torch::TensorOptions().dtype(type));
    torch::Tensor empty = torch::zeros({0, 4}, torch::TensorOptions().dtype(type));
    const fs::path path = m_dir / "round_trip.safetensors";

    evlf::io::save_safetensors(path, evlf::io::TensorList{{"value", value}, {"scalar", scalar_value}, {"empty", empty}},
                               {{"note", "ünïcode ✓"}, {"steps", "50"}});
    const SafetensorsFile file = SafetensorsFile::open(path);

    QCOMPARE(file.entries().size(), std::size_t(3));
    QCOMPARE(file.entry("value").dtype, evlf::io::from_scalar_type(type));
    QVERIFY(file.tensor("value").equal(value));
    QCOMPARE(file.tensor("scalar").dim(), int64_t(0));
    QVERIFY(file.tensor("scalar").equal(scalar_value));
    QCOMPARE(file.tensor("empty").sizes().vec(), (std::vector<int64_t>{0, 4}));
    QCOMPARE(file.metadata_value("note"), std::string("ünïcode ✓"));
    QCOMPARE(file.metadata_int("steps"), int64_t(50));
  }

  void writerAlignsDataSection() {
    const fs::path path = m_dir / "aligned.safetensors";
    evlf::io::save_safetensors(path, evlf::io::TensorList{{"x", torch::arange(5, torch::kFloat64)}});
    std::ifstream in(path, std::ios::binary);
    uint8_t length[8];
    in.read(reinterpret_cast<char*>(length), 8);
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | length[i];
    QCOMPARE((8 + n) % 8, uint64_t(0));
  }

  void writeFailureKeepsOldFile() {
    const fs::path path = m_dir / "keep.safetensors";
    evlf::io::save_safetensors(path, evlf::io::TensorList{{"x", torch::ones({2})}});
    bool raised = false;
    try {
      evlf::io::save_safetensors(path, evlf::io::TensorList{{"x", torch::ones({2})}, {"x", torch::zeros({2})}});
    } catch (const evlf::Error&) {
      raised = true;
    }
    QVERIFY(raised);
    QVERIFY(SafetensorsFile::open(path).tensor("x").equal(torch::ones({2})));
  }

  void readsReferenceFiles_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QString>("tensor");
    QTest::newRow("fusion") << "evlf_fusion_reference.safetensors" << "fusion.pos_embed";
    QTest::newRow("dit") << "dit_diffusion_reference.safetensors" << "dit.pos_embed";
    QTest::newRow("autoencoder") << "autoencoder_kl_reference.safetensors" << "input.x";
    QTest::newRow("clip") << "clip_text_reference.safetensors" << "input.ids";
  }

  void readsReferenceFiles() {
    QFETCH(QString, file);
    QFETCH(QString, tensor);
    const auto path = evlf::test::reference_file(file.toStdString());
    if (!path) QSKIP(evlf::test::missing_reference_message(file.toStdString()).c_str());

    const SafetensorsFile st = SafetensorsFile::open(*path);
    QVERIFY(!st.entries().empty());
    QVERIFY(!st.metadata().empty());
    QVERIFY(st.contains(tensor.toStdString()));
    for (const auto& entry : st.entries()) {
      const torch::Tensor value = st.tensor(entry.name);
      QCOMPARE(value.sizes().vec(), entry.shape);
      if (value.is_floating_point()) QVERIFY2(torch::isfinite(value).all().item<bool>(), entry.name.c_str());
    }
  }

  void rejectsCorruptFiles_data() {
    QTest::addColumn<QByteArray>("bytes");
    QTest::addColumn<QString>("expected");
    const std::vector<uint8_t> four_floats(16, 0);
    const std::string good = R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";

    auto as_array = [](const std::vector<uint8_t>& v) { return QByteArray(reinterpret_cast<const char*>(v.data()), int(v.size())); };
    std::vector<uint8_t> truncated = file_bytes(good, four_floats);
    truncated.resize(truncated.size() - 4);
    std::vector<uint8_t> huge_header = file_bytes(good, four_floats);
    huge_header[5] = 0x7f;
    std::vector<uint8_t> past_end = file_bytes(good, four_floats);
    past_end[0] = static_cast<uint8_t>(past_end.size());

    QTest::newRow("short file") << QByteArray("\x01\x02\x03", 3) << "fewer than the 8-byte header length";
    QTest::newRow("truncated data") << as_array(truncated) << "tensor 'w': data_offsets end at byte 16, past the data section of 12 bytes";
    QTest::newRow("absurd header length") << as_array(huge_header) << "exceeds the limit";
    QTest::newRow("header past end") << as_array(past_end) << "runs past the end of the file";
    QTest::newRow("invalid json") << as_array(file_bytes("{\"w\": [", four_floats)) << "invalid JSON header";
    QTest::newRow("not an object") << as_array(file_bytes("[1,2]", four_floats)) << "not an object";
    QTest::newRow("overlap") << as_array(file_bytes(
        R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}})",
        four_floats)) << "tensor 'b': data_offsets [4, 12] overlap tensor 'a' [0, 8]";
    QTest::newRow("reversed offsets") << as_array(file_bytes(
        R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}})", four_floats)) << "tensor 'a': data_offsets [8, 4] end before they begin";
    QTest::newRow("shape length mismatch") << as_array(file_bytes(
        R"({"w":{"dtype":"F32","shape":[3,2],"data_offsets":[0,16]}})", four_floats))
                                           << "tensor 'w': shape [3, 2] of dtype F32 needs 24 bytes, but data_offsets cover 16";
    QTest::newRow("unknown dtype") << as_array(file_bytes(
        R"({"w":{"dtype":"F8_E4M3","shape":[16],"data_offsets":[0,16]}})", four_floats)) << "tensor 'w': unknown dtype 'F8_E4M3'";
    QTest::newRow("negative shape") << as_array(file_bytes(
        R"({"w":{"dtype":"F32","shape":[-4],"data_offsets":[0,16]}})", four_floats)) << "tensor 'w': shape [-4] has a negative dimension";
    QTest::newRow("missing offsets") << as_array(file_bytes(
        R"({"w":{"dtype":"F32","shape":[4]}})", four_floats)) << "tensor 'w': data_offsets must be two non-negative integers";
    QTest::newRow("metadata not strings") << as_array(file_bytes(
        R"({"__metadata__":{"steps":50}})", {})) << "__metadata__ value 'steps' is not a string";
  }

  void rejectsCorruptFiles() {
    QFETCH(QByteArray, bytes);
    QFETCH(QString, expected);
    const std::string message = parse_error(std::vector<uint8_t>(bytes.begin(), bytes.end()));
    QVERIFY2(!message.empty(), "corrupt file was accepted");
    QVERIFY2(message.find("corrupt.safetensors") != std::string::npos, message.c_str());
    QVERIFY2(message.find(expected.toStdString()) != std::string::npos, message.c_str());
  }

  void missingFileNamesPath() {
    try {
      SafetensorsFile::open(m_dir / "absent.safetensors");
      QFAIL("missing file was accepted");
    } catch (const evlf::Error& error) {
      QVERIFY(std::string(error.what()).find("absent.safetensors") != std::string::npos);
    }
  }
};

QTEST_GUILESS_MAIN(TestSafetensors)
#include "test_safetensors.moc"
