#pragma once

#include <QObject>
#include <QTimer>

class QCustomPlot;

/// \brief Coalesces replot requests so a plot redraws at most about 30 times a second.
class ReplotTimer : public QObject {
  Q_OBJECT

 public:
  explicit ReplotTimer(QCustomPlot* plot);

  /// Requests a replot; requests within one interval share a single replot.
  void schedule();

 private:
  static constexpr int kIntervalMs = 33;

  QCustomPlot* m_plot = nullptr;
  QTimer m_timer;
};
