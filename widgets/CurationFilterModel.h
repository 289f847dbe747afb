#pragma once

#include <QSortFilterProxyModel>

/// \brief Filters the curation model by class index and pipeline.
class CurationFilterModel : public QSortFilterProxyModel {
  Q_OBJECT

 public:
  static constexpr int kAllClasses = -1;

  explicit CurationFilterModel(QObject* parent = nullptr);

  /// Shows only `classIndex`, or every class for kAllClasses.
  void setClassFilter(int classIndex);
  int classFilter() const { return m_classIndex; }
  /// Shows only `pipeline`, or every pipeline for an empty string.
  void setPipelineFilter(const QString& pipeline);
  QString pipelineFilter() const { return m_pipeline; }

 protected:
  bool filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const override;

 private:
  int m_classIndex = kAllClasses;
  QString m_pipeline;
};
