#include "widgets/CompareView.h"

#include <algorithm>

#include <QGridLayout>
#include <QLabel>
#include <QScrollArea>
#include <QScrollBar>
#include <QVBoxLayout>

#include "widgets/ImageTile.h"

namespace {

constexpr int kHeaderRow = 0;
// Height of a tile's caption and margins beyond the image, before the first layout gives the real pitch.
constexpr int kCaptionAllowance = 40;

QLabel* makeHeader(const QString& text, QWidget* parent) {
  auto* label = new QLabel(text, parent);
  QFont font = label->font();
  font.setBold(true);
  label->setFont(font);
  label->setAlignment(Qt::AlignCenter);
  return label;
}

}  // namespace

CompareView::CompareView(QWidget* parent) : QWidget(parent) {
  m_staleBanner = new QLabel(tr("Regenerating: these samples are out of date."), this);
  m_staleBanner->setAlignment(Qt::AlignCenter);
  m_staleBanner->setAutoFillBackground(true);
  QPalette bannerPalette = m_staleBanner->palette();
  bannerPalette.setColor(QPalette::Window, QColor(255, 236, 179));
  bannerPalette.setColor(QPalette::WindowText, QColor(102, 60, 0));
  m_staleBanner->setPalette(bannerPalette);
  m_staleBanner->setMargin(4);
  m_staleBanner->hide();

  m_content = new QWidget;
  m_grid = new QGridLayout(m_content);
  m_grid->setHorizontalSpacing(12);
  m_grid->addWidget(makeHeader(tr("Class / slot"), m_content), kHeaderRow, 0);
  m_grid->addWidget(makeHeader(tr("Late fusion"), m_content), kHeaderRow, 1);
  m_grid->addWidget(makeHeader(tr("Early fusion (EVLF)"), m_content), kHeaderRow, 2);
  m_grid->addWidget(makeHeader(tr("Nearest real image"), m_content), kHeaderRow, 3);
  m_grid->setColumnStretch(4, 1);

  m_scrollArea = new QScrollArea(this);
  m_scrollArea->setWidgetResizable(true);
  m_scrollArea->setWidget(m_content);

  auto* layout = new QVBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_staleBanner);
  layout->addWidget(m_scrollArea, /*stretch=*/1);
}

void CompareView::setRows(const QVector<CompareRow>& rows) {
  clearRowWidgets();
  m_rows = rows;
  m_rowWidgets.resize(m_rows.size());

  for (int i = 0; i < m_rows.size(); ++i) {
    RowWidgets& widgets = m_rowWidgets[i];
    widgets.label = new QLabel(m_content);
    widgets.label->setAlignment(Qt::AlignLeft | Qt::AlignVCenter);
    widgets.late = new ImageTile(m_content);
    widgets.early = new ImageTile(m_content);
    widgets.real = new ImageTile(m_content);
    for (ImageTile* tile : {widgets.late, widgets.early, widgets.real}) {
      tile->setImageSide(m_imageSide);
      tile->setPlaceholder(tr("Pending"));
    }
    widgets.stale = m_stale;

    const int gridRow = kHeaderRow + 1 + i;
    m_grid->addWidget(widgets.label, gridRow, 0);
    m_grid->addWidget(widgets.late, gridRow, 1);
    m_grid->addWidget(widgets.early, gridRow, 2);
    m_grid->addWidget(widgets.real, gridRow, 3);
    showRow(i);
  }
  m_grid->setRowStretch(kHeaderRow + 1 + m_rows.size(), 1);
}

QPair<int, int> CompareView::visibleRowRange() const {
  if (m_rows.isEmpty()) return {0, 0};

  // Row pitch from a laid-out tile, or from the image side before the first layout.
  int pitch = m_imageSide + kCaptionAllowance;
  if (!m_rowWidgets.isEmpty() && m_rowWidgets[0].late != nullptr && m_rowWidgets[0].late->height() > 0) {
    pitch = m_rowWidgets[0].late->height() + std::max(0, m_grid->verticalSpacing());
  }

  const int first = std::clamp(m_scrollArea->verticalScrollBar()->value() / pitch, 0, int(m_rows.size()) - 1);
  const int count = m_scrollArea->viewport()->height() / pitch + 1;
  return {first, std::min(count, int(m_rows.size()) - first)};
}

void CompareView::updateRow(int index, const CompareRow& row) {
  if (index < 0 || index >= m_rows.size()) return;
  m_rows[index] = row;
  m_rowWidgets[index].stale = false;
  showRow(index);
  updateStaleBanner();
}

void CompareView::setImage(int index, Column column, const QImage& image, const QString& caption) {
  if (index < 0 || index >= m_rows.size()) return;
  CompareRow& row = m_rows[index];
  switch (column) {
    case Column::Late:
      row.late = image;
      row.late_caption = caption;
      break;
    case Column::Early:
      row.early = image;
      row.early_caption = caption;
      break;
    case Column::NearestReal:
      row.nearest_real = image;
      row.real_caption = caption;
      break;
  }
  m_rowWidgets[index].stale = false;
  showRow(index);
  updateStaleBanner();
}

void CompareView::setStale(bool stale) {
  m_stale = stale;
  for (int i = 0; i < m_rowWidgets.size(); ++i) {
    m_rowWidgets[i].stale = stale;
    showRow(i);
  }
  updateStaleBanner();
}

bool CompareView::isRowStale(int index) const {
  return index >= 0 && index < m_rowWidgets.size() && m_rowWidgets[index].stale;
}

void CompareView::setImageSide(int side) {
  m_imageSide = side;
  for (const RowWidgets& widgets : m_rowWidgets) {
    for (ImageTile* tile : {widgets.late, widgets.early, widgets.real}) tile->setImageSide(side);
  }
}

void CompareView::clearRowWidgets() {
  for (const RowWidgets& widgets : m_rowWidgets) {
    delete widgets.label;
    delete widgets.late;
    delete widgets.early;
    delete widgets.real;
  }
  m_rowWidgets.clear();
  for (int row = kHeaderRow + 1; row < m_grid->rowCount(); ++row) m_grid->setRowStretch(row, 0);
}

void CompareView::showRow(int index) {
  const CompareRow& row = m_rows[index];
  const RowWidgets& widgets = m_rowWidgets[index];
  widgets.label->setText(tr("%1\nslot %2").arg(row.class_name).arg(row.slot));
  widgets.late->setImage(row.late);
  widgets.late->setCaption(row.late_caption);
  widgets.early->setImage(row.early);
  widgets.early->setCaption(row.early_caption);
  widgets.real->setImage(row.nearest_real);
  widgets.real->setCaption(row.real_caption);
  for (ImageTile* tile : {widgets.late, widgets.early, widgets.real}) tile->setDimmed(widgets.stale);
}

void CompareView::updateStaleBanner() {
  // Without rows the flag alone decides. With rows, updating the last stale row clears it.
  if (!m_rowWidgets.isEmpty()) {
    bool anyStale = false;
    for (const RowWidgets& widgets : m_rowWidgets) anyStale = anyStale || widgets.stale;
    m_stale = anyStale;
  }
  m_staleBanner->setVisible(m_stale);
}
