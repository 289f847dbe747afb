#pragma once

#include <QMainWindow>

#include "app/gui/StudioController.h"

class AnalysisView;
class AttentionView;
class BundlePanel;
class CompareView;
class GalleryView;
class LogPanel;
class ParameterPanel;
class ProgressBanner;
class QTabWidget;
class TimelineView;

/// \brief The EVLF Studio main window: bundle panel, parameter panel, the five views and the log.
class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  StudioController* controller() const { return m_controller; }
  /// Opens the bundle in `folder` on the worker; progress and errors appear in the status bar and the log.
  void openBundle(const QString& folder);
  /// Opens the bundle of the last session, else the default bundle; returns false when neither exists.
  bool openStartupBundle();
  void showView(StudioController::View view);
  /// Exports the kept images of the Curate tab to `folder` on the worker.
  void exportKept(const QString& folder);

  QTabWidget* tabs() const { return m_tabs; }
  BundlePanel* bundlePanel() const { return m_bundlePanel; }
  ParameterPanel* parameterPanel() const { return m_parameterPanel; }
  CompareView* compareView() const { return m_compareView; }
  GalleryView* galleryView() const { return m_galleryView; }
  LogPanel* logPanel() const { return m_logPanel; }

 Q_SIGNALS:
  /// Carries a core log line from any thread to the log panel; connected with a queued connection.
  void logLineReceived(int level, const QString& line);

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  QWidget* createCurateTab();
  void createDocks();
  void createMenus();
  void connectPanels();
  void restoreSettings();
  void saveSettings() const;
  void chooseBundle();
  void chooseExportFolder();
  void onBundleLoaded(const BundleInfo& bundle);
  void onTaskFailed(const QString& key, const QString& message);
  void appendLog(int level, const QString& line);
  void showAbout();

  QTabWidget* m_tabs = nullptr;
  CompareView* m_compareView = nullptr;
  AttentionView* m_attentionView = nullptr;
  TimelineView* m_timelineView = nullptr;
  AnalysisView* m_analysisView = nullptr;
  GalleryView* m_galleryView = nullptr;
  BundlePanel* m_bundlePanel = nullptr;
  ParameterPanel* m_parameterPanel = nullptr;
  LogPanel* m_logPanel = nullptr;
  ProgressBanner* m_progressBanner = nullptr;
  StudioController* m_controller = nullptr;
  int m_logCallbackId = -1;
};
