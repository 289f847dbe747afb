#include "widgets/GalleryView.h"

#include <QAction>
#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QListView>
#include <QPushButton>
#include <QSignalBlocker>
#include <QToolButton>
#include <QUndoStack>
#include <QVBoxLayout>

#include <algorithm>
#include <map>

#include "widgets/CurationCommand.h"
#include "widgets/CurationDelegate.h"
#include "widgets/CurationFilterModel.h"
#include "widgets/CurationModel.h"

GalleryView::GalleryView(QWidget* parent) : QWidget(parent) {
  m_model = new CurationModel(this);
  m_filter = new CurationFilterModel(this);
  m_filter->setSourceModel(m_model);
  m_delegate = new CurationDelegate(this);
  m_undoStack = new QUndoStack(this);

  m_view = new QListView(this);
  m_view->setViewMode(QListView::IconMode);
  m_view->setResizeMode(QListView::Adjust);
  m_view->setMovement(QListView::Static);
  m_view->setUniformItemSizes(true);
  m_view->setSelectionMode(QAbstractItemView::ExtendedSelection);
  m_view->setSpacing(4);
  m_view->setModel(m_filter);
  m_view->setItemDelegate(m_delegate);

  QAction* keep = addShortcutAction(tr("&Keep"), QKeySequence(Qt::Key_K));
  QAction* reject = addShortcutAction(tr("&Reject"), QKeySequence(Qt::Key_R));
  QAction* clear = addShortcutAction(tr("&Undecided"), QKeySequence(Qt::Key_U));
  keep->setToolTip(tr("Keep the selected images (K)"));
  reject->setToolTip(tr("Reject the selected images (R)"));
  clear->setToolTip(tr("Clear the decision on the selected images (U)"));
  connect(keep, &QAction::triggered, this, [this] { applyToSelection(CurationState::Kept); });
  connect(reject, &QAction::triggered, this, [this] { applyToSelection(CurationState::Rejected); });
  connect(clear, &QAction::triggered, this, [this] { applyToSelection(CurationState::Undecided); });

  // Plain actions, not createUndoAction, keep the button text short. The
  // tool tip names the step instead.
  auto* undo = new QAction(tr("Undo"), this);
  auto* redo = new QAction(tr("Redo"), this);
  undo->setEnabled(false);
  redo->setEnabled(false);
  connect(undo, &QAction::triggered, m_undoStack, &QUndoStack::undo);
  connect(redo, &QAction::triggered, m_undoStack, &QUndoStack::redo);
  connect(m_undoStack, &QUndoStack::canUndoChanged, undo, &QAction::setEnabled);
  connect(m_undoStack, &QUndoStack::canRedoChanged, redo, &QAction::setEnabled);
  connect(m_undoStack, &QUndoStack::undoTextChanged, undo,
          [undo](const QString& text) { undo->setToolTip(tr("Undo: %1").arg(text)); });
  connect(m_undoStack, &QUndoStack::redoTextChanged, redo,
          [redo](const QString& text) { redo->setToolTip(tr("Redo: %1").arg(text)); });
  // setShortcut(StandardKey) keeps only the platform's first binding, so the
  // common redo keys are listed explicitly.
  undo->setShortcuts(QKeySequence::Undo);
  redo->setShortcuts({QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z), QKeySequence(Qt::CTRL | Qt::Key_Y)});
  for (QAction* action : {undo, redo}) {
    action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    addAction(action);
  }

  m_classCombo = new QComboBox(this);
  m_pipelineCombo = new QComboBox(this);
  m_classCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  m_pipelineCombo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
  m_countsLabel = new QLabel(this);
  auto* exportButton = new QPushButton(tr("Export kept…"), this);
  exportButton->setObjectName(QStringLiteral("exportButton"));
  exportButton->setToolTip(tr("Export the images marked as kept"));

  // Two rows keep the gallery usable in a narrow dock: decisions and
  // export above, filters and counts below.
  auto* actionRow = new QHBoxLayout;
  for (QAction* action : {keep, reject, clear, undo, redo}) {
    auto* button = new QToolButton(this);
    button->setDefaultAction(action);
    actionRow->addWidget(button);
  }
  actionRow->addStretch(1);
  actionRow->addWidget(exportButton);

  auto* filterRow = new QHBoxLayout;
  filterRow->addWidget(new QLabel(tr("Class"), this));
  filterRow->addWidget(m_classCombo);
  filterRow->addWidget(new QLabel(tr("Pipeline"), this));
  filterRow->addWidget(m_pipelineCombo);
  filterRow->addStretch(1);
  filterRow->addWidget(m_countsLabel);

  auto* layout = new QVBoxLayout(this);
  layout->addLayout(actionRow);
  layout->addLayout(filterRow);
  layout->addWidget(m_view, /*stretch=*/1);

  connect(m_model, &CurationModel::countsChanged, this, &GalleryView::updateCounts);
  connect(m_classCombo, &QComboBox::activated, this, &GalleryView::onClassFilterChosen);
  connect(m_pipelineCombo, &QComboBox::activated, this, &GalleryView::onPipelineFilterChosen);
  connect(exportButton, &QPushButton::clicked, this, [this] { Q_EMIT exportRequested(keptIds()); });

  fillFilters();
  updateCounts();
}

QAction* GalleryView::addShortcutAction(const QString& text, const QKeySequence& key) {
  auto* action = new QAction(text, this);
  action->setShortcut(key);
  // Active while the gallery or its list has focus, so K and R stay free elsewhere.
  action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
  addAction(action);
  return action;
}

void GalleryView::setItems(const QVector<CurationItem>& items) {
  m_undoStack->clear();
  m_model->setItems(items);
  fillFilters();
  if (m_filter->rowCount() > 0) m_view->setCurrentIndex(m_filter->index(0, 0));
}

QVector<int> GalleryView::keptIds() const { return m_model->keptIds(); }

void GalleryView::setClassFilter(int classIndex) {
  m_filter->setClassFilter(classIndex);
  const QSignalBlocker blocker(m_classCombo);
  m_classCombo->setCurrentIndex(std::max(0, m_classCombo->findData(classIndex)));
}

void GalleryView::setPipelineFilter(const QString& pipeline) {
  m_filter->setPipelineFilter(pipeline);
  const QSignalBlocker blocker(m_pipelineCombo);
  m_pipelineCombo->setCurrentIndex(std::max(0, m_pipelineCombo->findData(pipeline)));
}

void GalleryView::applyToSelection(CurationState state) {
  QModelIndexList selected = m_view->selectionModel()->selectedIndexes();
  if (selected.isEmpty() && m_view->currentIndex().isValid()) selected.append(m_view->currentIndex());
  if (selected.isEmpty()) return;
  std::sort(selected.begin(), selected.end(),
            [](const QModelIndex& a, const QModelIndex& b) { return a.row() < b.row(); });

  QVector<int> ids;
  for (const QModelIndex& index : selected) ids.append(index.data(CurationModel::IdRole).toInt());
  const int nextRow = selected.last().row() + 1;
  m_undoStack->push(new CurationCommand(m_model, ids, state));

  // Move on, so a researcher can judge a whole grid with one key per image.
  if (nextRow < m_filter->rowCount()) {
    m_view->selectionModel()->setCurrentIndex(m_filter->index(nextRow, 0), QItemSelectionModel::ClearAndSelect);
  }
}

void GalleryView::setThumbnailSide(int side) {
  m_delegate->setThumbnailSide(side);
  m_view->doItemsLayout();
}

void GalleryView::fillFilters() {
  std::map<int, QString> classes;
  QStringList pipelines;
  for (const CurationItem& item : m_model->items()) {
    classes.emplace(item.class_index, item.class_name);
    if (!pipelines.contains(item.pipeline)) pipelines.append(item.pipeline);
  }

  {
    const QSignalBlocker blocker(m_classCombo);
    m_classCombo->clear();
    m_classCombo->addItem(tr("All classes"), CurationFilterModel::kAllClasses);
    for (const auto& [index, name] : classes) m_classCombo->addItem(name, index);
  }
  {
    const QSignalBlocker blocker(m_pipelineCombo);
    m_pipelineCombo->clear();
    m_pipelineCombo->addItem(tr("All pipelines"), QString());
    for (const QString& pipeline : pipelines) m_pipelineCombo->addItem(pipeline, pipeline);
  }
  setClassFilter(CurationFilterModel::kAllClasses);
  setPipelineFilter(QString());
}

void GalleryView::onClassFilterChosen(int comboIndex) {
  m_filter->setClassFilter(m_classCombo->itemData(comboIndex).toInt());
}

void GalleryView::onPipelineFilterChosen(int comboIndex) {
  m_filter->setPipelineFilter(m_pipelineCombo->itemData(comboIndex).toString());
}

void GalleryView::updateCounts() {
  m_countsLabel->setText(tr("%1 kept, %2 rejected, %3 undecided")
                             .arg(m_model->count(CurationState::Kept))
                             .arg(m_model->count(CurationState::Rejected))
                             .arg(m_model->count(CurationState::Undecided)));
}
