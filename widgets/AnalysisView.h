#pragma once

#include <QStringList>
#include <QVector>
#include <QWidget>

#include "widgets/AnalysisData.h"

class QCPGraph;
class QCPLegend;
class QCustomPlot;
class ReplotTimer;

/// \brief Plots that judge a synthetic set: a PCA scatter, training and evaluation curves, and over-correction.
///
/// The PCA scatter colours points by class and marks their source (real,
/// late, early). The over-correction scatter puts each synthetic sample's
/// classifier confidence for its prompt class against its distance to the
/// nearest real image: samples that are very confident and far from real data
/// are the over-corrected ones.
class AnalysisView : public QWidget {
  Q_OBJECT

 public:
  explicit AnalysisView(QWidget* parent = nullptr);

  /// Names the classes in legends; class indices without a name show as "class N".
  void setClassNames(const QStringList& names);
  void setPcaPoints(const QVector<ProjectedPoint>& points);
  /// Replaces the curves and labels the axes; the right axis appears when a series uses it.
  void setCurves(const QVector<NamedSeries>& series, const QString& xLabel, const QString& yLabel,
                 const QString& rightLabel = {});
  /// Appends one point to the named curve, creating it on the left axis when it is new.
  void appendCurvePoint(const QString& name, double x, double y);
  void setOverCorrection(const QVector<OverCorrectionPoint>& points);
  void clear();

  QCustomPlot* pcaPlot() const { return m_pcaPlot; }
  QCustomPlot* curvePlot() const { return m_curvePlot; }
  QCustomPlot* overCorrectionPlot() const { return m_overCorrectionPlot; }

 private:
  QString className(int classIndex) const;
  void setupPcaPlot();
  void setupCurvePlot();
  void setupOverCorrectionPlot();
  QCPGraph* addCurve(const QString& name, bool rightAxis);

  QStringList m_classNames;
  QCustomPlot* m_pcaPlot = nullptr;
  QCustomPlot* m_curvePlot = nullptr;
  QCustomPlot* m_overCorrectionPlot = nullptr;
  QCPLegend* m_pcaLegend = nullptr;
  ReplotTimer* m_pcaReplot = nullptr;
  ReplotTimer* m_curveReplot = nullptr;
  ReplotTimer* m_overCorrectionReplot = nullptr;
  QVector<ProjectedPoint> m_pcaPoints;
};
