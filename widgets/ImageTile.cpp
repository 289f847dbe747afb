#include "widgets/ImageTile.h"

#include <QPainter>

#include <algorithm>

#include "widgets/ImagePainting.h"

namespace {

constexpr int kMargin = 2;

}  // namespace

ImageTile::ImageTile(QWidget* parent) : QWidget(parent) {
  // A fixed size keeps images at their requested side. A scroll area
  // around the tiles provides the room when they do not fit.
  setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Fixed);
  m_placeholder = tr("No image");
}

void ImageTile::setImage(const QImage& image) {
  m_image = image;
  update();
}

void ImageTile::setCaption(const QString& caption) {
  m_caption = caption;
  updateGeometry();
  update();
}

void ImageTile::setPlaceholder(const QString& text) {
  m_placeholder = text;
  update();
}

void ImageTile::setDimmed(bool dimmed) {
  if (m_dimmed == dimmed) return;
  m_dimmed = dimmed;
  update();
}

void ImageTile::setImageSide(int side) {
  m_imageSide = std::max(16, side);
  updateGeometry();
  update();
}

void ImageTile::setHighlighted(bool highlighted) {
  if (m_highlighted == highlighted) return;
  m_highlighted = highlighted;
  update();
}

QSize ImageTile::sizeHint() const {
  int captionWidth = 0;
  for (const QString& line : m_caption.split(QLatin1Char('\n'))) {
    captionWidth = std::max(captionWidth, fontMetrics().horizontalAdvance(line));
  }
  return {std::max(m_imageSide, captionWidth) + 2 * kMargin, m_imageSide + 2 * kMargin + captionHeight()};
}

QSize ImageTile::minimumSizeHint() const { return sizeHint(); }

int ImageTile::captionHeight() const {
  if (m_caption.isEmpty()) return 0;
  // Measured rather than lines x height(): Japanese glyphs come from a
  // fallback font (Noto Sans CJK) whose lines are taller than the UI font's.
  const QRect unbounded(0, 0, 1 << 16, 1 << 16);
  return fontMetrics().boundingRect(unbounded, Qt::AlignHCenter | Qt::AlignTop, m_caption).height() + kMargin;
}

QRect ImageTile::imageRect() const {
  const QRect area = rect().adjusted(kMargin, kMargin, -kMargin, -kMargin - captionHeight());
  return area;
}

void ImageTile::paintEvent(QPaintEvent* /*event*/) {
  QPainter painter(this);
  const QRect area = imageRect();

  if (m_image.isNull()) {
    painter.setPen(palette().color(QPalette::PlaceholderText));
    painter.drawRect(area.adjusted(0, 0, -1, -1));
    painter.drawText(area, Qt::AlignCenter | Qt::TextWordWrap, m_placeholder);
  } else {
    const QRect target = ImagePainting::fitRect(m_image.size(), area);
    ImagePainting::drawImage(painter, target, m_image);
    if (m_dimmed) painter.fillRect(target, QColor(255, 255, 255, 160));
  }

  if (m_highlighted) {
    painter.setPen(QPen(palette().color(QPalette::Highlight), 3));
    painter.drawRect(area.adjusted(1, 1, -2, -2));
  }

  if (!m_caption.isEmpty()) {
    painter.setPen(palette().color(m_dimmed ? QPalette::PlaceholderText : QPalette::WindowText));
    const QRect captionRect(0, area.bottom() + kMargin, width(), captionHeight());
    painter.drawText(captionRect, Qt::AlignHCenter | Qt::AlignTop, m_caption);
  }
}
