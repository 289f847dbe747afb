#pragma once

#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVector>

#include "widgets/AnalysisData.h"
#include "widgets/SamplingParameters.h"
#include "widgets/TimelineTrace.h"

/// \brief Everything a view needs to know to ask the engine for results; plain data copied into each task.
struct StudioRequest {
  SamplingParameters parameters;
  QVector<int> classes;                  ///< Selected class indices, in ascending order.
  int slots = 2;                         ///< Samples per class in the compare view.
  int firstVisibleRow = 0;               ///< First compare row on screen; those rows are generated first.
  int visibleRows = 0;                   ///< Compare rows on screen; 0 = unknown, the first class goes first.
  int focusClass = 0;                    ///< Class traced by the attention and timeline views.
  int focusSlot = 0;                     ///< Slot traced by the attention and timeline views.
  QString dataset = QStringLiteral("fashion-mnist");  ///< Dataset specification of the real images.
};

/// \brief Facts about a loaded bundle for the bundle panel and the window title.
struct BundleInfo {
  QString folder;
  QString name;
  QStringList classNames;
  QString summary;  ///< Multi-line description of every component.
};

/// \brief Both traced pipelines of one (class, slot) for the timeline view.
struct TimelineResult {
  TimelineTrace late;
  TimelineTrace early;
  int steps = 0;
};

/// \brief The three plots of the analysis view.
struct AnalysisResult {
  QVector<ProjectedPoint> pca;
  QVector<NamedSeries> curves;
  QVector<OverCorrectionPoint> overCorrection;
};

/// \brief The outcome of exporting the kept images.
struct ExportResult {
  QString folder;
  int images = 0;
};
