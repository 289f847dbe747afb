#include "widgets/ReplotTimer.h"

#include <QEvent>

#include "widgets/QCustomPlotInclude.h"

ReplotTimer::ReplotTimer(QCustomPlot* plot) : QObject(plot), m_plot(plot) {
  m_timer.setSingleShot(true);
  m_timer.setInterval(kIntervalMs);
  connect(&m_timer, &QTimer::timeout, m_plot, [this] {
    if (m_plot->isVisible()) {
      m_plot->replot();
    } else {
      m_pending = true;
    }
  });
  m_plot->installEventFilter(this);
}

void ReplotTimer::schedule() {
  if (!m_timer.isActive()) m_timer.start();
}

bool ReplotTimer::eventFilter(QObject* watched, QEvent* event) {
  if (watched == m_plot && event->type() == QEvent::Show && m_pending) {
    m_pending = false;
    m_timer.start();
  }
  return QObject::eventFilter(watched, event);
}
