// Synthetic images and traces for the widget suites, plus the snapshot hook.
// The images are 28 x 28 grey shapes, one per class, like Fashion-MNIST.
#pragma once

#include <QDir>
#include <QImage>
#include <QPainter>
#include <QSet>
#include <QString>
#include <QWidget>

#include <cmath>
#include <random>

namespace evlf::test {

inline const QStringList& fashionClassNames() {
  static const QStringList names = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
  return names;
}

/// Draws a light shape on black whose outline depends on the class and whose details depend on `variant`.
inline QImage classImage(int classIndex, int variant, int side = 28) {
  QImage image(side, side, QImage::Format_Grayscale8);
  image.fill(Qt::black);
  QPainter painter(&image);
  painter.setPen(Qt::NoPen);
  painter.setBrush(QColor::fromRgb(150 + 10 * (variant % 10), 150 + 10 * (variant % 10), 150 + 10 * (variant % 10)));
  const double s = side / 28.0;
  const double shift = (variant % 3 - 1) * s;
  switch (classIndex % 5) {
    case 0:
      painter.drawRect(QRectF(8 * s + shift, 6 * s, 12 * s, 17 * s));
      painter.drawRect(QRectF(3 * s + shift, 6 * s, 22 * s, 6 * s));
      break;
    case 1:
      painter.drawRect(QRectF(8 * s + shift, 3 * s, 5 * s, 22 * s));
      painter.drawRect(QRectF(15 * s + shift, 3 * s, 5 * s, 22 * s));
      break;
    case 2:
      painter.drawEllipse(QRectF(5 * s + shift, 5 * s, 18 * s, 18 * s));
      break;
    case 3:
      painter.drawPolygon(QPolygonF({QPointF(14 * s + shift, 3 * s), QPointF(23 * s + shift, 25 * s),
                                     QPointF(5 * s + shift, 25 * s)}));
      break;
    default:
      painter.drawRoundedRect(QRectF(4 * s + shift, 9 * s, 20 * s, 13 * s), 3 * s, 3 * s);
      break;
  }
  painter.end();
  return image;
}

/// Mixes `image` with seeded Gaussian noise; `noise` = 0 returns the image, 1 returns pure noise.
inline QImage noisyImage(const QImage& image, double noise, unsigned seed) {
  std::mt19937 generator(seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  QImage result = image.convertToFormat(QImage::Format_Grayscale8);
  for (int y = 0; y < result.height(); ++y) {
    uchar* line = result.scanLine(y);
    for (int x = 0; x < result.width(); ++x) {
      const double clean = line[x] / 127.5 - 1.0;
      const double mixed = std::sqrt(1.0 - noise) * clean + std::sqrt(noise) * normal(generator);
      line[x] = static_cast<uchar>(std::clamp(127.5 * (mixed + 1.0), 0.0, 255.0));
    }
  }
  return result;
}

/// Returns the number of distinct colours in `image`, capped at `cap`.
inline int distinctColors(const QImage& image, int cap = 64) {
  const QImage argb = image.convertToFormat(QImage::Format_ARGB32);
  QSet<QRgb> colors;
  for (int y = 0; y < argb.height() && colors.size() < cap; ++y) {
    const auto* line = reinterpret_cast<const QRgb*>(argb.constScanLine(y));
    for (int x = 0; x < argb.width() && colors.size() < cap; ++x) colors.insert(line[x]);
  }
  return static_cast<int>(colors.size());
}

/// Saves a PNG of `widget` as `name`.png when EVLF_WIDGET_SNAPSHOTS names a folder.
inline void saveSnapshot(QWidget* widget, const QString& name) {
  const QString folder = qEnvironmentVariable("EVLF_WIDGET_SNAPSHOTS");
  if (folder.isEmpty()) return;
  QDir().mkpath(folder);
  widget->grab().save(QDir(folder).filePath(name + QStringLiteral(".png")));
}

}  // namespace evlf::test
