#include "widgets/CurationFilterModel.h"

#include "widgets/CurationModel.h"

CurationFilterModel::CurationFilterModel(QObject* parent) : QSortFilterProxyModel(parent) {}

void CurationFilterModel::setClassFilter(int classIndex) {
  m_classIndex = classIndex;
  invalidateFilter();
}

void CurationFilterModel::setPipelineFilter(const QString& pipeline) {
  m_pipeline = pipeline;
  invalidateFilter();
}

bool CurationFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex& sourceParent) const {
  const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
  if (m_classIndex != kAllClasses && index.data(CurationModel::ClassIndexRole).toInt() != m_classIndex) return false;
  if (!m_pipeline.isEmpty() && index.data(CurationModel::PipelineRole).toString() != m_pipeline) return false;
  return true;
}
