#include "widgets/ColorMap.h"

#include "widgets/QCustomPlotInclude.h"

#include <algorithm>
#include <array>
#include <cmath>

namespace {

struct Stop {
  double position;
  int red;
  int green;
  int blue;
};

// Nine evenly spaced stops of the viridis and inferno maps, interpolated
// linearly. NOTE: the stops are approximations written from memory of the
// matplotlib maps, so colours may differ from matplotlib's by a few levels.
constexpr std::array<Stop, 9> kViridis = {{{0.000, 68, 1, 84},
                                           {0.125, 71, 44, 122},
                                           {0.250, 59, 82, 139},
                                           {0.375, 44, 114, 142},
                                           {0.500, 33, 145, 140},
                                           {0.625, 40, 174, 128},
                                           {0.750, 94, 201, 98},
                                           {0.875, 170, 220, 50},
                                           {1.000, 253, 231, 37}}};

constexpr std::array<Stop, 9> kInferno = {{{0.000, 0, 0, 4},
                                           {0.125, 31, 12, 72},
                                           {0.250, 85, 15, 109},
                                           {0.375, 136, 34, 106},
                                           {0.500, 186, 54, 85},
                                           {0.625, 227, 89, 51},
                                           {0.750, 249, 140, 10},
                                           {0.875, 249, 201, 50},
                                           {1.000, 252, 255, 164}}};

const std::array<Stop, 9>& stops(ColorMap::Kind kind) { return kind == ColorMap::Kind::Viridis ? kViridis : kInferno; }

}  // namespace

QRgb ColorMap::colorAt(Kind kind, double t) {
  const auto& table = stops(kind);
  if (!(t > 0.0)) t = 0.0;  // also maps NaN to the dark end
  t = std::min(t, 1.0);

  const double scaled = t * static_cast<double>(table.size() - 1);
  const auto lower = std::min(static_cast<size_t>(scaled), table.size() - 2);
  const double f = scaled - static_cast<double>(lower);
  const Stop& a = table[lower];
  const Stop& b = table[lower + 1];
  const auto mix = [f](int from, int to) { return static_cast<int>(std::lround(from + f * (to - from))); };
  return qRgb(mix(a.red, b.red), mix(a.green, b.green), mix(a.blue, b.blue));
}

QImage ColorMap::render(Kind kind, const std::vector<float>& values, int width, int height, double minimum,
                        double maximum) {
  if (width <= 0 || height <= 0 || values.size() < static_cast<size_t>(width) * static_cast<size_t>(height)) {
    return {};
  }
  const double range = maximum - minimum;
  QImage image(width, height, QImage::Format_ARGB32);
  for (int y = 0; y < height; ++y) {
    auto* line = reinterpret_cast<QRgb*>(image.scanLine(y));
    for (int x = 0; x < width; ++x) {
      const double value = values[static_cast<size_t>(y) * width + x];
      line[x] = colorAt(kind, range > 0.0 ? (value - minimum) / range : 0.0);
    }
  }
  return image;
}

QCPColorGradient ColorMap::gradient(Kind kind) {
  QCPColorGradient gradient;
  gradient.clearColorStops();
  for (const Stop& stop : stops(kind)) gradient.setColorStopAt(stop.position, QColor(stop.red, stop.green, stop.blue));
  gradient.setColorInterpolation(QCPColorGradient::ciRGB);
  return gradient;
}
