#pragma once

#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;

/// \brief A strip with a stage label, a progress bar and a Cancel button, shown while long work runs.
class ProgressBanner : public QWidget {
  Q_OBJECT

 public:
  explicit ProgressBanner(QWidget* parent = nullptr);

  QLabel* stageLabel() const { return m_stageLabel; }
  QProgressBar* progressBar() const { return m_progressBar; }
  QPushButton* cancelButton() const { return m_cancelButton; }

 public Q_SLOTS:
  /// Shows the banner with `stage` and a busy indicator until progress arrives.
  void start(const QString& stage);
  void setStage(const QString& stage);
  /// Shows `done` of `total`; a total of 0 or less shows a busy indicator.
  void setProgress(qint64 done, qint64 total);
  /// Hides the banner and re-enables Cancel for the next run.
  void finish();

 Q_SIGNALS:
  /// Emitted once when the user presses Cancel; the button stays disabled until the next `start`.
  void cancelRequested();

 private:
  void onCancelClicked();

  QLabel* m_stageLabel = nullptr;
  QProgressBar* m_progressBar = nullptr;
  QPushButton* m_cancelButton = nullptr;
};
