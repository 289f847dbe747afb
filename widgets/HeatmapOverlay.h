#pragma once

#include <QImage>
#include <QWidget>

#include <vector>

#include "widgets/ColorMap.h"

/// \brief A base image with a colour-mapped grid of values drawn over it at an adjustable opacity.
///
/// The grid (for example a 4 x 4 or 16 x 16 attention map) is stretched over
/// the whole image with blocky cells, so each cell covers the image region of
/// its latent position. The colour range is the grid's own minimum and
/// maximum unless a fixed range is set.
class HeatmapOverlay : public QWidget {
  Q_OBJECT

 public:
  explicit HeatmapOverlay(QWidget* parent = nullptr);

  void setBaseImage(const QImage& image);
  /// Sets a row-major `width` x `height` grid. A size mismatch clears the heat map.
  void setHeatmap(const std::vector<float>& values, int width, int height);
  void clearHeatmap();
  /// Sets the heat map opacity in [0, 1], where 0 shows only the base image.
  void setOpacity(double opacity);
  double opacity() const { return m_opacity; }
  void setColorMap(ColorMap::Kind kind);
  /// Fixes the value range mapped to the colour map ends; `clearRange` returns to the grid's own range.
  void setRange(double minimum, double maximum);
  void clearRange();

  double rangeMinimum() const { return m_minimum; }
  double rangeMaximum() const { return m_maximum; }
  /// Returns the colour-mapped grid with one pixel per cell, or a null image when no heat map is set.
  const QImage& heatImage() const { return m_heatImage; }

  QSize sizeHint() const override { return {256, 256}; }
  bool hasHeightForWidth() const override { return true; }
  int heightForWidth(int width) const override { return width; }

 Q_SIGNALS:
  /// Emitted when the mapped range changes, so a colour scale bar can follow.
  void rangeChanged(double minimum, double maximum);

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  void rebuildHeatImage();

  QImage m_baseImage;
  std::vector<float> m_values;
  int m_gridWidth = 0;
  int m_gridHeight = 0;
  QImage m_heatImage;
  ColorMap::Kind m_colorMap = ColorMap::Kind::Inferno;
  double m_opacity = 0.6;
  double m_minimum = 0.0;
  double m_maximum = 1.0;
  bool m_fixedRange = false;
};
