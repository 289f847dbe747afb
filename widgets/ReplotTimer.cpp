#include "widgets/ReplotTimer.h"

#include "widgets/QCustomPlotInclude.h"

ReplotTimer::ReplotTimer(QCustomPlot* plot) : QObject(plot), m_plot(plot) {
  m_timer.setSingleShot(true);
  m_timer.setInterval(kIntervalMs);
  connect(&m_timer, &QTimer::timeout, m_plot, [this] { m_plot->replot(); });
}

void ReplotTimer::schedule() {
  if (!m_timer.isActive()) m_timer.start();
}
