#pragma once

#include "widgets/QCustomPlotInclude.h"

#include "widgets/ColorMap.h"

/// \brief A vertical colour bar with a value axis, showing which values a heat map's colours stand for.
class ColorScaleBar : public QCustomPlot {
  Q_OBJECT

 public:
  explicit ColorScaleBar(QWidget* parent = nullptr);

  void setColorMap(ColorMap::Kind kind);
  void setLabel(const QString& label);
  QCPRange range() const;

  QSize sizeHint() const override { return {90, 256}; }

 public Q_SLOTS:
  void setRange(double minimum, double maximum);

 private:
  QCPColorScale* m_scale = nullptr;
};
