#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QString>
#include <QStringList>

#include <functional>
#include <memory>

#include "app/gui/StudioRequest.h"
#include "widgets/CompareRow.h"
#include "core/runtime/progress.h"

class AnalysisView;
class AttentionView;
class CompareView;
class GalleryView;
class ProgressBanner;
class StudioEngine;
class TimelineView;
class Worker;

/// \brief The views a controller fills; any pointer may be null when a window leaves that view out.
struct StudioViews {
  CompareView* compare = nullptr;
  AttentionView* attention = nullptr;
  TimelineView* timeline = nullptr;
  AnalysisView* analysis = nullptr;
  GalleryView* gallery = nullptr;
  ProgressBanner* progress = nullptr;
};

/// \brief Turns edits in the GUI into worker tasks and worker results into view updates.
///
/// Lives on the GUI thread and owns the worker thread and the engine that
/// only runs on it. Each view has its own task key ("compare", "attention",
/// "timeline", "analysis", "set", "load", "export", "evaluate"), so a newer
/// request for a view replaces the pending one. Results come back as plain
/// copies through queued calls; a result older than the newest request of
/// its view is dropped. Views other than Compare refresh only while visible
/// and are marked out of date otherwise.
class StudioController : public QObject {
  Q_OBJECT

 public:
  /// The tabs of the main window, in tab order.
  enum class View { Compare, Attention, Timeline, Analysis, Curate };

  explicit StudioController(const StudioViews& views, QObject* parent = nullptr);
  ~StudioController() override;

  Worker* worker() const { return m_worker.get(); }
  const StudioRequest& request() const { return m_request; }
  /// Returns the request most recently submitted under `key`; a default request when none was.
  StudioRequest submittedRequest(const QString& key) const { return m_submitted.value(key); }
  /// Returns how many tasks were submitted under `key`.
  int submittedCount(const QString& key) const { return m_submitCounts.value(key); }
  bool hasBundle() const { return !m_bundle.folder.isEmpty(); }
  const BundleInfo& bundle() const { return m_bundle; }
  View activeView() const { return m_activeView; }

  static QString keyOf(View view);

 public Q_SLOTS:
  void openBundle(const QString& folder);
  void setParameters(const SamplingParameters& parameters);
  void setClasses(const QVector<int>& classes);
  void setSlots(int slots);
  void setDataset(const QString& dataset);
  /// Chooses the (class, slot) the attention and timeline views trace.
  void setFocus(int classIndex, int slot);
  void setActiveView(View view);
  /// Recomputes the compare view and the visible view.
  void regenerate();
  void generateSet();
  void exportSet(const QVector<int>& keptIds, const QString& folder);
  void evaluateSets();
  void cancelAll();

 Q_SIGNALS:
  void bundleLoaded(const BundleInfo& bundle);
  /// Emitted after a view received a result for its newest request.
  void viewUpdated(const QString& key);
  /// Emitted when a task fails; `message` is the error text.
  void taskFailed(const QString& key, const QString& message);
  void statusMessage(const QString& message);
  void exportFinished(const QString& folder, int images);
  /// Emitted with the time from the parameter change to the refreshed compare view, in milliseconds.
  void compareLatencyMeasured(double milliseconds);
  /// The rows on screen arrived, `milliseconds` after the parameter change.
  void compareVisibleLatencyMeasured(double milliseconds);

 private:
  void submitView(View view);
  void submitCompare();
  /// Returns the rows the current request will fill, without images.
  QVector<CompareRow> compareLayout() const;
  void applyCompareRows(int id, const QVector<CompareRow>& layout, int firstRow, const QVector<CompareRow>& rows);
  void submitAttention();
  void submitTimeline();
  void submitAnalysis();
  /// Submits `work` under `key` and returns the request id the result must match.
  int submit(const QString& key, std::function<void(const evlf::JobControl&, int id)> work);
  bool isCurrent(const QString& key, int id) const { return m_latestId.value(key) == id; }
  void markOutOfDate();
  void onTaskStarted(const QString& key);
  void onTaskFinished(const QString& key, bool cancelled, const QString& error);
  void onProgress(const QString& key, const QString& stage, qint64 step, qint64 total);
  QString describeTask(const QString& key) const;

  StudioViews m_views;
  std::shared_ptr<StudioEngine> m_engine;
  StudioRequest m_request;
  BundleInfo m_bundle;
  View m_activeView = View::Compare;
  QSet<int> m_outOfDate;  ///< Views (as int) whose last result is older than the request.
  QHash<QString, int> m_latestId;
  QHash<QString, StudioRequest> m_submitted;
  QHash<QString, int> m_submitCounts;
  QString m_runningKey;
  QString m_userCancelledKey;  ///< Task the user cancelled, reported once when it stops.
  QElapsedTimer m_sinceChange;  ///< Started by the parameter change behind the pending compare request.
  bool m_latencyPending = false;
  int m_nextId = 0;
  int m_compareLayoutId = 0;  ///< Request whose rows the compare view is laid out for.
  std::unique_ptr<Worker> m_worker;  ///< Declared last so it is stopped before the members its tasks use.
};
