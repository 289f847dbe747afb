#pragma once

#include <QString>
#include <QVector>

#include "widgets/Pipeline.h"

/// \brief Where a point in the PCA scatter comes from.
enum class PointSource { Real, Late, Early };

/// \brief One sample projected onto the first two principal components.
struct ProjectedPoint {
  double x = 0.0;  ///< Coordinate on the first principal component.
  double y = 0.0;  ///< Coordinate on the second principal component.
  int class_index = 0;
  PointSource source = PointSource::Real;
};

/// \brief A named curve, for example a training loss or an evaluation accuracy over epochs.
struct NamedSeries {
  QString name;
  QVector<double> x;
  QVector<double> y;
  bool right_axis = false;  ///< Plot against the right axis, for a quantity with another unit.
};

/// \brief One synthetic sample in the over-correction scatter.
struct OverCorrectionPoint {
  double confidence = 0.0;        ///< Classifier probability of the prompt's class, 0..1.
  double nearest_distance = 0.0;  ///< Distance to the nearest real training image.
  int class_index = 0;
  Pipeline pipeline = Pipeline::Late;
};
