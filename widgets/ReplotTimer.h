#pragma once

#include <QObject>
#include <QTimer>

class QCustomPlot;

/// \brief Coalesces replot requests so a plot redraws at most about 30 times a second.
///
/// A plot that is not visible (a hidden tab) is replotted when it is next shown, because drawing into the
/// paint buffer of a never-shown plot fails with "inactive painter" warnings.
class ReplotTimer : public QObject {
  Q_OBJECT

 public:
  explicit ReplotTimer(QCustomPlot* plot);

  /// Requests a replot; requests within one interval share a single replot.
  void schedule();

 protected:
  bool eventFilter(QObject* watched, QEvent* event) override;

 private:
  static constexpr int kIntervalMs = 33;

  QCustomPlot* m_plot = nullptr;
  QTimer m_timer;
  bool m_pending = false;  // a replot was requested while the plot was hidden
};
