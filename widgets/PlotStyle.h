#pragma once

#include <QColor>

#include "widgets/Pipeline.h"

/// \brief Colours shared by every plot, so late and early fusion and each class look the same everywhere.
class PlotStyle {
 public:
  static QColor pipelineColor(Pipeline pipeline);
  /// Returns a distinct colour for classes 0..9; larger indices cycle through the same ten.
  static QColor classColor(int classIndex);
};
