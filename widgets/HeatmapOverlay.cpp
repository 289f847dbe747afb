#include "widgets/HeatmapOverlay.h"

#include <QPainter>

#include <algorithm>

#include "widgets/ImagePainting.h"

HeatmapOverlay::HeatmapOverlay(QWidget* parent) : QWidget(parent) {
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
  setMinimumSize(96, 96);
}

void HeatmapOverlay::setBaseImage(const QImage& image) {
  m_baseImage = image;
  update();
}

void HeatmapOverlay::setHeatmap(const std::vector<float>& values, int width, int height) {
  const bool valid = width > 0 && height > 0 && values.size() == static_cast<size_t>(width) * height;
  m_values = valid ? values : std::vector<float>{};
  m_gridWidth = valid ? width : 0;
  m_gridHeight = valid ? height : 0;
  rebuildHeatImage();
}

void HeatmapOverlay::clearHeatmap() { setHeatmap({}, 0, 0); }

void HeatmapOverlay::setOpacity(double opacity) {
  m_opacity = std::clamp(opacity, 0.0, 1.0);
  update();
}

void HeatmapOverlay::setColorMap(ColorMap::Kind kind) {
  m_colorMap = kind;
  rebuildHeatImage();
}

void HeatmapOverlay::setRange(double minimum, double maximum) {
  m_fixedRange = true;
  m_minimum = minimum;
  m_maximum = maximum;
  rebuildHeatImage();
}

void HeatmapOverlay::clearRange() {
  m_fixedRange = false;
  rebuildHeatImage();
}

void HeatmapOverlay::rebuildHeatImage() {
  if (!m_fixedRange && !m_values.empty()) {
    const auto [low, high] = std::minmax_element(m_values.begin(), m_values.end());
    m_minimum = *low;
    m_maximum = *high;
  }
  m_heatImage = m_values.empty()
                    ? QImage()
                    : ColorMap::render(m_colorMap, m_values, m_gridWidth, m_gridHeight, m_minimum, m_maximum);
  Q_EMIT rangeChanged(m_minimum, m_maximum);
  update();
}

void HeatmapOverlay::paintEvent(QPaintEvent* /*event*/) {
  QPainter painter(this);
  const QSize contentSize = !m_baseImage.isNull() ? m_baseImage.size() : m_heatImage.size();
  const QRect target = ImagePainting::fitRect(contentSize, rect());
  if (target.isEmpty()) {
    painter.setPen(palette().color(QPalette::PlaceholderText));
    painter.drawText(rect(), Qt::AlignCenter | Qt::TextWordWrap, tr("No attention map"));
    return;
  }

  if (!m_baseImage.isNull()) ImagePainting::drawImage(painter, target, m_baseImage);
  if (!m_heatImage.isNull() && m_opacity > 0.0) {
    painter.setOpacity(m_opacity);
    ImagePainting::drawImage(painter, target, m_heatImage);
  }
}
