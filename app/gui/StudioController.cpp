#include "app/gui/StudioController.h"

#include <QMetaObject>

#include "app/gui/StudioEngine.h"
#include "app/gui/Worker.h"
#include "core/runtime/log.h"
#include "widgets/AnalysisView.h"
#include "widgets/AttentionView.h"
#include "widgets/CompareView.h"
#include "widgets/GalleryView.h"
#include "widgets/ProgressBanner.h"
#include "widgets/TimelineView.h"

StudioController::StudioController(const StudioViews& views, QObject* parent)
    : QObject(parent), m_views(views), m_engine(std::make_shared<StudioEngine>()), m_worker(std::make_unique<Worker>()) {
  connect(m_worker.get(), &Worker::taskStarted, this, &StudioController::onTaskStarted);
  connect(m_worker.get(), &Worker::taskFinished, this, &StudioController::onTaskFinished);
  connect(m_worker.get(), &Worker::progress, this, &StudioController::onProgress);
  if (m_views.progress) {
    connect(m_views.progress, &ProgressBanner::cancelRequested, this, [this] {
      if (m_runningKey.isEmpty()) return;
      m_userCancelledKey = m_runningKey;
      m_worker->cancel(m_runningKey);
    });
  }
}

StudioController::~StudioController() {
  // Stop the worker first: its tasks post results to this object.
  m_worker.reset();
}

QString StudioController::keyOf(View view) {
  switch (view) {
    case View::Compare: return QStringLiteral("compare");
    case View::Attention: return QStringLiteral("attention");
    case View::Timeline: return QStringLiteral("timeline");
    case View::Analysis: return QStringLiteral("analysis");
    case View::Curate: return QStringLiteral("set");
  }
  return {};
}

int StudioController::submit(const QString& key, std::function<void(const evlf::JobControl&, int)> work) {
  const int id = ++m_nextId;
  m_latestId[key] = id;
  m_submitted[key] = m_request;
  m_submitCounts[key] += 1;
  m_worker->submit(key, [work = std::move(work), id](const evlf::JobControl& job) { work(job, id); });
  return id;
}

// ---------------------------------------------------------------------------
// Edits from the panels
// ---------------------------------------------------------------------------

void StudioController::openBundle(const QString& folder) {
  m_worker->cancelAll();
  m_bundle = BundleInfo();
  auto engine = m_engine;
  submit(QStringLiteral("load"), [this, engine, folder](const evlf::JobControl& job, int id) {
    const BundleInfo info = engine->loadBundle(folder, job);
    QMetaObject::invokeMethod(
        this,
        [this, info, id] {
          if (!isCurrent(QStringLiteral("load"), id)) return;
          m_bundle = info;
          QVector<int> valid;
          for (int c : m_request.classes) {
            if (c < info.classNames.size()) valid << c;
          }
          if (valid.isEmpty()) {
            for (int c = 0; c < info.classNames.size(); ++c) valid << c;
          }
          m_request.classes = valid;
          if (m_request.focusClass >= info.classNames.size()) m_request.focusClass = 0;
          Q_EMIT bundleLoaded(info);
          Q_EMIT statusMessage(tr("Opened bundle %1").arg(info.folder));
          Q_EMIT viewUpdated(QStringLiteral("load"));
          regenerate();
        },
        Qt::QueuedConnection);
  });
}

void StudioController::setParameters(const SamplingParameters& parameters) {
  if (parameters == m_request.parameters) return;
  m_request.parameters = parameters;
  m_sinceChange.start();
  m_latencyPending = hasBundle();
  regenerate();
}

void StudioController::setClasses(const QVector<int>& classes) {
  if (classes == m_request.classes) return;
  m_request.classes = classes;
  regenerate();
}

void StudioController::setSlots(int slots) {
  if (slots == m_request.slots) return;
  m_request.slots = slots;
  submitCompare();
}

void StudioController::setDataset(const QString& dataset) {
  if (dataset == m_request.dataset) return;
  m_request.dataset = dataset;
  regenerate();
}

void StudioController::setFocus(int classIndex, int slot) {
  if (classIndex == m_request.focusClass && slot == m_request.focusSlot) return;
  m_request.focusClass = classIndex;
  m_request.focusSlot = slot;
  m_outOfDate.insert(static_cast<int>(View::Attention));
  m_outOfDate.insert(static_cast<int>(View::Timeline));
  if (m_activeView == View::Attention || m_activeView == View::Timeline) submitView(m_activeView);
}

void StudioController::setActiveView(View view) {
  m_activeView = view;
  if (m_outOfDate.contains(static_cast<int>(view))) submitView(view);
}

void StudioController::markOutOfDate() {
  for (View view : {View::Attention, View::Timeline, View::Analysis}) m_outOfDate.insert(static_cast<int>(view));
}

void StudioController::regenerate() {
  if (!hasBundle()) return;
  markOutOfDate();
  submitCompare();
  if (m_activeView != View::Compare) submitView(m_activeView);
}

void StudioController::submitView(View view) {
  switch (view) {
    case View::Compare: submitCompare(); break;
    case View::Attention: submitAttention(); break;
    case View::Timeline: submitTimeline(); break;
    case View::Analysis: submitAnalysis(); break;
    case View::Curate: break;  // the set is generated on request only, so decisions are not lost
  }
}

// ---------------------------------------------------------------------------
// View tasks
// ---------------------------------------------------------------------------

QVector<CompareRow> StudioController::compareLayout() const {
  QVector<CompareRow> rows;
  for (int c : m_request.classes) {
    for (int slot = 0; slot < m_request.slots; ++slot) {
      CompareRow row;
      row.class_index = c;
      row.class_name = m_bundle.classNames.value(c);
      row.slot = slot;
      rows << row;
    }
  }
  return rows;
}

void StudioController::submitCompare() {
  if (!hasBundle() || m_views.compare == nullptr) return;
  m_views.compare->setStale(true);
  auto engine = m_engine;
  StudioRequest request = m_request;
  const QPair<int, int> visible = m_views.compare->visibleRowRange();
  request.firstVisibleRow = visible.first;
  request.visibleRows = visible.second;
  const QVector<CompareRow> layout = compareLayout();
  submit(QStringLiteral("compare"), [this, engine, request, layout](const evlf::JobControl& job, int id) {
    auto onRows = [this, id, layout](int firstRow, const QVector<CompareRow>& rows) {
      QMetaObject::invokeMethod(
          this, [this, id, layout, firstRow, rows] { applyCompareRows(id, layout, firstRow, rows); },
          Qt::QueuedConnection);
    };
    const QVector<CompareRow> rows = engine->compare(request, job, onRows);
    QMetaObject::invokeMethod(
        this,
        [this, rows, id] {
          if (!isCurrent(QStringLiteral("compare"), id)) return;
          m_views.compare->setStale(false);
          if (m_latencyPending) {
            m_latencyPending = false;
            const double milliseconds = static_cast<double>(m_sinceChange.nsecsElapsed()) / 1e6;
            evlf::logger()->info("compare view: all {} rows updated {:.0f} ms after the parameter change", rows.size(),
                                 milliseconds);
            Q_EMIT compareLatencyMeasured(milliseconds);
          }
          Q_EMIT viewUpdated(QStringLiteral("compare"));
        },
        Qt::QueuedConnection);
  });
}

void StudioController::applyCompareRows(int id, const QVector<CompareRow>& layout, int firstRow,
                                        const QVector<CompareRow>& rows) {
  if (!isCurrent(QStringLiteral("compare"), id)) return;

  // The first rows of a request lay out the view when the (class, slot) list changed. Otherwise the old
  // images stay, dimmed, until their rows arrive.
  if (m_compareLayoutId != id) {
    m_compareLayoutId = id;
    const QVector<CompareRow>& shown = m_views.compare->rows();
    bool sameLayout = shown.size() == layout.size();
    for (int i = 0; sameLayout && i < layout.size(); ++i) {
      sameLayout = shown[i].class_index == layout[i].class_index && shown[i].slot == layout[i].slot;
    }
    if (!sameLayout) {
      m_views.compare->setRows(layout);
      m_views.compare->setStale(true);
    }
    if (m_latencyPending) {
      const double milliseconds = static_cast<double>(m_sinceChange.nsecsElapsed()) / 1e6;
      evlf::logger()->info("compare view: first {} rows (those on screen) updated {:.0f} ms after the parameter change",
                           rows.size(), milliseconds);
      Q_EMIT compareVisibleLatencyMeasured(milliseconds);
    }
  }
  for (int i = 0; i < rows.size(); ++i) m_views.compare->updateRow(firstRow + i, rows[i]);
}

void StudioController::submitAttention() {
  if (!hasBundle() || m_views.attention == nullptr) return;
  m_outOfDate.remove(static_cast<int>(View::Attention));
  auto engine = m_engine;
  const StudioRequest request = m_request;
  submit(QStringLiteral("attention"), [this, engine, request](const evlf::JobControl& job, int id) {
    const AttentionMaps maps = engine->attention(request, job);
    QMetaObject::invokeMethod(
        this,
        [this, maps, id] {
          if (!isCurrent(QStringLiteral("attention"), id)) return;
          m_views.attention->setMaps(maps);
          Q_EMIT viewUpdated(QStringLiteral("attention"));
        },
        Qt::QueuedConnection);
  });
}

void StudioController::submitTimeline() {
  if (!hasBundle() || m_views.timeline == nullptr) return;
  m_outOfDate.remove(static_cast<int>(View::Timeline));
  auto engine = m_engine;
  const StudioRequest request = m_request;
  submit(QStringLiteral("timeline"), [this, engine, request](const evlf::JobControl& job, int id) {
    const TimelineResult result = engine->timeline(request, job);
    QMetaObject::invokeMethod(
        this,
        [this, result, id] {
          if (!isCurrent(QStringLiteral("timeline"), id)) return;
          m_views.timeline->clear();
          m_views.timeline->setStepCount(result.steps);
          m_views.timeline->setTrace(Pipeline::Late, result.late);
          m_views.timeline->setTrace(Pipeline::Early, result.early);
          m_views.timeline->setCurrentStep(result.steps - 1);
          Q_EMIT viewUpdated(QStringLiteral("timeline"));
        },
        Qt::QueuedConnection);
  });
}

void StudioController::submitAnalysis() {
  if (!hasBundle() || m_views.analysis == nullptr) return;
  m_outOfDate.remove(static_cast<int>(View::Analysis));
  auto engine = m_engine;
  const StudioRequest request = m_request;
  submit(QStringLiteral("analysis"), [this, engine, request](const evlf::JobControl& job, int id) {
    const AnalysisResult result = engine->analysis(request, job);
    QMetaObject::invokeMethod(
        this,
        [this, result, id] {
          if (!isCurrent(QStringLiteral("analysis"), id)) return;
          // Class names arrive with the results, so a never-opened analysis tab is never replotted.
          m_views.analysis->setClassNames(m_bundle.classNames);
          m_views.analysis->setPcaPoints(result.pca);
          m_views.analysis->setCurves(result.curves, tr("training step"), tr("loss"));
          m_views.analysis->setOverCorrection(result.overCorrection);
          Q_EMIT viewUpdated(QStringLiteral("analysis"));
        },
        Qt::QueuedConnection);
  });
}

// ---------------------------------------------------------------------------
// User-started jobs
// ---------------------------------------------------------------------------

void StudioController::generateSet() {
  if (!hasBundle() || m_views.gallery == nullptr) return;
  auto engine = m_engine;
  const StudioRequest request = m_request;
  submit(QStringLiteral("set"), [this, engine, request](const evlf::JobControl& job, int id) {
    const QVector<CurationItem> items = engine->generateSet(request, job);
    QMetaObject::invokeMethod(
        this,
        [this, items, id] {
          if (!isCurrent(QStringLiteral("set"), id)) return;
          m_views.gallery->setItems(items);
          Q_EMIT statusMessage(tr("Generated %n images", nullptr, static_cast<int>(items.size())));
          Q_EMIT viewUpdated(QStringLiteral("set"));
        },
        Qt::QueuedConnection);
  });
}

void StudioController::exportSet(const QVector<int>& keptIds, const QString& folder) {
  auto engine = m_engine;
  submit(QStringLiteral("export"), [this, engine, keptIds, folder](const evlf::JobControl& job, int) {
    const ExportResult result = engine->exportSet(keptIds, folder, job);
    QMetaObject::invokeMethod(
        this,
        [this, result] {
          Q_EMIT statusMessage(tr("Exported %n images to %1", nullptr, result.images).arg(result.folder));
          Q_EMIT exportFinished(result.folder, result.images);
        },
        Qt::QueuedConnection);
  });
}

void StudioController::evaluateSets() {
  if (!hasBundle()) return;
  auto engine = m_engine;
  const StudioRequest request = m_request;
  submit(QStringLiteral("evaluate"), [this, engine, request](const evlf::JobControl& job, int) {
    const QString summary = engine->evaluateSets(request, job);
    QMetaObject::invokeMethod(
        this, [this, summary] { Q_EMIT statusMessage(QString(summary).replace(QLatin1Char('\n'), QStringLiteral("; "))); },
        Qt::QueuedConnection);
  });
}

void StudioController::cancelAll() {
  m_userCancelledKey = m_runningKey;
  m_worker->cancelAll();
}

// ---------------------------------------------------------------------------
// Worker signals
// ---------------------------------------------------------------------------

QString StudioController::describeTask(const QString& key) const {
  if (key == QLatin1String("compare")) return tr("Sampling the compare view");
  if (key == QLatin1String("attention")) return tr("Tracing attention");
  if (key == QLatin1String("timeline")) return tr("Tracing the timeline");
  if (key == QLatin1String("analysis")) return tr("Analysing the generated set");
  if (key == QLatin1String("set")) return tr("Generating the set");
  if (key == QLatin1String("load")) return tr("Opening the bundle");
  if (key == QLatin1String("export")) return tr("Exporting the kept images");
  if (key == QLatin1String("evaluate")) return tr("Evaluating the late and early sets");
  return key;
}

void StudioController::onTaskStarted(const QString& key) {
  m_runningKey = key;
  if (m_views.progress) m_views.progress->start(describeTask(key));
}

void StudioController::onTaskFinished(const QString& key, bool cancelled, const QString& error) {
  if (key == m_runningKey) {
    m_runningKey.clear();
    if (m_views.progress) m_views.progress->finish();
  }
  if (!error.isEmpty()) {
    evlf::logger()->error("{} failed: {}", key.toStdString(), error.toStdString());
    Q_EMIT statusMessage(tr("%1 failed: %2").arg(describeTask(key), error));
    Q_EMIT taskFailed(key, error);
  } else if (cancelled && key == m_userCancelledKey) {
    m_userCancelledKey.clear();
    evlf::logger()->info("{} cancelled", key.toStdString());
    Q_EMIT statusMessage(tr("%1: cancelled").arg(describeTask(key)));
  }
}

void StudioController::onProgress(const QString& key, const QString& stage, qint64 step, qint64 total) {
  if (key != m_runningKey || m_views.progress == nullptr) return;
  m_views.progress->setStage(stage.isEmpty() ? describeTask(key) : describeTask(key) + QStringLiteral(" · ") + stage);
  m_views.progress->setProgress(step, total);
}
