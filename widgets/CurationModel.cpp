#include "widgets/CurationModel.h"

#include <algorithm>

CurationModel::CurationModel(QObject* parent) : QAbstractListModel(parent) {}

void CurationModel::setItems(const QVector<CurationItem>& items) {
  beginResetModel();
  m_items = items;
  endResetModel();
  Q_EMIT countsChanged();
}

int CurationModel::rowOfId(int id) const {
  for (int row = 0; row < m_items.size(); ++row) {
    if (m_items[row].id == id) return row;
  }
  return -1;
}

CurationState CurationModel::state(int id) const {
  const int row = rowOfId(id);
  return row < 0 ? CurationState::Undecided : m_items[row].state;
}

void CurationModel::setState(int id, CurationState state) {
  const int row = rowOfId(id);
  if (row < 0 || m_items[row].state == state) return;
  m_items[row].state = state;
  const QModelIndex changed = index(row);
  Q_EMIT dataChanged(changed, changed, {StateRole});
  Q_EMIT countsChanged();
}

QVector<int> CurationModel::keptIds() const {
  QVector<int> ids;
  for (const CurationItem& item : m_items) {
    if (item.state == CurationState::Kept) ids.append(item.id);
  }
  return ids;
}

int CurationModel::count(CurationState state) const {
  return static_cast<int>(
      std::count_if(m_items.begin(), m_items.end(), [state](const CurationItem& item) { return item.state == state; }));
}

int CurationModel::rowCount(const QModelIndex& parent) const {
  return parent.isValid() ? 0 : static_cast<int>(m_items.size());
}

QVariant CurationModel::data(const QModelIndex& index, int role) const {
  if (!index.isValid() || index.row() >= m_items.size()) return {};
  const CurationItem& item = m_items[index.row()];
  switch (role) {
    case Qt::DisplayRole:
      return tr("%1 · %2").arg(item.class_name, item.pipeline);
    case Qt::ToolTipRole:
      return tr("Image %1: %2, %3 pipeline").arg(item.id).arg(item.class_name, item.pipeline);
    case Qt::DecorationRole:
    case ImageRole:
      return item.image;
    case IdRole:
      return item.id;
    case ClassIndexRole:
      return item.class_index;
    case ClassNameRole:
      return item.class_name;
    case PipelineRole:
      return item.pipeline;
    case StateRole:
      return static_cast<int>(item.state);
    default:
      return {};
  }
}

QHash<int, QByteArray> CurationModel::roleNames() const {
  QHash<int, QByteArray> names = QAbstractListModel::roleNames();
  names[IdRole] = "id";
  names[ClassIndexRole] = "classIndex";
  names[ClassNameRole] = "className";
  names[PipelineRole] = "pipeline";
  names[StateRole] = "state";
  names[ImageRole] = "image";
  return names;
}
