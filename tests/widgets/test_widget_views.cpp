// Compare, attention, timeline and analysis views: colour mapping, opacity,
// attention averaging, incremental updates, and a non-blank render of each
// view fed with synthetic data.
#include <QtTest>

#include <QComboBox>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSlider>

#include "tests/widgets/synthetic_data.h"
#include "widgets/AnalysisView.h"
#include "widgets/AttentionView.h"
#include "widgets/ColorMap.h"
#include "widgets/CompareView.h"
#include "widgets/HeatmapOverlay.h"
#include "widgets/LogPanel.h"
#include "widgets/ProgressBanner.h"
#include "widgets/QCustomPlotInclude.h"
#include "widgets/TimelineView.h"

using evlf::test::classImage;
using evlf::test::distinctColors;
using evlf::test::fashionClassNames;
using evlf::test::noisyImage;
using evlf::test::saveSnapshot;

namespace {

constexpr int kTracedSteps = 50;
constexpr int kReplotWaitMs = 120;  // longer than the 33 ms replot interval

/// Builds a grid whose every map peaks at a token- and layer-dependent cell.
AttentionGrid makeGrid(int layers, int heads, int tokens, int side, int shift) {
  AttentionGrid grid{layers, heads, tokens, side, side, {}};
  grid.values.resize(static_cast<size_t>(layers) * heads * tokens * side * side);
  size_t i = 0;
  for (int l = 0; l < layers; ++l) {
    for (int h = 0; h < heads; ++h) {
      for (int t = 0; t < tokens; ++t) {
        const double cx = (t * 3 + l + shift) % side;
        const double cy = (t * 5 + h + shift) % side;
        for (int y = 0; y < side; ++y) {
          for (int x = 0; x < side; ++x) {
            const double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
            grid.values[i++] = static_cast<float>(std::exp(-d2 / (0.1 * side * side)));
          }
        }
      }
    }
  }
  return grid;
}

AttentionMaps makeMaps() {
  AttentionMaps maps;
  maps.tokens = {"<start>", "a", "photo", "of", "a", "coat", "<end>"};
  maps.early_image = classImage(4, 1).scaled(28, 28);
  maps.late_image = classImage(4, 2);
  maps.early_fusion = makeGrid(2, 4, static_cast<int>(maps.tokens.size()), 4, 0);
  for (int step = 0; step < 5; ++step) {
    maps.late.push_back(makeGrid(3, 2, static_cast<int>(maps.tokens.size()), 8, step));
    maps.late_timesteps.push_back(999 - step * 200);
  }
  return maps;
}

TimelineTrace makeTrace(int classIndex, double guidanceScale) {
  TimelineTrace trace;
  const QImage clean = classImage(classIndex, 0);
  for (int step = 0; step < kTracedSteps; ++step) {
    const double noise = 1.0 - (step + 1.0) / kTracedSteps;
    TimelineStep data;
    data.timestep = static_cast<int>(std::lround(999.0 * noise));
    data.x_t = noisyImage(clean, noise, 17);
    data.pred_xstart = noisyImage(clean, 0.5 * noise, 23);
    data.latent_norm = 20.0 + 15.0 * noise;
    data.mode_distance = 8.0 * noise + 0.5 * guidanceScale;
    data.guidance_norm = step < 25 ? guidanceScale * (1.0 - step / 25.0) : 0.0;
    trace.steps.push_back(data);
  }
  return trace;
}

QVector<CompareRow> makeRows() {
  QVector<CompareRow> rows;
  for (int c : {0, 1, 4}) {
    for (int slot = 0; slot < 2; ++slot) {
      CompareRow row;
      row.class_index = c;
      row.class_name = fashionClassNames()[c];
      row.slot = slot;
      row.late = noisyImage(classImage(c, slot), 0.15, 3 + slot);
      row.early = noisyImage(classImage(c, slot + 4), 0.05, 5 + slot);
      row.nearest_real = classImage(c, slot + 7);
      row.late_caption = QStringLiteral("p = 0.99");
      row.early_caption = QStringLiteral("p = 0.87");
      row.real_caption = QStringLiteral("d = 3.2");
      rows.append(row);
    }
  }
  return rows;
}

QRgb pixelAt(const QImage& image, const QPoint& point) { return image.convertToFormat(QImage::Format_ARGB32).pixel(point); }

}  // namespace

class TestWidgetViews : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void colorMapEndsAreDistinct() {
    for (ColorMap::Kind kind : {ColorMap::Kind::Viridis, ColorMap::Kind::Inferno}) {
      const QRgb low = ColorMap::colorAt(kind, 0.0);
      const QRgb high = ColorMap::colorAt(kind, 1.0);
      QVERIFY(qGray(low) < qGray(ColorMap::colorAt(kind, 0.5)));
      QVERIFY(qGray(ColorMap::colorAt(kind, 0.5)) < qGray(high));
      QCOMPARE(ColorMap::colorAt(kind, -3.0), low);
      QCOMPARE(ColorMap::colorAt(kind, 7.0), high);
      QCOMPARE(ColorMap::colorAt(kind, std::nan("")), low);
    }
  }

  void heatmapMinMaxHitColorMapEnds() {
    HeatmapOverlay overlay;
    overlay.setColorMap(ColorMap::Kind::Viridis);
    overlay.setHeatmap({2.0f, 5.0f, 8.0f, 3.5f}, 2, 2);

    QCOMPARE(overlay.rangeMinimum(), 2.0);
    QCOMPARE(overlay.rangeMaximum(), 8.0);
    const QImage heat = overlay.heatImage();
    QCOMPARE(heat.size(), QSize(2, 2));
    QCOMPARE(heat.pixel(0, 0), ColorMap::colorAt(ColorMap::Kind::Viridis, 0.0));
    QCOMPARE(heat.pixel(0, 1), ColorMap::colorAt(ColorMap::Kind::Viridis, 1.0));
    QCOMPARE(heat.pixel(1, 0), ColorMap::colorAt(ColorMap::Kind::Viridis, 0.5));
  }

  void heatmapFixedRangeClamps() {
    HeatmapOverlay overlay;
    overlay.setRange(0.0, 1.0);
    overlay.setHeatmap({-1.0f, 0.25f, 2.0f}, 3, 1);
    QCOMPARE(overlay.heatImage().pixel(0, 0), ColorMap::colorAt(ColorMap::Kind::Inferno, 0.0));
    QCOMPARE(overlay.heatImage().pixel(2, 0), ColorMap::colorAt(ColorMap::Kind::Inferno, 1.0));
  }

  void heatmapSizeMismatchClears() {
    HeatmapOverlay overlay;
    overlay.setHeatmap({1.0f, 2.0f, 3.0f}, 2, 2);
    QVERIFY(overlay.heatImage().isNull());
  }

  void opacityZeroShowsBaseImage() {
    QImage base(4, 4, QImage::Format_ARGB32);
    for (int y = 0; y < 4; ++y) {
      for (int x = 0; x < 4; ++x) base.setPixel(x, y, qRgb(40 * x, 40 * y, 200));
    }
    HeatmapOverlay overlay;
    overlay.setBaseImage(base);
    overlay.setHeatmap(std::vector<float>(16, 1.0f), 4, 4);
    overlay.resize(128, 128);
    QCOMPARE(overlay.size(), QSize(128, 128));

    // Cell (x, y) of the 4 x 4 image covers the 32 x 32 block at (32x, 32y).
    overlay.setOpacity(0.0);
    const QImage hidden = overlay.grab().toImage();
    for (int y = 0; y < 4; ++y) {
      for (int x = 0; x < 4; ++x) QCOMPARE(pixelAt(hidden, QPoint(32 * x + 16, 32 * y + 16)), base.pixel(x, y));
    }

    overlay.setOpacity(1.0);
    const QImage opaque = overlay.grab().toImage();
    QCOMPARE(pixelAt(opaque, QPoint(16, 16)), overlay.heatImage().pixel(0, 0));
  }

  void attentionGridAverages() {
    AttentionGrid grid{2, 2, 2, 1, 2, {}};
    // Layout [layers, heads, tokens, height, width]. Token 1 contains 10 * (2 * layer + head) + x.
    for (int l = 0; l < 2; ++l) {
      for (int h = 0; h < 2; ++h) {
        for (int t = 0; t < 2; ++t) {
          for (int x = 0; x < 2; ++x) grid.values.push_back(t == 1 ? 10.0f * (2 * l + h) + x : -1.0f);
        }
      }
    }
    QVERIFY(grid.isValid());
    QCOMPARE(grid.map(1, 0, 1), (std::vector<float>{20.0f, 21.0f}));
    QCOMPARE(grid.map(AttentionGrid::kAverage, 1, 1), (std::vector<float>{20.0f, 21.0f}));
    QCOMPARE(grid.map(0, AttentionGrid::kAverage, 1), (std::vector<float>{5.0f, 6.0f}));
    QCOMPARE(grid.map(AttentionGrid::kAverage, AttentionGrid::kAverage, 1), (std::vector<float>{15.0f, 16.0f}));
    QVERIFY(grid.map(2, 0, 1).empty());
    QVERIFY(grid.map(0, 0, 2).empty());
    grid.values.pop_back();
    QVERIFY(!grid.isValid());
  }

  void attentionViewFollowsSelectors() {
    AttentionView view;
    view.setMaps(makeMaps());
    QCOMPARE(view.currentToken(), 0);
    QCOMPARE(view.earlyLayerSelector()->count(), 3);  // average + 2 layers
    QCOMPARE(view.earlyHeadSelector()->count(), 5);   // average + 4 heads
    QCOMPARE(view.lateLayerSelector()->count(), 4);
    QCOMPARE(view.stepSlider()->maximum(), 4);
    QCOMPARE(view.earlyOverlay()->heatImage().size(), QSize(4, 4));
    QCOMPARE(view.lateOverlay()->heatImage().size(), QSize(8, 8));

    const QImage firstToken = view.earlyOverlay()->heatImage();
    view.setCurrentToken(5);
    QVERIFY(view.earlyOverlay()->heatImage() != firstToken);

    const QImage firstStep = view.lateOverlay()->heatImage();
    view.setCurrentStep(3);
    QVERIFY(view.lateOverlay()->heatImage() != firstStep);

    view.earlyLayerSelector()->setCurrentIndex(1);
    const QImage layerZero = view.earlyOverlay()->heatImage();
    view.earlyLayerSelector()->setCurrentIndex(2);
    QVERIFY(view.earlyOverlay()->heatImage() != layerZero);

    view.setOpacity(0.25);
    QCOMPARE(view.earlyOverlay()->opacity(), 0.25);
    QCOMPARE(view.lateOverlay()->opacity(), 0.25);

    view.resize(900, 480);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QTest::qWait(kReplotWaitMs);
    const QImage image = view.grab().toImage();
    QVERIFY(!image.isNull());
    QVERIFY(distinctColors(image) > 16);
    saveSnapshot(&view, QStringLiteral("attention_view"));
  }

  void attentionViewWithoutMaps() {
    AttentionView view;
    view.setMaps(AttentionMaps{});
    QVERIFY(view.earlyOverlay()->heatImage().isNull());
    QVERIFY(view.lateOverlay()->heatImage().isNull());
    QVERIFY(!view.grab().isNull());
  }

  void compareViewFillsIncrementally() {
    CompareView view;
    QVector<CompareRow> pending = makeRows();
    for (CompareRow& row : pending) row.early = QImage();
    view.setRows(pending);
    QCOMPARE(view.rows().size(), 6);

    view.setStale(true);
    QVERIFY(view.isStale());
    for (int i = 0; i < 6; ++i) QVERIFY(view.isRowStale(i));

    const QVector<CompareRow> done = makeRows();
    view.updateRow(1, done[1]);
    QVERIFY(!view.isRowStale(1));
    QVERIFY(view.isRowStale(0));
    view.setImage(0, CompareView::Column::Early, done[0].early, QStringLiteral("p = 0.5"));
    QVERIFY(!view.isRowStale(0));
    QCOMPARE(view.rows()[0].early_caption, QStringLiteral("p = 0.5"));
    QVERIFY(view.isStale());
    view.updateRow(99, done[0]);  // ignored

    view.resize(560, 640);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    const QImage image = view.grab().toImage();
    QVERIFY(distinctColors(image) > 16);
    saveSnapshot(&view, QStringLiteral("compare_view_pending"));

    for (int i = 0; i < done.size(); ++i) view.updateRow(i, done[i]);
    QVERIFY(!view.isStale());
    QTest::qWait(kReplotWaitMs);  // lets the layout close the gap of the hidden banner
    saveSnapshot(&view, QStringLiteral("compare_view"));
  }

  void timelineViewTracesBothPipelines() {
    TimelineView view;
    QSignalSpy spy(&view, &TimelineView::currentStepChanged);
    view.setStepCount(kTracedSteps);
    view.setTrace(Pipeline::Late, makeTrace(4, 2.0));
    const TimelineTrace early = makeTrace(4, 1.0);
    for (const TimelineStep& step : early.steps) view.appendStep(Pipeline::Early, step);

    QCOMPARE(view.trace(Pipeline::Late).steps.size(), size_t(kTracedSteps));
    QCOMPARE(view.trace(Pipeline::Early).steps.size(), size_t(kTracedSteps));
    QCOMPARE(view.scrubber()->maximum(), kTracedSteps - 1);
    QCOMPARE(view.plot()->graphCount(), 6);
    for (int i = 0; i < view.plot()->graphCount(); ++i) QCOMPARE(view.plot()->graph(i)->dataCount(), kTracedSteps);

    spy.clear();
    view.scrubber()->setValue(12);
    QCOMPARE(view.currentStep(), 12);
    QCOMPARE(spy.count(), 1);
    QCOMPARE(spy.at(0).at(0).toInt(), 12);

    view.resize(980, 720);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QTest::qWait(kReplotWaitMs);
    const QImage image = view.grab().toImage();
    QVERIFY(distinctColors(image) > 16);
    saveSnapshot(&view, QStringLiteral("timeline_view"));

    view.clear();
    QCOMPARE(view.plot()->graph(0)->dataCount(), 0);
  }

  void analysisViewPlotsEverySeries() {
    AnalysisView view;
    view.setClassNames(fashionClassNames());

    QVector<ProjectedPoint> points;
    std::mt19937 generator(7);
    std::normal_distribution<double> normal(0.0, 1.0);
    for (int c = 0; c < 10; ++c) {
      const double cx = 4.0 * std::cos(c * 0.63);
      const double cy = 4.0 * std::sin(c * 0.63);
      for (int i = 0; i < 20; ++i) points.append({cx + normal(generator), cy + normal(generator), c, PointSource::Real});
      for (int i = 0; i < 3; ++i) {
        points.append({1.3 * cx + 0.3 * normal(generator), 1.3 * cy + 0.3 * normal(generator), c, PointSource::Late});
        points.append({cx + 0.5 * normal(generator), cy + 0.5 * normal(generator), c, PointSource::Early});
      }
    }
    view.setPcaPoints(points);
    // 3 sources x 10 classes of points, then 10 class swatches and 3 source markers.
    QCOMPARE(view.pcaPlot()->graphCount(), 30 + 10 + 3);

    NamedSeries loss{QStringLiteral("fusion loss"), {}, {}, false};
    NamedSeries accuracy{QStringLiteral("test accuracy (%)"), {}, {}, true};
    for (int epoch = 0; epoch < 40; ++epoch) {
      loss.x.append(epoch);
      loss.y.append(2.0 * std::exp(-epoch / 10.0) + 0.1);
      accuracy.x.append(epoch);
      accuracy.y.append(80.0 - 30.0 * std::exp(-epoch / 8.0));
    }
    view.setCurves({loss, accuracy}, QStringLiteral("epoch"), QStringLiteral("loss"), QStringLiteral("accuracy (%)"));
    view.appendCurvePoint(QStringLiteral("fusion loss"), 40, 0.12);
    view.appendCurvePoint(QStringLiteral("MSE"), 0, 0.5);
    QCOMPARE(view.curvePlot()->graphCount(), 3);
    QCOMPARE(view.curvePlot()->graph(0)->dataCount(), 41);
    QVERIFY(view.curvePlot()->yAxis2->visible());

    QVector<OverCorrectionPoint> overCorrection;
    for (int i = 0; i < 60; ++i) {
      const int c = i % 10;
      overCorrection.append({0.97 + 0.03 * std::tanh(normal(generator)), 6.0 + normal(generator), c, Pipeline::Late});
      overCorrection.append({0.7 + 0.1 * std::tanh(normal(generator)), 3.0 + normal(generator), c, Pipeline::Early});
    }
    view.setOverCorrection(overCorrection);
    QCOMPARE(view.overCorrectionPlot()->graph(0)->dataCount(), 60);
    QCOMPARE(view.overCorrectionPlot()->graph(1)->dataCount(), 60);

    view.resize(1100, 760);
    view.show();
    QVERIFY(QTest::qWaitForWindowExposed(&view));
    QTest::qWait(kReplotWaitMs);
    const QImage image = view.grab().toImage();
    QVERIFY(distinctColors(image) > 16);
    saveSnapshot(&view, QStringLiteral("analysis_view"));

    view.clear();
    QCOMPARE(view.curvePlot()->graphCount(), 0);
  }

  void progressBannerCancelsOnce() {
    ProgressBanner banner;
    QSignalSpy spy(&banner, &ProgressBanner::cancelRequested);
    banner.start(QStringLiteral("Sampling"));
    QVERIFY(!banner.isHidden());
    QCOMPARE(banner.progressBar()->maximum(), 0);  // busy until progress arrives

    banner.setProgress(25, 100);
    QCOMPARE(banner.progressBar()->value(), 250);
    QTest::mouseClick(banner.cancelButton(), Qt::LeftButton);
    QTest::mouseClick(banner.cancelButton(), Qt::LeftButton);
    QCOMPARE(spy.count(), 1);

    banner.resize(600, banner.sizeHint().height());
    saveSnapshot(&banner, QStringLiteral("progress_banner"));
    banner.finish();
    QVERIFY(banner.isHidden());
    QVERIFY(banner.cancelButton()->isEnabled());
  }

  void logPanelKeepsLevelText() {
    LogPanel panel;
    panel.appendMessage(LogPanel::Level::Info, QStringLiteral("loaded bundle"));
    panel.appendMessage(LogPanel::Level::Error, QStringLiteral("missing <weights> file"));
    panel.appendLine(QStringLiteral("plain line"));
    const QString text = panel.toPlainText();
    QVERIFY2(text.contains(QStringLiteral("missing <weights> file")), qPrintable(text));
    QCOMPARE(panel.document()->blockCount(), 3);
  }
};

QTEST_MAIN(TestWidgetViews)
#include "test_widget_views.moc"
