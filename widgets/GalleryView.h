#pragma once

#include <QVector>
#include <QWidget>

#include "widgets/CurationItem.h"

class CurationDelegate;
class CurationFilterModel;
class CurationModel;
class QAction;
class QComboBox;
class QLabel;
class QListView;
class QUndoStack;

/// \brief Thumbnail grid for curating a synthetic set: keep, reject, undo, filter and export.
///
/// Keys: K keeps, R rejects, U clears the decision on the selected images,
/// then the selection moves to the next image; Ctrl+Z and Ctrl+Shift+Z undo
/// and redo. The class and pipeline filters hide rows but never change decisions.
class GalleryView : public QWidget {
  Q_OBJECT

 public:
  explicit GalleryView(QWidget* parent = nullptr);

  void setItems(const QVector<CurationItem>& items);
  QVector<int> keptIds() const;

  /// Shows only `classIndex`; -1 shows every class.
  void setClassFilter(int classIndex);
  /// Shows only `pipeline`; an empty string shows every pipeline.
  void setPipelineFilter(const QString& pipeline);
  /// Applies `state` to the selected images as one undoable step.
  void applyToSelection(CurationState state);
  void setThumbnailSide(int side);

  CurationModel* model() const { return m_model; }
  CurationFilterModel* filterModel() const { return m_filter; }
  QListView* listView() const { return m_view; }
  QUndoStack* undoStack() const { return m_undoStack; }
  QLabel* countsLabel() const { return m_countsLabel; }

 Q_SIGNALS:
  /// Emitted by the export button with the kept ids in model order.
  void exportRequested(const QVector<int>& keptIds);

 private:
  QAction* addShortcutAction(const QString& text, const QKeySequence& key);
  void fillFilters();
  void onClassFilterChosen(int comboIndex);
  void onPipelineFilterChosen(int comboIndex);
  void updateCounts();

  CurationModel* m_model = nullptr;
  CurationFilterModel* m_filter = nullptr;
  CurationDelegate* m_delegate = nullptr;
  QListView* m_view = nullptr;
  QUndoStack* m_undoStack = nullptr;
  QComboBox* m_classCombo = nullptr;
  QComboBox* m_pipelineCombo = nullptr;
  QLabel* m_countsLabel = nullptr;
};
