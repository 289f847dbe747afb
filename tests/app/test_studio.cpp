// The studio's main window end to end with a tiny random bundle. Worker
// tasks use every core, and panel edits reach the worker as new requests.
// Every view fills from the worker's results, and a curated set is exported
// with its manifest.
#include <QtTest>

#include <QSettings>
#include <QStandardPaths>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <thread>

#include <torch/torch.h>

#include "app/gui/BundlePanel.h"
#include "app/gui/EngineConversions.h"
#include "app/gui/MainWindow.h"
#include "app/gui/Worker.h"
#include "core/io/image_set_writer.h"
#include "core/runtime/error.h"
#include "core/runtime/log.h"
#include "tests/support/test_support.h"
#include "tests/support/tiny_bundle.h"
#include "widgets/AnalysisView.h"
#include "widgets/AttentionView.h"
#include "widgets/CompareView.h"
#include "widgets/CurationModel.h"
#include "widgets/GalleryView.h"
#include "widgets/HeatmapOverlay.h"
#include "widgets/ParameterPanel.h"
#include "widgets/QCustomPlotInclude.h"
#include "widgets/SliderSpinBox.h"
#include "widgets/TimelineView.h"

namespace fs = std::filesystem;

namespace {

constexpr int kWaitMs = 120000;  // results on the tiny bundle arrive within seconds; the limit leaves room for a loaded machine
constexpr int kSteps = 10;
constexpr int kIpc = 2;
const QVector<int> kClasses = {0, 3};

}  // namespace

class TestStudio : public QObject {
  Q_OBJECT

 private:
  /// Waits until the controller reports `key` updated after `spy` was created.
  static bool waitForView(QSignalSpy& spy, const QString& key) {
    QElapsedTimer timer;
    timer.start();
    while (timer.elapsed() < kWaitMs) {
      for (const QList<QVariant>& arguments : spy) {
        if (arguments.at(0).toString() == key) return true;
      }
      spy.wait(200);
    }
    return false;
  }

  fs::path m_root;
  std::unique_ptr<MainWindow> m_window;

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("EVLF Studio tests"));
    QCoreApplication::setApplicationName(QStringLiteral("test_studio"));
    QSettings().clear();

    m_root = evlf::test::make_temp_dir("studio");
    evlf::test::write_tiny_bundle(m_root / "bundle");
    evlf::test::write_tiny_fashion_mnist(m_root / "fashion-mnist", /*per_class=*/12);
    qputenv("EVLF_FASHION_MNIST_DIR", QByteArray::fromStdString((m_root / "fashion-mnist").string()));

    m_window = std::make_unique<MainWindow>();
    SamplingParameters parameters;
    parameters.steps = kSteps;
    parameters.stop_t = kSteps / 2;
    parameters.ipc = kIpc;
    m_window->parameterPanel()->setParameters(parameters);
    m_window->controller()->setParameters(m_window->parameterPanel()->parameters());
    m_window->controller()->setClasses(kClasses);
    m_window->show();
  }

  void cleanupTestCase() {
    m_window.reset();
    QSettings().clear();
  }

  void workerTasksUseAllCores() {
    // The main window's engine has set the thread count, so a worker started afterwards uses it.
    Worker worker;
    QSignalSpy finished(&worker, &Worker::taskFinished);
    std::atomic<int> threads{0};
    worker.submit("probe", [&threads](const evlf::JobControl&) { threads = torch::get_num_threads(); });
    QTRY_COMPARE(finished.count(), 1);

    const int hardwareThreads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    QCOMPARE(threads.load(), hardwareThreads);
  }

  void tensorToImageKeepsPixels() {
    const torch::Tensor grey = torch::arange(6, torch::kUInt8).reshape({1, 2, 3});
    const QImage greyImage = tensorToImage(grey);
    QCOMPARE(greyImage.format(), QImage::Format_Grayscale8);
    QCOMPARE(greyImage.size(), QSize(3, 2));
    QCOMPARE(qGray(greyImage.pixel(2, 1)), 5);

    const torch::Tensor rgb = torch::zeros({3, 2, 2}, torch::kUInt8).index_put_({0, 1, 0}, 200);
    const QImage rgbImage = tensorToImage(rgb);
    QCOMPARE(rgbImage.format(), QImage::Format_RGB888);
    QCOMPARE(qRed(rgbImage.pixel(0, 1)), 200);
    QCOMPARE(qGreen(rgbImage.pixel(0, 1)), 0);

    const torch::Tensor twoChannels = torch::zeros({2, 2, 2}, torch::kUInt8);
    QVERIFY_THROWS_EXCEPTION(evlf::Error, tensorToImage(twoChannels));
  }

  void panelParametersMapToSettings() {
    SamplingParameters parameters;
    parameters.fusion_weight = 0.25;
    parameters.sampler = Sampler::Ddim;
    parameters.seed = 7;
    parameters.steps = 20;
    const evlf::distill::SamplingSettings settings = toSamplingSettings(parameters);
    QCOMPARE(settings.fusion_weight, 0.25);
    QCOMPARE(settings.sampler, std::string("ddim"));
    QCOMPARE(settings.seed, uint64_t{7});
    QCOMPARE(settings.steps, int64_t{20});
    QCOMPARE(settings.cfg_scale, parameters.cfg_scale);
  }

  void openBundleFillsCompareView() {
    QSignalSpy updated(m_window->controller(), &StudioController::viewUpdated);
    m_window->openBundle(QString::fromStdString((m_root / "bundle").string()));
    QVERIFY(waitForView(updated, QStringLiteral("compare")));

    QCOMPARE(m_window->bundlePanel()->classList()->count(), 10);
    QCOMPARE(m_window->bundlePanel()->checkedClasses(), kClasses);
    const QVector<CompareRow>& rows = m_window->compareView()->rows();
    QCOMPARE(rows.size(), kClasses.size() * m_window->bundlePanel()->slotCount());
    for (const CompareRow& row : rows) {
      QVERIFY(kClasses.contains(row.class_index));
      QCOMPARE(row.late.size(), QSize(28, 28));
      QCOMPARE(row.early.size(), QSize(28, 28));
      QCOMPARE(row.nearest_real.size(), QSize(28, 28));
    }
    QVERIFY(!m_window->compareView()->isStale());
  }

  void fusionSliderChangesSubmittedRequest() {
    StudioController* controller = m_window->controller();
    const int before = controller->submittedCount(QStringLiteral("compare"));
    QSignalSpy updated(controller, &StudioController::viewUpdated);
    QSignalSpy latency(controller, &StudioController::compareLatencyMeasured);

    m_window->parameterPanel()->fusionWeightEditor()->spinBox()->setValue(0.5);

    QCOMPARE(controller->submittedCount(QStringLiteral("compare")), before + 1);
    const StudioRequest request = controller->submittedRequest(QStringLiteral("compare"));
    QCOMPARE(request.parameters.fusion_weight, 0.5);
    QCOMPARE(toSamplingSettings(request.parameters).fusion_weight, 0.5);
    QCOMPARE(request.parameters.steps, kSteps);
    QVERIFY(m_window->compareView()->isStale());

    QVERIFY(waitForView(updated, QStringLiteral("compare")));
    QVERIFY(!m_window->compareView()->isStale());
    QCOMPARE(latency.count(), 1);
    QVERIFY(latency.at(0).at(0).toDouble() > 0.0);
  }

  void slotsChangeResubmitsCompare() {
    StudioController* controller = m_window->controller();
    QSignalSpy updated(controller, &StudioController::viewUpdated);
    m_window->bundlePanel()->slotsEditor()->setValue(1);
    QCOMPARE(controller->submittedRequest(QStringLiteral("compare")).slots, 1);
    QVERIFY(waitForView(updated, QStringLiteral("compare")));
    QCOMPARE(m_window->compareView()->rows().size(), kClasses.size());
  }

  void attentionViewFills() {
    QSignalSpy updated(m_window->controller(), &StudioController::viewUpdated);
    m_window->showView(StudioController::View::Attention);
    QVERIFY(waitForView(updated, QStringLiteral("attention")));
    auto* view = m_window->findChild<AttentionView*>();
    QVERIFY(view != nullptr);
    QVERIFY(!view->earlyOverlay()->heatImage().isNull());
    QVERIFY(!view->lateOverlay()->heatImage().isNull());
    QCOMPARE(view->stepSlider()->maximum(), kSteps - 1);
  }

  void timelineViewFills() {
    QSignalSpy updated(m_window->controller(), &StudioController::viewUpdated);
    m_window->showView(StudioController::View::Timeline);
    QVERIFY(waitForView(updated, QStringLiteral("timeline")));
    auto* view = m_window->findChild<TimelineView*>();
    QCOMPARE(static_cast<int>(view->trace(Pipeline::Late).steps.size()), kSteps);
    QCOMPARE(static_cast<int>(view->trace(Pipeline::Early).steps.size()), kSteps);
    QVERIFY(!view->trace(Pipeline::Early).steps.back().pred_xstart.isNull());
  }

  void analysisViewFills() {
    QSignalSpy updated(m_window->controller(), &StudioController::viewUpdated);
    m_window->showView(StudioController::View::Analysis);
    QVERIFY(waitForView(updated, QStringLiteral("analysis")));
    auto* view = m_window->findChild<AnalysisView*>();
    QVERIFY(view->pcaPlot()->plottableCount() > 0);
    QVERIFY(view->overCorrectionPlot()->plottableCount() > 0);
  }

  void curatedSetExports() {
    StudioController* controller = m_window->controller();
    QSignalSpy updated(controller, &StudioController::viewUpdated);
    m_window->showView(StudioController::View::Curate);
    controller->generateSet();
    QVERIFY(waitForView(updated, QStringLiteral("set")));

    CurationModel* model = m_window->galleryView()->model();
    QCOMPARE(model->rowCount(), static_cast<int>(kClasses.size()) * kIpc * 2);
    const QVector<int> kept = {0, 1, 5};
    for (int id : kept) model->setState(id, CurationState::Kept);
    model->setState(2, CurationState::Rejected);

    const fs::path target = m_root / "export";
    QSignalSpy exported(controller, &StudioController::exportFinished);
    m_window->exportKept(QString::fromStdString(target.string()));
    QVERIFY(exported.wait(kWaitMs));
    QCOMPARE(exported.at(0).at(1).toInt(), kept.size());

    const nlohmann::json manifest = evlf::io::read_image_set_manifest(target);
    QCOMPARE(static_cast<int>(manifest.at("images").size()), kept.size());
    int pngs = 0;
    for (const auto& entry : fs::recursive_directory_iterator(target)) {
      if (entry.path().extension() == ".png") ++pngs;
    }
    QCOMPARE(pngs, kept.size());
  }

  void evaluateSetsReportsAccuracy() {
    QSignalSpy messages(m_window->controller(), &StudioController::statusMessage);
    QSignalSpy failed(m_window->controller(), &StudioController::taskFailed);
    m_window->controller()->evaluateSets();
    QTRY_VERIFY_WITH_TIMEOUT(!messages.isEmpty() && messages.last().at(0).toString().contains(QStringLiteral("ConvNet-3")),
                             kWaitMs);
    QCOMPARE(failed.count(), 0);
    const QString summary = messages.last().at(0).toString();
    QVERIFY2(summary.contains(QStringLiteral("late:")), qPrintable(summary));
    QVERIFY2(summary.contains(QStringLiteral("early:")), qPrintable(summary));
  }

  void settingsRestoreParameters() {
    {
      MainWindow first;
      SamplingParameters parameters;
      parameters.fusion_weight = 0.3;
      parameters.sampler = Sampler::Ddim;
      parameters.ipc = 4;
      first.parameterPanel()->setParameters(parameters);
      first.bundlePanel()->setSlotCount(3);
      first.bundlePanel()->setDataset(QStringLiteral("/data/folder"));
      first.close();
    }
    MainWindow second;
    QCOMPARE(second.parameterPanel()->parameters().fusion_weight, 0.3);
    QCOMPARE(second.parameterPanel()->parameters().sampler, Sampler::Ddim);
    QCOMPARE(second.parameterPanel()->parameters().ipc, 4);
    QCOMPARE(second.bundlePanel()->slotCount(), 3);
    QCOMPARE(second.bundlePanel()->dataset(), QStringLiteral("/data/folder"));
    QCOMPARE(second.controller()->request().slots, 3);
    QCOMPARE(second.controller()->request().parameters.fusion_weight, 0.3);
    QSettings().clear();
  }

  void missingBundleReportsError() {
    QSignalSpy failed(m_window->controller(), &StudioController::taskFailed);
    m_window->openBundle(QString::fromStdString((m_root / "no-such-bundle").string()));
    QVERIFY(failed.wait(kWaitMs));
    QCOMPARE(failed.at(0).at(0).toString(), QStringLiteral("load"));
    QVERIFY2(failed.at(0).at(1).toString().contains(QStringLiteral("not found")),
             qPrintable(failed.at(0).at(1).toString()));
  }

  /// Measures the time from a fusion-weight edit to the refreshed compare
  /// view on a real bundle and dataset; skipped unless a bundle is named.
  void compareLatencyOnBundle() {
    const QString bundle = qEnvironmentVariable("EVLF_STUDIO_LATENCY_BUNDLE");
    if (bundle.isEmpty()) QSKIP("set EVLF_STUDIO_LATENCY_BUNDLE to a bundle folder to measure the compare latency");
    const QByteArray tinyData = qgetenv("EVLF_FASHION_MNIST_DIR");
    qunsetenv("EVLF_FASHION_MNIST_DIR");

    // The controller logs when the first class and when all rows arrive.
    const int logId = evlf::add_log_callback([](evlf::LogLevel, const std::string& line) {
      if (line.find("compare view") != std::string::npos) qInfo("%s", line.c_str());
    });
    MainWindow window;
    window.show();
    QSignalSpy updated(window.controller(), &StudioController::viewUpdated);
    QSignalSpy latency(window.controller(), &StudioController::compareLatencyMeasured);
    QSignalSpy visibleLatency(window.controller(), &StudioController::compareVisibleLatencyMeasured);
    window.openBundle(bundle);
    QVERIFY(waitForView(updated, QStringLiteral("compare")));
    const int rows = static_cast<int>(window.compareView()->rows().size());
    // Three fusion-weight edits (only the early pipeline resamples), then two CFG edits (both resample).
    const QStringList edits = {"fusion weight", "fusion weight", "fusion weight", "CFG scale", "CFG scale"};
    for (double weight : {0.8, 0.6, 0.4}) {
      updated.clear();
      window.parameterPanel()->fusionWeightEditor()->spinBox()->setValue(weight);
      QVERIFY(waitForView(updated, QStringLiteral("compare")));
    }
    for (double scale : {3.0, 2.0}) {
      updated.clear();
      window.parameterPanel()->cfgScaleEditor()->spinBox()->setValue(scale);
      QVERIFY(waitForView(updated, QStringLiteral("compare")));
    }
    evlf::remove_log_callback(logId);
    QCOMPARE(visibleLatency.count(), edits.size());
    QCOMPARE(latency.count(), edits.size());
    for (int i = 0; i < edits.size(); ++i) {
      qInfo("compare view, %s edit: rows on screen after %.0f ms, all %d rows after %.0f ms", qPrintable(edits[i]),
            visibleLatency.at(i).at(0).toDouble(), rows, latency.at(i).at(0).toDouble());
    }
    qputenv("EVLF_FASHION_MNIST_DIR", tinyData);
  }
};

QTEST_MAIN(TestStudio)
#include "test_studio.moc"
