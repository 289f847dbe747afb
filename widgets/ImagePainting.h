#pragma once

#include <QImage>
#include <QRect>

class QPainter;

/// \brief Helpers that draw small images sharply at any size and device pixel ratio.
class ImagePainting {
 public:
  /// Returns the largest rectangle with the aspect ratio of `imageSize`, centred in `area`.
  static QRect fitRect(const QSize& imageSize, const QRect& area);

  /// Draws `image` into `target`. An enlarged image uses nearest-neighbour
  /// sampling so pixels become blocks, and a shrunk image is smoothed.
  static void drawImage(QPainter& painter, const QRect& target, const QImage& image);
};
