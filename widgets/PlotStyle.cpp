#include "widgets/PlotStyle.h"

#include <array>

namespace {

// Ten hues spread around the colour wheel at similar lightness, readable on white.
constexpr std::array<QRgb, 10> kClassColors = {0x1f6fb4, 0xe8710a, 0x2a9d3a, 0xc62828, 0x7b4fb5,
                                               0x8c564b, 0xd63ea0, 0x6b6b6b, 0xa8a400, 0x14a8bd};

}  // namespace

QColor PlotStyle::pipelineColor(Pipeline pipeline) {
  return pipeline == Pipeline::Late ? QColor(0xd9, 0x5f, 0x02) : QColor(0x1b, 0x6f, 0xa8);
}

QColor PlotStyle::classColor(int classIndex) {
  const int count = static_cast<int>(kClassColors.size());
  return QColor(kClassColors[((classIndex % count) + count) % count]);
}
