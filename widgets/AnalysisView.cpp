#include "widgets/AnalysisView.h"

#include <QSplitter>
#include <QVBoxLayout>

#include <algorithm>
#include <map>

#include "widgets/PlotStyle.h"
#include "widgets/QCustomPlotInclude.h"
#include "widgets/ReplotTimer.h"

namespace {

QCPScatterStyle sourceStyle(PointSource source, const QColor& color) {
  switch (source) {
    case PointSource::Real: {
      QColor fill = color;
      fill.setAlpha(90);
      return QCPScatterStyle(QCPScatterStyle::ssDisc, fill, fill, 5);
    }
    case PointSource::Late:
      return QCPScatterStyle(QCPScatterStyle::ssCross, QPen(color, 1.5), Qt::NoBrush, 8);
    case PointSource::Early:
      return QCPScatterStyle(QCPScatterStyle::ssTriangle, QPen(color, 1.5), Qt::NoBrush, 8);
  }
  return {};
}

QCPGraph* addScatterGraph(QCustomPlot* plot, const QCPScatterStyle& style) {
  QCPGraph* graph = plot->addGraph();
  graph->setLineStyle(QCPGraph::lsNone);
  graph->setScatterStyle(style);
  return graph;
}

void rescaleWithMargin(QCustomPlot* plot) {
  plot->rescaleAxes();
  for (QCPAxis* axis : {plot->xAxis, plot->yAxis}) {
    const QCPRange range = axis->range();
    const double pad = std::max(1e-9, 0.05 * range.size());
    axis->setRange(range.lower - pad, range.upper + pad);
  }
}

}  // namespace

AnalysisView::AnalysisView(QWidget* parent) : QWidget(parent) {
  m_pcaPlot = new QCustomPlot(this);
  m_curvePlot = new QCustomPlot(this);
  m_overCorrectionPlot = new QCustomPlot(this);
  for (QCustomPlot* plot : {m_pcaPlot, m_curvePlot, m_overCorrectionPlot}) plot->setMinimumSize(280, 220);
  m_pcaReplot = new ReplotTimer(m_pcaPlot);
  m_curveReplot = new ReplotTimer(m_curvePlot);
  m_overCorrectionReplot = new ReplotTimer(m_overCorrectionPlot);

  setupPcaPlot();
  setupCurvePlot();
  setupOverCorrectionPlot();

  auto* topRow = new QSplitter(Qt::Horizontal, this);
  topRow->addWidget(m_pcaPlot);
  topRow->addWidget(m_overCorrectionPlot);
  auto* columns = new QSplitter(Qt::Vertical, this);
  columns->addWidget(topRow);
  columns->addWidget(m_curvePlot);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(columns);
}

void AnalysisView::setupPcaPlot() {
  m_pcaPlot->plotLayout()->insertRow(0);
  m_pcaPlot->plotLayout()->addElement(0, 0, new QCPTextElement(m_pcaPlot, tr("Latent PCA"), QFont()));
  m_pcaPlot->xAxis->setLabel(tr("principal component 1"));
  m_pcaPlot->yAxis->setLabel(tr("principal component 2"));

  // The legend lists classes and sources separately, outside the axes, so
  // it never hides points.
  m_pcaLegend = m_pcaPlot->legend;
  m_pcaPlot->axisRect()->insetLayout()->take(m_pcaLegend);
  auto* legendColumn = new QCPLayoutGrid;
  m_pcaPlot->plotLayout()->addElement(1, 1, legendColumn);
  m_pcaPlot->plotLayout()->setColumnStretchFactor(1, 0.001);
  legendColumn->setMargins(QMargins(0, 6, 8, 6));
  legendColumn->addElement(0, 0, m_pcaLegend);
  legendColumn->addElement(1, 0, new QCPLayoutElement(m_pcaPlot));  // empty cell below takes the spare height
  legendColumn->setRowStretchFactor(0, 0.001);
  m_pcaLegend->setRowSpacing(0);
  m_pcaLegend->setVisible(true);
  m_pcaPlot->setAutoAddPlottableToLegend(false);
}

void AnalysisView::setupCurvePlot() {
  m_curvePlot->plotLayout()->insertRow(0);
  m_curvePlot->plotLayout()->addElement(0, 0,
                                        new QCPTextElement(m_curvePlot, tr("Training and evaluation"), QFont()));
  m_curvePlot->legend->setVisible(true);
  m_curvePlot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
}

void AnalysisView::setupOverCorrectionPlot() {
  m_overCorrectionPlot->plotLayout()->insertRow(0);
  m_overCorrectionPlot->plotLayout()->addElement(
      0, 0, new QCPTextElement(m_overCorrectionPlot, tr("Prompt over-correction"), QFont()));
  m_overCorrectionPlot->xAxis->setLabel(tr("distance to nearest real image"));
  m_overCorrectionPlot->yAxis->setLabel(tr("confidence for the prompt class"));
  m_overCorrectionPlot->legend->setVisible(true);
  m_overCorrectionPlot->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);

  const QColor late = PlotStyle::pipelineColor(Pipeline::Late);
  const QColor early = PlotStyle::pipelineColor(Pipeline::Early);
  addScatterGraph(m_overCorrectionPlot, sourceStyle(PointSource::Late, late))->setName(tr("Late fusion"));
  addScatterGraph(m_overCorrectionPlot, sourceStyle(PointSource::Early, early))->setName(tr("Early fusion"));
  m_overCorrectionPlot->yAxis->setRange(0, 1.05);
}

QString AnalysisView::className(int classIndex) const {
  if (classIndex >= 0 && classIndex < m_classNames.size()) return m_classNames[classIndex];
  return tr("class %1").arg(classIndex);
}

void AnalysisView::setClassNames(const QStringList& names) {
  m_classNames = names;
  setPcaPoints(m_pcaPoints);
}

void AnalysisView::setPcaPoints(const QVector<ProjectedPoint>& points) {
  m_pcaPoints = points;
  m_pcaPlot->clearGraphs();
  m_pcaLegend->clearItems();

  // One graph per (source, class) carries the points. Legend-only graphs
  // without data explain the colours and the markers.
  std::map<std::pair<int, int>, QCPGraph*> graphs;
  std::map<int, bool> classes;
  for (const ProjectedPoint& point : points) {
    const auto key = std::make_pair(static_cast<int>(point.source), point.class_index);
    auto found = graphs.find(key);
    if (found == graphs.end()) {
      QCPGraph* graph = addScatterGraph(m_pcaPlot, sourceStyle(point.source, PlotStyle::classColor(point.class_index)));
      found = graphs.emplace(key, graph).first;
    }
    found->second->addData(point.x, point.y);
    classes[point.class_index] = true;
  }

  for (const auto& entry : classes) {
    const QColor color = PlotStyle::classColor(entry.first);
    QCPGraph* swatch = addScatterGraph(m_pcaPlot, QCPScatterStyle(QCPScatterStyle::ssDisc, color, color, 8));
    swatch->setName(className(entry.first));
    swatch->addToLegend(m_pcaLegend);
  }
  const std::pair<PointSource, QString> sources[] = {
      {PointSource::Real, tr("real")}, {PointSource::Late, tr("late fusion")}, {PointSource::Early, tr("early fusion")}};
  for (const auto& [source, name] : sources) {
    QCPGraph* marker = addScatterGraph(m_pcaPlot, sourceStyle(source, Qt::black));
    marker->setName(name);
    marker->addToLegend(m_pcaLegend);
  }

  if (!points.isEmpty()) rescaleWithMargin(m_pcaPlot);
  m_pcaReplot->schedule();
}

QCPGraph* AnalysisView::addCurve(const QString& name, bool rightAxis) {
  QCPAxis* valueAxis = rightAxis ? m_curvePlot->yAxis2 : m_curvePlot->yAxis;
  QCPGraph* graph = m_curvePlot->addGraph(m_curvePlot->xAxis, valueAxis);
  graph->setName(name);
  graph->setPen(QPen(PlotStyle::classColor(m_curvePlot->graphCount() - 1), 2));
  if (rightAxis) {
    m_curvePlot->yAxis2->setVisible(true);
    graph->setPen(QPen(graph->pen().color(), 2, Qt::DashLine));
  }
  return graph;
}

void AnalysisView::setCurves(const QVector<NamedSeries>& series, const QString& xLabel, const QString& yLabel,
                             const QString& rightLabel) {
  m_curvePlot->clearGraphs();
  m_curvePlot->yAxis2->setVisible(false);
  m_curvePlot->xAxis->setLabel(xLabel);
  m_curvePlot->yAxis->setLabel(yLabel);
  m_curvePlot->yAxis2->setLabel(rightLabel);
  for (const NamedSeries& curve : series) {
    QCPGraph* graph = addCurve(curve.name, curve.right_axis);
    graph->setData(curve.x, curve.y);
  }
  m_curvePlot->rescaleAxes();
  m_curveReplot->schedule();
}

void AnalysisView::appendCurvePoint(const QString& name, double x, double y) {
  QCPGraph* graph = nullptr;
  for (int i = 0; i < m_curvePlot->graphCount() && !graph; ++i) {
    if (m_curvePlot->graph(i)->name() == name) graph = m_curvePlot->graph(i);
  }
  if (!graph) graph = addCurve(name, /*rightAxis=*/false);
  graph->addData(x, y);
  m_curvePlot->rescaleAxes();
  m_curveReplot->schedule();
}

void AnalysisView::setOverCorrection(const QVector<OverCorrectionPoint>& points) {
  QCPGraph* late = m_overCorrectionPlot->graph(0);
  QCPGraph* early = m_overCorrectionPlot->graph(1);
  late->data()->clear();
  early->data()->clear();
  double maxDistance = 0.0;
  for (const OverCorrectionPoint& point : points) {
    QCPGraph* graph = point.pipeline == Pipeline::Late ? late : early;
    graph->addData(point.nearest_distance, point.confidence);
    maxDistance = std::max(maxDistance, point.nearest_distance);
  }
  m_overCorrectionPlot->xAxis->setRange(0, maxDistance > 0.0 ? 1.05 * maxDistance : 1.0);
  m_overCorrectionReplot->schedule();
}

void AnalysisView::clear() {
  setPcaPoints({});
  setCurves({}, {}, {});
  setOverCorrection({});
}
