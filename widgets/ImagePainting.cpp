#include "widgets/ImagePainting.h"

#include <QPainter>

QRect ImagePainting::fitRect(const QSize& imageSize, const QRect& area) {
  if (imageSize.isEmpty() || area.isEmpty()) return {};
  const QSize fitted = imageSize.scaled(area.size(), Qt::KeepAspectRatio);
  QRect target(QPoint(0, 0), fitted);
  target.moveCenter(area.center());
  return target;
}

void ImagePainting::drawImage(QPainter& painter, const QRect& target, const QImage& image) {
  if (image.isNull() || target.isEmpty()) return;
  const qreal ratio = painter.device() ? painter.device()->devicePixelRatioF() : 1.0;
  const bool enlarged = target.width() * ratio >= image.width();
  painter.save();
  painter.setRenderHint(QPainter::SmoothPixmapTransform, !enlarged);
  painter.drawImage(target, image);
  painter.restore();
}
