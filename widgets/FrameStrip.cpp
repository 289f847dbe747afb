#include "widgets/FrameStrip.h"

#include <QMouseEvent>
#include <QPainter>

#include <algorithm>
#include <cmath>

#include "widgets/ImagePainting.h"

namespace {

constexpr int kGap = 2;

}  // namespace

FrameStrip::FrameStrip(QWidget* parent) : QWidget(parent) {
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
}

void FrameStrip::setFrames(const std::vector<QImage>& frames) {
  m_frames = frames;
  update();
}

void FrameStrip::appendFrame(const QImage& frame) {
  m_frames.push_back(frame);
  update();
}

QImage FrameStrip::frame(int index) const { return index >= 0 && index < frameCount() ? m_frames[index] : QImage(); }

void FrameStrip::setCurrent(int index) {
  m_current = index;
  update();
}

int FrameStrip::cellSide() const { return std::max(8, height() - 2 * kGap); }

int FrameStrip::cellCount() const {
  const int fit = std::max(1, (width() + kGap) / (cellSide() + kGap));
  return std::min(fit, frameCount());
}

int FrameStrip::frameAtCell(int cell) const {
  const int cells = cellCount();
  if (cells <= 1) return 0;
  return static_cast<int>(std::lround(cell * double(frameCount() - 1) / (cells - 1)));
}

void FrameStrip::paintEvent(QPaintEvent* /*event*/) {
  QPainter painter(this);
  if (m_frames.empty()) {
    painter.setPen(palette().color(QPalette::PlaceholderText));
    painter.drawText(rect(), Qt::AlignCenter, tr("No steps traced"));
    return;
  }

  // Frame the cell whose frame is closest to the current step.
  const int cells = cellCount();
  int highlighted = -1;
  int bestDistance = frameCount();
  for (int cell = 0; cell < cells; ++cell) {
    const int distance = std::abs(frameAtCell(cell) - m_current);
    if (m_current >= 0 && distance < bestDistance) {
      bestDistance = distance;
      highlighted = cell;
    }
  }

  const int side = cellSide();
  for (int cell = 0; cell < cells; ++cell) {
    const QRect area(cell * (side + kGap), kGap, side, side);
    const QImage& image = m_frames[frameAtCell(cell)];
    ImagePainting::drawImage(painter, ImagePainting::fitRect(image.size(), area), image);
    if (cell == highlighted) {
      painter.setPen(QPen(palette().color(QPalette::Highlight), 2));
      painter.drawRect(area.adjusted(-1, -1, 0, 0));
    }
  }
}

void FrameStrip::mousePressEvent(QMouseEvent* event) {
  const int cell = static_cast<int>(event->position().x()) / (cellSide() + kGap);
  if (cell >= 0 && cell < cellCount()) Q_EMIT frameClicked(frameAtCell(cell));
}
