// The evlf command line as a user runs it: every training command on a
// small subset with Ctrl-C and resume, bundle check, distill with atomic
// output, and clear errors for bad arguments.
#include <QtTest>

#include <csignal>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/data/fashion_mnist.h"
#include "tests/support/test_support.h"

namespace fs = std::filesystem;

namespace {

struct Run {
  int exit_code = -1;
  QString output;  // standard output and standard error together
};

QProcessEnvironment test_environment(const fs::path& cache) {
  QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
  environment.insert("EVLF_CACHE_DIR", QString::fromStdString(cache.string()));
  environment.insert("OMP_NUM_THREADS", "2");
  return environment;
}

void write_json(const fs::path& path, const nlohmann::json& value) { std::ofstream(path) << value.dump(2); }

}  // namespace

class TestCli : public QObject {
  Q_OBJECT

 private:
  fs::path m_dir;
  fs::path m_bundle;
  bool m_haveData = false;

  Run run(const QStringList& arguments, int timeout_ms = 300000) {
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.setProcessEnvironment(test_environment(m_dir / "cache"));
    process.start(EVLF_CLI_PATH, arguments);
    process.waitForFinished(timeout_ms);
    return {process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1, QString::fromUtf8(process.readAll())};
  }

  /// Starts a command, sends SIGINT once `marker` appears in its output,
  /// and returns how it ended.
  Run interrupt(const QStringList& arguments, const QString& marker) {
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    process.setProcessEnvironment(test_environment(m_dir / "cache"));
    process.start(EVLF_CLI_PATH, arguments);
    QString output;
    while (process.state() != QProcess::NotRunning && !output.contains(marker)) {
      process.waitForReadyRead(1000);
      output += QString::fromUtf8(process.readAll());
    }
    ::kill(static_cast<pid_t>(process.processId()), SIGINT);
    process.waitForFinished(120000);
    output += QString::fromUtf8(process.readAll());
    return {process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1, output};
  }

  QStringList train(const QString& command, const QString& config, const QStringList& extra = {}) {
    QStringList arguments = {"train", command, "--bundle", QString::fromStdString(m_bundle.string()),
                             "--config", QString::fromStdString((m_dir / config.toStdString()).string()),
                             "--subset", "200"};
    return arguments + extra;
  }

 private Q_SLOTS:
  void initTestCase() {
    m_dir = evlf::test::make_temp_dir("evlf-cli");
    m_bundle = m_dir / "bundle";
    m_haveData = evlf::data::find_fashion_mnist().has_value();
    write_json(m_dir / "autoencoder.json",
               {{"model", {{"block_out_channels", {8, 16, 16}}, {"norm_num_groups", 8}}},
                {"train", {{"steps", 4}, {"batch_size", 8}, {"psnr_images", 50}, {"checkpoint_every", 2}}}});
    write_json(m_dir / "text-encoder.json",
               {{"model", {{"hidden_size", 32}, {"intermediate_size", 64}, {"num_layers", 1}, {"num_heads", 2}}},
                {"train", {{"steps", 3}, {"batch_size", 16}}}});
    write_json(m_dir / "denoiser.json", {{"model", {{"hidden_size", 32}, {"depth", 1}, {"num_heads", 2}}},
                                         {"train", {{"steps", 3}, {"batch_size", 8}, {"checkpoint_every", 1}}}});
    write_json(m_dir / "fusion.json", {{"model", {{"embed_dim", 32}, {"num_heads", 2}, {"num_layers", 1}}},
                                       {"train", {{"epochs", 1}, {"batch_size", 16}}}});
    write_json(m_dir / "finetune.json", {{"train", {{"steps", 2}, {"batch_size", 8}}}});
    write_json(m_dir / "classifier.json", {{"model", {{"width", 8}}}, {"train", {{"epochs", 2}, {"batch_size", 64}}}});
  }

  void cleanupTestCase() { fs::remove_all(m_dir); }

  void inspectRejectsCorruptFile() {
    const fs::path path = m_dir / "corrupt.safetensors";
    std::ofstream(path) << "\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":";
    const Run result = run({"inspect", QString::fromStdString(path.string())});
    QVERIFY2(result.exit_code != 0, qPrintable(result.output));
    QVERIFY2(result.output.contains("corrupt.safetensors"), qPrintable(result.output));
  }

  void trainingCommandsBuildBundle() {
    if (!m_haveData) QSKIP("Fashion-MNIST not found; install the Debian package dataset-fashion-mnist");
    for (const auto& [command, config] : std::vector<std::pair<QString, QString>>{
             {"autoencoder", "autoencoder.json"}, {"text-encoder", "text-encoder.json"}, {"denoiser", "denoiser.json"},
             {"fusion", "fusion.json"}, {"finetune-denoiser", "finetune.json"}, {"classifier", "classifier.json"}}) {
      const Run result = run(train(command, config));
      QVERIFY2(result.exit_code == 0, qPrintable(command + ": " + result.output));
    }
    const Run check = run({"bundle", "check", QString::fromStdString(m_bundle.string())});
    QVERIFY2(check.exit_code == 0, qPrintable(check.output));
    QVERIFY2(check.output.contains("bundle OK"), qPrintable(check.output));
    QVERIFY2(check.output.contains("classifier: ConvNet"), qPrintable(check.output));
    QVERIFY(fs::exists(m_bundle / "metrics" / "denoiser.jsonl"));
  }

  void qualityJudgesBothPipelines() {
    if (!m_haveData) QSKIP("Fashion-MNIST not found");
    const fs::path out = m_dir / "quality";
    const Run result = run({"quality", "--bundle", QString::fromStdString(m_bundle.string()), "--ipc", "6", "--steps",
                            "3", "--stop-t", "1", "--out", QString::fromStdString(out.string())});
    QVERIFY2(result.exit_code == 0, qPrintable(result.output));
    QVERIFY2(result.output.contains("classifier accuracy"), qPrintable(result.output));
    QVERIFY2(result.output.contains("reconstruction PSNR"), qPrintable(result.output));
    std::ifstream in(out / "quality.json");
    const nlohmann::json report = nlohmann::json::parse(in);
    QCOMPARE(report["sets"].size(), std::size_t(3));
    for (const auto& set : report["sets"]) {
      QCOMPARE(set["class_coverage"].size(), std::size_t(10));
      QVERIFY(set["accuracy"].get<double>() >= 0.0 && set["accuracy"].get<double>() <= 1.0);
    }
    QVERIFY(fs::exists(out / "samples" / "early" / "manifest.json"));
  }

  void trainingResumesFromCheckpoint() {
    if (!m_haveData) QSKIP("Fashion-MNIST not found");
    const Run result = run(train("autoencoder", "autoencoder.json", {"--steps", "6"}));
    QVERIFY2(result.exit_code == 0, qPrintable(result.output));
    QVERIFY2(result.output.contains("resumed autoencoder training at step 4"), qPrintable(result.output));
  }

  void ctrlCLeavesValidCheckpoint() {
    if (!m_haveData) QSKIP("Fashion-MNIST not found");
    const QStringList arguments = train("denoiser", "denoiser.json", {"--steps", "100000", "--checkpoint",
                                        QString::fromStdString((m_dir / "interrupted.safetensors").string())});
    const Run stopped = interrupt(arguments, "train denoiser");
    QCOMPARE(stopped.exit_code, 130);
    QVERIFY2(stopped.output.contains("run the same command again to resume"), qPrintable(stopped.output));
    QVERIFY(fs::exists(m_dir / "interrupted.safetensors"));

    QStringList resumed_arguments = arguments;
    resumed_arguments[resumed_arguments.indexOf("100000")] = "1";
    const Run resumed = run(resumed_arguments);
    QVERIFY2(resumed.exit_code == 0, qPrintable(resumed.output));
    QVERIFY2(resumed.output.contains("resumed from"), qPrintable(resumed.output));
  }

  void distillWritesBothSets() {
    if (!m_haveData) QSKIP("Fashion-MNIST not found");
    const fs::path out = m_dir / "distilled";
    const Run result = run({"distill", "--bundle", QString::fromStdString(m_bundle.string()), "--ipc", "2", "--steps", "3",
                            "--stop-t", "1", "--classes", "0,Trouser", "--out", QString::fromStdString(out.string())});
    QVERIFY2(result.exit_code == 0, qPrintable(result.output));
    for (const char* pipeline : {"late", "early"}) {
      QVERIFY(fs::exists(out / pipeline / "manifest.json"));
      int pngs = 0;
      for (const auto& entry : fs::recursive_directory_iterator(out / pipeline)) pngs += entry.path().extension() == ".png";
      QCOMPARE(pngs, 4);
    }
  }

  void cancelledDistillKeepsPreviousSet() {
    if (!m_haveData) QSKIP("Fashion-MNIST not found");
    const fs::path out = m_dir / "distilled";
    QVERIFY(fs::exists(out / "late" / "manifest.json"));
    const Run stopped = interrupt({"distill", "--bundle", QString::fromStdString(m_bundle.string()), "--ipc", "2",
                                   "--steps", "1000", "--stop-t", "1", "--classes", "0", "--out",
                                   QString::fromStdString(out.string())},
                                  "sample");
    QCOMPARE(stopped.exit_code, 130);
    QVERIFY(fs::exists(out / "late" / "manifest.json"));
    QVERIFY(fs::exists(out / "early" / "manifest.json"));
    int leftovers = 0;
    for (const auto& entry : fs::directory_iterator(m_dir)) leftovers += entry.path().filename().string().find(".tmp-") != std::string::npos;
    QCOMPARE(leftovers, 0);
  }

  void badArgumentsNameValueAndFix_data() {
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("expected");
    QTest::newRow("ipc larger than class") << QStringList{"--ipc", "7000"} << "IPC 7000 is larger than class";
    QTest::newRow("unknown class") << QStringList{"--classes", "Hat"} << "unknown class 'Hat'";
    QTest::newRow("missing dataset") << QStringList{"--dataset", "/nonexistent/data"} << "dataset '/nonexistent/data' not found";
    QTest::newRow("negative steps") << QStringList{"--steps", "-5"} << "invalid step count -5";
    QTest::newRow("unwritable output") << QStringList{"--out", "/proc/evlf-forbidden/set"} << "is not writable";
    QTest::newRow("missing bundle") << QStringList{"--bundle", "/nonexistent/bundle"} << "bundle folder '/nonexistent/bundle' not found";
  }

  void badArgumentsNameValueAndFix() {
    if (!m_haveData) QSKIP("Fashion-MNIST not found");
    QFETCH(QStringList, arguments);
    QFETCH(QString, expected);
    QStringList full = {"distill", "--bundle", QString::fromStdString(m_bundle.string()), "--ipc", "1", "--steps", "2",
                        "--stop-t", "0", "--out", QString::fromStdString((m_dir / "bad").string())};
    for (int i = 0; i + 1 < arguments.size(); i += 2) {
      const int at = full.indexOf(arguments[i]);
      if (at >= 0) full[at + 1] = arguments[i + 1];
      else full << arguments[i] << arguments[i + 1];
    }
    const Run result = run(full);
    QVERIFY2(result.exit_code != 0, qPrintable(result.output));
    QVERIFY2(result.output.contains(expected), qPrintable(result.output));
    QVERIFY(!fs::exists(m_dir / "bad"));
  }
};

QTEST_GUILESS_MAIN(TestCli)
#include "test_cli.moc"
