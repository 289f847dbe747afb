#include "widgets/TimelineView.h"

#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSlider>
#include <QSplitter>
#include <QVBoxLayout>

#include <algorithm>

#include "widgets/FrameStrip.h"
#include "widgets/ImageTile.h"
#include "widgets/PlotStyle.h"
#include "widgets/QCustomPlotInclude.h"
#include "widgets/ReplotTimer.h"

namespace {

constexpr int kPreviewSide = 88;
// Share of a panel's value range added above the curves for its title and the legend.
constexpr double kTitleHeadroom = 0.45;

}  // namespace

TimelineView::TimelineView(QWidget* parent) : QWidget(parent) {
  auto* strips = new QGridLayout;
  const QString pipelineNames[2] = {tr("Late fusion"), tr("Early fusion")};
  for (int p = 0; p < 2; ++p) {
    m_noisyStrips[p] = new FrameStrip(this);
    m_cleanStrips[p] = new FrameStrip(this);
    m_noisyTiles[p] = new ImageTile(this);
    m_cleanTiles[p] = new ImageTile(this);
    m_noisyTiles[p]->setImageSide(kPreviewSide);
    m_cleanTiles[p]->setImageSide(kPreviewSide);
    m_noisyTiles[p]->setCaption(tr("%1\nx_t").arg(pipelineNames[p]));
    m_cleanTiles[p]->setCaption(tr("%1\npredicted x0").arg(pipelineNames[p]));

    strips->addWidget(new QLabel(tr("%1\nx_t").arg(pipelineNames[p]), this), 2 * p, 0);
    strips->addWidget(m_noisyStrips[p], 2 * p, 1);
    strips->addWidget(new QLabel(tr("%1\npredicted x0").arg(pipelineNames[p]), this), 2 * p + 1, 0);
    strips->addWidget(m_cleanStrips[p], 2 * p + 1, 1);
    strips->addWidget(m_noisyTiles[p], 0, 2 + p, 2, 1);
    strips->addWidget(m_cleanTiles[p], 2, 2 + p, 2, 1);
    connect(m_noisyStrips[p], &FrameStrip::frameClicked, this, &TimelineView::setCurrentStep);
    connect(m_cleanStrips[p], &FrameStrip::frameClicked, this, &TimelineView::setCurrentStep);
  }
  strips->setColumnStretch(1, 1);

  m_scrubber = new QSlider(Qt::Horizontal, this);
  m_scrubber->setRange(0, 0);
  m_stepLabel = new QLabel(this);
  m_stepLabel->setMinimumWidth(m_stepLabel->fontMetrics().horizontalAdvance(tr("step 1000 of 1000, t = 999")));
  auto* scrubRow = new QHBoxLayout;
  scrubRow->addWidget(new QLabel(tr("Step"), this));
  scrubRow->addWidget(m_scrubber, /*stretch=*/1);
  scrubRow->addWidget(m_stepLabel);

  m_plot = new QCustomPlot(this);
  m_plot->setMinimumHeight(240);
  m_replotTimer = new ReplotTimer(m_plot);
  buildPlot();

  auto* top = new QWidget(this);
  auto* topLayout = new QVBoxLayout(top);
  topLayout->setContentsMargins(0, 0, 0, 0);
  topLayout->addLayout(strips);
  topLayout->addLayout(scrubRow);

  auto* splitter = new QSplitter(Qt::Vertical, this);
  splitter->addWidget(top);
  splitter->addWidget(m_plot);
  splitter->setStretchFactor(1, 1);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(splitter);

  connect(m_scrubber, &QSlider::valueChanged, this, &TimelineView::showStep);
  showStep(0);
}

void TimelineView::buildPlot() {
  m_plot->plotLayout()->clear();
  auto* marginGroup = new QCPMarginGroup(m_plot);
  // Each panel's title sits inside it, top left, above the curves. As a y-axis label it overflowed the short
  // panels, and a row of its own left too little height for the curves.
  const QString titles[MetricCount] = {tr("Latent norm ‖x_t‖"), tr("Distance of predicted x0 to the mode"),
                                       tr("Mode-guidance magnitude")};
  QFont titleFont = m_plot->font();
  titleFont.setPointSizeF(titleFont.pointSizeF() * 0.9);
  const QColor colors[2] = {PlotStyle::pipelineColor(Pipeline::Late), PlotStyle::pipelineColor(Pipeline::Early)};
  const QString names[2] = {tr("Late fusion"), tr("Early fusion")};

  auto* legend = new QCPLegend;
  for (int metric = 0; metric < MetricCount; ++metric) {
    auto* rect = new QCPAxisRect(m_plot);
    m_axisRects[metric] = rect;
    m_plot->plotLayout()->addElement(metric, 0, rect);
    rect->setMarginGroup(QCP::msLeft | QCP::msRight, marginGroup);
    auto* title = new QCPTextElement(m_plot, titles[metric], titleFont);
    title->setMargins(QMargins(10, 2, 0, 0));
    rect->axis(QCPAxis::atLeft)->ticker()->setTickCount(3);
    rect->insetLayout()->addElement(title, Qt::AlignTop | Qt::AlignLeft);
    rect->axis(QCPAxis::atBottom)->setTickLabels(metric == MetricCount - 1);
    for (int p = 0; p < 2; ++p) {
      QCPGraph* graph = m_plot->addGraph(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
      graph->setName(names[p]);
      graph->setPen(QPen(colors[p], 2));
      m_graphs[p][metric] = graph;
    }

    auto* line = new QCPItemStraightLine(m_plot);
    line->setClipAxisRect(rect);
    line->point1->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    line->point2->setAxes(rect->axis(QCPAxis::atBottom), rect->axis(QCPAxis::atLeft));
    line->setPen(QPen(Qt::gray, 1, Qt::DashLine));
    m_stepLines[metric] = line;
  }
  m_axisRects[MetricCount - 1]->axis(QCPAxis::atBottom)->setLabel(tr("sampling step"));

  // The legend sits inside the top panel, as QCustomPlot's default legend would.
  m_axisRects[0]->insetLayout()->addElement(legend, Qt::AlignTop | Qt::AlignRight);
  legend->setLayer(QStringLiteral("legend"));
  legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
  legend->setBorderPen(Qt::NoPen);
  legend->setBrush(Qt::NoBrush);
  legend->setFont(titleFont);
  for (int p = 0; p < 2; ++p) m_graphs[p][0]->addToLegend(legend);
}

void TimelineView::setTrace(Pipeline pipeline, const TimelineTrace& trace) {
  const int p = index(pipeline);
  m_traces[p] = TimelineTrace{};
  std::vector<QImage> noisy;
  std::vector<QImage> clean;
  for (QCPGraph* graph : m_graphs[p]) graph->data()->clear();
  for (const TimelineStep& step : trace.steps) {
    noisy.push_back(step.x_t);
    clean.push_back(step.pred_xstart);
    addPoint(pipeline, static_cast<int>(m_traces[p].steps.size()), step);
    m_traces[p].steps.push_back(step);
  }
  m_noisyStrips[p]->setFrames(noisy);
  m_cleanStrips[p]->setFrames(clean);
  updateRanges();
}

void TimelineView::appendStep(Pipeline pipeline, const TimelineStep& step) {
  const int p = index(pipeline);
  addPoint(pipeline, static_cast<int>(m_traces[p].steps.size()), step);
  m_traces[p].steps.push_back(step);
  m_noisyStrips[p]->appendFrame(step.x_t);
  m_cleanStrips[p]->appendFrame(step.pred_xstart);
  updateRanges();
}

void TimelineView::clear() {
  setTrace(Pipeline::Late, {});
  setTrace(Pipeline::Early, {});
  m_stepCount = 0;
  updateRanges();
}

void TimelineView::setStepCount(int steps) {
  m_stepCount = std::max(0, steps);
  updateRanges();
}

void TimelineView::setCurrentStep(int step) { m_scrubber->setValue(step); }

int TimelineView::currentStep() const { return m_scrubber->value(); }

void TimelineView::addPoint(Pipeline pipeline, int step, const TimelineStep& data) {
  const auto& graphs = m_graphs[index(pipeline)];
  graphs[LatentNorm]->addData(step, data.latent_norm);
  graphs[ModeDistance]->addData(step, data.mode_distance);
  graphs[GuidanceNorm]->addData(step, data.guidance_norm);
}

void TimelineView::updateRanges() {
  const int traced = static_cast<int>(std::max(m_traces[0].steps.size(), m_traces[1].steps.size()));
  const int steps = std::max(m_stepCount, traced);
  {
    const QSignalBlocker blocker(m_scrubber);
    m_scrubber->setRange(0, std::max(0, steps - 1));
  }

  for (int metric = 0; metric < MetricCount; ++metric) {
    m_axisRects[metric]->axis(QCPAxis::atBottom)->setRange(0, std::max(1, steps - 1));
    bool found = false;
    QCPRange range(0, 1);
    for (int p = 0; p < 2; ++p) {
      bool graphFound = false;
      const QCPRange graphRange = m_graphs[p][metric]->getValueRange(graphFound);
      if (!graphFound) continue;
      range = found ? QCPRange(std::min(range.lower, graphRange.lower), std::max(range.upper, graphRange.upper))
                    : graphRange;
      found = true;
    }
    // Pad so flat curves (guidance after the stop step) stay visible off the frame, and leave headroom
    // for the panel title and the legend.
    const double pad = std::max(1e-6, 0.08 * range.size());
    m_axisRects[metric]->axis(QCPAxis::atLeft)->setRange(range.lower - pad, range.upper + pad + kTitleHeadroom * range.size());
  }
  showStep(m_scrubber->value());
}

void TimelineView::showStep(int step) {
  for (int p = 0; p < 2; ++p) {
    m_noisyStrips[p]->setCurrent(step);
    m_cleanStrips[p]->setCurrent(step);
    m_noisyTiles[p]->setImage(m_noisyStrips[p]->frame(step));
    m_cleanTiles[p]->setImage(m_cleanStrips[p]->frame(step));
  }
  for (QCPItemStraightLine* line : m_stepLines) {
    line->point1->setCoords(step, 0);
    line->point2->setCoords(step, 1);
  }

  const int total = m_scrubber->maximum() + 1;
  const auto& lateSteps = m_traces[0].steps;
  const auto& earlySteps = m_traces[1].steps;
  const TimelineStep* traced = step < static_cast<int>(lateSteps.size())    ? &lateSteps[step]
                               : step < static_cast<int>(earlySteps.size()) ? &earlySteps[step]
                                                                             : nullptr;
  m_stepLabel->setText(traced ? tr("step %1 of %2, t = %3").arg(step + 1).arg(total).arg(traced->timestep)
                              : tr("step %1 of %2").arg(step + 1).arg(total));
  m_replotTimer->schedule();
  Q_EMIT currentStepChanged(step);
}
