// IDX reader: the real Fashion-MNIST files and small generated files,
// including wrong magic, truncation and count mismatch.
#include <QtTest>

#include <fstream>

#include "core/data/fashion_mnist.h"
#include "core/data/idx.h"
#include "core/runtime/error.h"
#include "tests/support/test_support.h"

namespace fs = std::filesystem;
using evlf::data::IdxArray;

namespace {

std::string read_error(const fs::path& path) {
  try {
    evlf::data::read_idx(path);
  } catch (const evlf::Error& error) {
    return error.what();
  }
  return "";
}

void write_raw(const fs::path& path, const std::vector<uint8_t>& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

class TestIdx : public QObject {
  Q_OBJECT

 private:
  fs::path m_dir;

 private Q_SLOTS:
  void initTestCase() { m_dir = evlf::test::make_temp_dir("evlf-idx"); }
  void cleanupTestCase() { fs::remove_all(m_dir); }

  void roundTripPlainAndGzip_data() {
    QTest::addColumn<QString>("name");
    QTest::newRow("plain") << "images-idx3-ubyte";
    QTest::newRow("gzip") << "images-idx3-ubyte.gz";
  }

  void roundTripPlainAndGzip() {
    QFETCH(QString, name);
    IdxArray array{{3, 2, 4}, {}};
    for (int i = 0; i < 24; ++i) array.data.push_back(static_cast<uint8_t>(i * 10));
    const fs::path path = m_dir / name.toStdString();
    evlf::data::write_idx(path, array);
    const IdxArray read = evlf::data::read_idx(path);
    QCOMPARE(read.dims, array.dims);
    QCOMPARE(read.data, array.data);
  }

  void wrongMagicRejected() {
    const fs::path path = m_dir / "wrong-magic";
    write_raw(path, {0x1f, 0x00, 0x08, 0x01, 0, 0, 0, 1, 7});
    const std::string message = read_error(path);
    QVERIFY2(message.find("wrong magic number") != std::string::npos, message.c_str());
    QVERIFY2(message.find("wrong-magic") != std::string::npos, message.c_str());
  }

  void otherElementTypeRejected() {
    const fs::path path = m_dir / "floats";
    write_raw(path, {0, 0, 0x0D, 0x01, 0, 0, 0, 1, 0, 0, 0, 0});
    QVERIFY(read_error(path).find("only unsigned bytes") != std::string::npos);
  }

  void truncationRejected() {
    const fs::path path = m_dir / "truncated";
    write_raw(path, {0, 0, 0x08, 0x02, 0, 0, 0, 2, 0, 0, 0, 3, 1, 2, 3, 4});
    const std::string message = read_error(path);
    QVERIFY2(message.find("truncated: its dimensions need 6 data bytes, found 4") != std::string::npos, message.c_str());
  }

  void truncatedDimensionsRejected() {
    const fs::path path = m_dir / "short-dims";
    write_raw(path, {0, 0, 0x08, 0x03, 0, 0, 0, 2});
    QVERIFY(read_error(path).find("truncated inside its dimension list") != std::string::npos);
  }

  void countMismatchRejected() {
    const fs::path images = m_dir / "pair-images";
    const fs::path labels = m_dir / "pair-labels";
    evlf::data::write_idx(images, IdxArray{{2, 2, 2}, std::vector<uint8_t>(8, 1)});
    evlf::data::write_idx(labels, IdxArray{{3}, {0, 1, 0}});
    try {
      evlf::data::load_idx_pair(images, labels, {"a", "b"});
      QFAIL("count mismatch accepted");
    } catch (const evlf::Error& error) {
      const std::string message = error.what();
      QVERIFY2(message.find("holds 2 images but") != std::string::npos, message.c_str());
      QVERIFY2(message.find("holds 3 labels") != std::string::npos, message.c_str());
    }
  }

  void labelOutOfRangeRejected() {
    const fs::path images = m_dir / "range-images";
    const fs::path labels = m_dir / "range-labels";
    evlf::data::write_idx(images, IdxArray{{2, 1, 1}, {5, 6}});
    evlf::data::write_idx(labels, IdxArray{{2}, {0, 4}});
    try {
      evlf::data::load_idx_pair(images, labels, {"a", "b"});
      QFAIL("label out of range accepted");
    } catch (const evlf::Error& error) {
      QVERIFY(std::string(error.what()).find("contains label 4") != std::string::npos);
    }
  }

  void realFashionMnist() {
    const auto folder = evlf::data::find_fashion_mnist();
    if (!folder) QSKIP("Fashion-MNIST not found; install the Debian package dataset-fashion-mnist");

    const auto train = evlf::data::load_fashion_mnist(*folder, evlf::data::Split::Train);
    QCOMPARE(train.images.sizes().vec(), (std::vector<int64_t>{60000, 1, 28, 28}));
    QCOMPARE(train.labels.size(0), int64_t(60000));
    QCOMPARE(train.class_names.size(), std::size_t(10));
    QCOMPARE(train.class_names[9], std::string("Ankle boot"));
    const torch::Tensor counts = torch::bincount(train.labels);
    QVERIFY(counts.eq(6000).all().item<bool>());

    const auto test = evlf::data::load_fashion_mnist(*folder, evlf::data::Split::Test);
    QCOMPARE(test.images.size(0), int64_t(10000));
    QVERIFY(torch::bincount(test.labels).eq(1000).all().item<bool>());
  }
};

QTEST_GUILESS_MAIN(TestIdx)
#include "test_idx.moc"
