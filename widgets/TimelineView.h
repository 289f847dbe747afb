#pragma once

#include <QWidget>

#include <array>

#include "widgets/Pipeline.h"
#include "widgets/TimelineTrace.h"

class FrameStrip;
class ImageTile;
class QCPAxisRect;
class QCPGraph;
class QCPItemStraightLine;
class QCustomPlot;
class QLabel;
class QSlider;
class ReplotTimer;

/// \brief Step-by-step view of both pipelines: x_t and x̂0 strips, a step scrubber and per-step curves.
///
/// The curves show, for late and early fusion, the latent norm, the distance
/// of x̂0 to the mode and the mode-guidance magnitude, each in its own panel
/// with a shared step axis and a vertical line at the scrubbed step. Steps
/// may arrive one by one through `appendStep`; the plot redraws on a timer.
class TimelineView : public QWidget {
  Q_OBJECT

 public:
  explicit TimelineView(QWidget* parent = nullptr);

  void setTrace(Pipeline pipeline, const TimelineTrace& trace);
  void appendStep(Pipeline pipeline, const TimelineStep& step);
  void clear();
  /// Sets the expected number of steps, so the axis and the scrubber span the whole run while it is traced.
  void setStepCount(int steps);

  void setCurrentStep(int step);
  int currentStep() const;

  QSlider* scrubber() const { return m_scrubber; }
  QCustomPlot* plot() const { return m_plot; }
  const TimelineTrace& trace(Pipeline pipeline) const { return m_traces[index(pipeline)]; }

 Q_SIGNALS:
  /// Emitted when the scrubbed step changes, by the user or by `setCurrentStep`.
  void currentStepChanged(int step);

 private:
  enum Metric { LatentNorm, ModeDistance, GuidanceNorm, MetricCount };

  static int index(Pipeline pipeline) { return pipeline == Pipeline::Late ? 0 : 1; }
  void buildPlot();
  void addPoint(Pipeline pipeline, int step, const TimelineStep& data);
  void updateRanges();
  void showStep(int step);

  std::array<TimelineTrace, 2> m_traces;
  std::array<FrameStrip*, 2> m_noisyStrips = {};
  std::array<FrameStrip*, 2> m_cleanStrips = {};
  std::array<ImageTile*, 2> m_noisyTiles = {};
  std::array<ImageTile*, 2> m_cleanTiles = {};
  QSlider* m_scrubber = nullptr;
  QLabel* m_stepLabel = nullptr;
  QCustomPlot* m_plot = nullptr;
  ReplotTimer* m_replotTimer = nullptr;
  std::array<QCPAxisRect*, MetricCount> m_axisRects = {};
  std::array<std::array<QCPGraph*, MetricCount>, 2> m_graphs = {};
  std::array<QCPItemStraightLine*, MetricCount> m_stepLines = {};
  int m_stepCount = 0;
};
