#pragma once

#include <QAbstractListModel>
#include <QVector>

#include "widgets/CurationItem.h"

/// \brief List model of synthetic images and their keep or reject decisions.
///
/// Display role: "class · pipeline"; decoration role: the image; the custom
/// roles expose the plain fields for filtering and painting. Decisions are
/// changed through `setState`; the gallery wraps them in undo commands.
class CurationModel : public QAbstractListModel {
  Q_OBJECT

 public:
  enum Role {
    IdRole = Qt::UserRole + 1,
    ClassIndexRole,
    ClassNameRole,
    PipelineRole,
    StateRole,  ///< CurationState as int.
    ImageRole,
  };

  explicit CurationModel(QObject* parent = nullptr);

  void setItems(const QVector<CurationItem>& items);
  const QVector<CurationItem>& items() const { return m_items; }
  /// Returns the row of the item with `id`, or -1.
  int rowOfId(int id) const;

  /// Returns the state of item `id`; Undecided for unknown ids.
  CurationState state(int id) const;
  /// Sets the state of item `id`; unknown ids are ignored.
  void setState(int id, CurationState state);

  /// Returns the ids of kept items in model order.
  QVector<int> keptIds() const;
  int count(CurationState state) const;

  int rowCount(const QModelIndex& parent = {}) const override;
  QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
  QHash<int, QByteArray> roleNames() const override;

 Q_SIGNALS:
  /// Emitted after any state change or new item list, so counts can refresh.
  void countsChanged();

 private:
  QVector<CurationItem> m_items;
};
