// Default bundle lookup: $EVLF_BUNDLE first, then the installed layout
// beside the executable, the source tree and the install prefix.
#include <QtTest>

#include <filesystem>
#include <fstream>

#include "core/io/data_paths.h"
#include "core/runtime/error.h"

class TestDataPaths : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void cleanup() { qunsetenv("EVLF_BUNDLE"); }

  void candidatesStartBesideExecutable() {
    qunsetenv("EVLF_BUNDLE");
    const std::vector<std::filesystem::path> candidates = evlf::io::default_bundle_candidates();
    QCOMPARE(candidates.size(), size_t{3});

    const std::filesystem::path installed =
        (std::filesystem::path(QCoreApplication::applicationDirPath().toStdString()) / ".." / "share" /
         "evlf-studio" / "models" / "fashion-mnist")
            .lexically_normal();
    QCOMPARE(QString::fromStdString(candidates[0].string()), QString::fromStdString(installed.string()));

    const std::filesystem::path source =
        std::filesystem::path(EVLF_SOURCE_DIR) / "resources" / "models" / "fashion-mnist";
    QCOMPARE(QString::fromStdString(candidates[1].string()), QString::fromStdString(source.string()));
    QVERIFY(candidates[2].string().find("evlf-studio/models/fashion-mnist") != std::string::npos);
  }

  void environmentVariableWins() {
    QTemporaryDir temp;
    QVERIFY(temp.isValid());
    const std::filesystem::path folder = temp.path().toStdString();
    std::ofstream(folder / "bundle.json") << "{}";
    qputenv("EVLF_BUNDLE", QByteArray::fromStdString(folder.string()));

    QCOMPARE(evlf::io::default_bundle_candidates().size(), size_t{1});
    const auto found = evlf::io::find_default_bundle();
    QVERIFY(found.has_value());
    QCOMPARE(QString::fromStdString(found->string()), QString::fromStdString(folder.string()));
    QCOMPARE(QString::fromStdString(evlf::io::default_bundle_path().string()), QString::fromStdString(folder.string()));
  }

  void folderWithoutManifestRejected() {
    QTemporaryDir temp;
    QVERIFY(temp.isValid());
    const std::filesystem::path folder = temp.path().toStdString();
    qputenv("EVLF_BUNDLE", QByteArray::fromStdString(folder.string()));

    QVERIFY(!evlf::io::find_default_bundle().has_value());
    try {
      evlf::io::default_bundle_path();
      QFAIL("default_bundle_path returned without a bundle.json");
    } catch (const evlf::Error& error) {
      const QString message = QString::fromUtf8(error.what());
      QVERIFY2(message.contains(QString::fromStdString(folder.string())), qPrintable(message));
      QVERIFY2(message.contains(QStringLiteral("EVLF_BUNDLE")), qPrintable(message));
    }
  }
};

QTEST_GUILESS_MAIN(TestDataPaths)
#include "test_data_paths.moc"
