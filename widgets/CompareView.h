#pragma once

#include <QPair>
#include <QVector>
#include <QWidget>

#include "widgets/CompareRow.h"

class ImageTile;
class QGridLayout;
class QLabel;
class QScrollArea;

/// \brief Rows of late sample, early sample and nearest real image, one row per (class, slot).
///
/// A worker fills it incrementally: `setRows` lays out the rows (images may
/// be null), then `updateRow` or `setImage` replaces one row or one image as
/// results arrive. `setStale(true)` dims every row until its next update.
class CompareView : public QWidget {
  Q_OBJECT

 public:
  enum class Column { Late, Early, NearestReal };

  explicit CompareView(QWidget* parent = nullptr);

  void setRows(const QVector<CompareRow>& rows);
  const QVector<CompareRow>& rows() const { return m_rows; }
  /// Replaces row `index` and clears its stale mark; out-of-range indices are ignored.
  void updateRow(int index, const CompareRow& row);
  /// Replaces one image and its caption in row `index` and clears the row's stale mark.
  void setImage(int index, Column column, const QImage& image, const QString& caption = {});

  /// Marks every row as stale (dimmed, with a banner) while a regeneration is pending.
  void setStale(bool stale);
  bool isStale() const { return m_stale; }
  bool isRowStale(int index) const;

  /// Returns the first row in the viewport and how many rows fit in it (a partly shown row counts).
  QPair<int, int> visibleRowRange() const;

  /// Sets the side of every image in logical pixels.
  void setImageSide(int side);

 private:
  struct RowWidgets {
    QLabel* label = nullptr;
    ImageTile* late = nullptr;
    ImageTile* early = nullptr;
    ImageTile* real = nullptr;
    bool stale = false;
  };

  void clearRowWidgets();
  void showRow(int index);
  void updateStaleBanner();

  QVector<CompareRow> m_rows;
  QVector<RowWidgets> m_rowWidgets;
  QScrollArea* m_scrollArea = nullptr;
  QWidget* m_content = nullptr;
  QGridLayout* m_grid = nullptr;
  QLabel* m_staleBanner = nullptr;
  int m_imageSide = 112;
  bool m_stale = false;
};
