#pragma once

#include <QColor>
#include <QImage>

#include <vector>

class QCPColorGradient;

/// \brief Perceptually ordered colour maps for heat maps, as piecewise-linear tables.
class ColorMap {
 public:
  enum class Kind { Viridis, Inferno };

  /// Returns the colour at `t`, clamped to [0, 1]: 0 is the dark end, 1 the bright end.
  static QRgb colorAt(Kind kind, double t);

  /// Maps a row-major `width` x `height` grid to an ARGB image. Values at or
  /// below `minimum` get the dark end and values at or above `maximum` the
  /// bright end. A flat range (maximum <= minimum) maps every value to the dark end.
  static QImage render(Kind kind, const std::vector<float>& values, int width, int height, double minimum,
                       double maximum);

  /// Builds the matching QCustomPlot gradient for colour scale bars.
  static QCPColorGradient gradient(Kind kind);
};
