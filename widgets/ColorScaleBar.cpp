#include "widgets/ColorScaleBar.h"

ColorScaleBar::ColorScaleBar(QWidget* parent) : QCustomPlot(parent) {
  plotLayout()->clear();
  m_scale = new QCPColorScale(this);
  m_scale->setType(QCPAxis::atRight);
  m_scale->setBarWidth(14);
  m_scale->axis()->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
  m_scale->axis()->ticker()->setTickCount(4);
  plotLayout()->addElement(0, 0, m_scale);
  setColorMap(ColorMap::Kind::Inferno);
  setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Expanding);
  setMinimumWidth(80);
  setBackground(palette().window());
}

void ColorScaleBar::setColorMap(ColorMap::Kind kind) {
  m_scale->setGradient(ColorMap::gradient(kind));
  replot();
}

void ColorScaleBar::setLabel(const QString& label) {
  m_scale->setLabel(label);
  replot();
}

QCPRange ColorScaleBar::range() const { return m_scale->dataRange(); }

void ColorScaleBar::setRange(double minimum, double maximum) {
  // QCustomPlot ignores an empty range, so a flat map gets a tiny one instead.
  if (!(maximum > minimum)) maximum = minimum + 1e-6;
  m_scale->setDataRange(QCPRange(minimum, maximum));
  replot(QCustomPlot::rpQueuedReplot);
}
