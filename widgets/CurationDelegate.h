#pragma once

#include <QStyledItemDelegate>

/// \brief Paints a curation thumbnail: the image without smoothing, its caption, and a kept or rejected mark.
class CurationDelegate : public QStyledItemDelegate {
  Q_OBJECT

 public:
  explicit CurationDelegate(QObject* parent = nullptr);

  /// Sets the side of the square thumbnail in logical pixels.
  void setThumbnailSide(int side) { m_side = side; }
  int thumbnailSide() const { return m_side; }

  void paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const override;
  QSize sizeHint(const QStyleOptionViewItem& option, const QModelIndex& index) const override;

 private:
  int m_side = 96;
};
