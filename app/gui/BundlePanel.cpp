#include "app/gui/BundlePanel.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSpinBox>
#include <QVBoxLayout>

namespace {
constexpr int kMaxSlots = 16;
}  // namespace

BundlePanel::BundlePanel(QWidget* parent) : QWidget(parent) {
  m_openButton = new QPushButton(tr("Open bundle…"), this);
  m_openButton->setToolTip(tr("Choose a model bundle folder (one with bundle.json)"));
  m_bundleLabel = new QLabel(tr("No bundle open"), this);
  m_bundleLabel->setWordWrap(true);
  m_bundleLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);

  m_dataset = new QLineEdit(QStringLiteral("fashion-mnist"), this);
  m_dataset->setToolTip(tr("Real images: \"fashion-mnist\" or the path of an ImageFolder tree"));
  m_lastDataset = m_dataset->text();

  m_classes = new QListWidget(this);
  m_classes->setSelectionMode(QAbstractItemView::ExtendedSelection);
  m_classes->setToolTip(tr("Ticked classes appear in the compare, analysis and curate views; "
                           "the current class is traced in the attention and timeline views"));
  auto* allButton = new QPushButton(tr("All"), this);
  auto* noneButton = new QPushButton(tr("None"), this);

  m_slots = new QSpinBox(this);
  m_slots->setRange(1, kMaxSlots);
  m_slots->setValue(2);
  m_slots->setToolTip(tr("Samples per class in the compare view"));
  m_focusSlot = new QSpinBox(this);
  m_focusSlot->setRange(0, kMaxSlots - 1);
  m_focusSlot->setToolTip(tr("Slot of the current class traced in the attention and timeline views"));

  auto* buttons = new QHBoxLayout;
  buttons->addWidget(allButton);
  buttons->addWidget(noneButton);
  buttons->addStretch();
  auto* form = new QFormLayout;
  form->addRow(tr("Dataset"), m_dataset);
  form->addRow(tr("Slots per class"), m_slots);
  form->addRow(tr("Traced slot"), m_focusSlot);

  auto* layout = new QVBoxLayout(this);
  layout->addWidget(m_openButton);
  layout->addWidget(m_bundleLabel);
  layout->addLayout(form);
  layout->addWidget(new QLabel(tr("Classes"), this));
  layout->addWidget(m_classes, 1);
  layout->addLayout(buttons);

  connect(m_openButton, &QPushButton::clicked, this, &BundlePanel::openRequested);
  connect(m_dataset, &QLineEdit::editingFinished, this, [this] {
    if (m_dataset->text() == m_lastDataset) return;
    m_lastDataset = m_dataset->text();
    Q_EMIT datasetChanged(m_lastDataset);
  });
  connect(m_classes, &QListWidget::itemChanged, this, &BundlePanel::onItemChanged);
  connect(m_classes, &QListWidget::currentRowChanged, this, [this] { Q_EMIT focusChanged(focusClass(), focusSlot()); });
  connect(allButton, &QPushButton::clicked, this, [this] { setAllChecked(true); });
  connect(noneButton, &QPushButton::clicked, this, [this] { setAllChecked(false); });
  connect(m_slots, &QSpinBox::valueChanged, this, &BundlePanel::slotsChanged);
  connect(m_focusSlot, &QSpinBox::valueChanged, this, [this] { Q_EMIT focusChanged(focusClass(), focusSlot()); });
}

void BundlePanel::setBundle(const QString& folder, const QStringList& classNames, const QVector<int>& checked) {
  m_bundleLabel->setText(folder);
  m_bundleLabel->setToolTip(folder);
  const QSignalBlocker blocker(m_classes);
  m_classes->clear();
  bool any = false;
  for (int c : checked) any = any || (c >= 0 && c < classNames.size());
  for (int c = 0; c < classNames.size(); ++c) {
    auto* item = new QListWidgetItem(QStringLiteral("%1  %2").arg(c).arg(classNames[c]), m_classes);
    item->setFlags(item->flags() | Qt::ItemIsUserCheckable);
    item->setCheckState(!any || checked.contains(c) ? Qt::Checked : Qt::Unchecked);
  }
  if (!classNames.isEmpty()) m_classes->setCurrentRow(0);
}

void BundlePanel::setBundleMessage(const QString& message) { m_bundleLabel->setText(message); }

QVector<int> BundlePanel::checkedClasses() const {
  QVector<int> classes;
  for (int row = 0; row < m_classes->count(); ++row) {
    if (m_classes->item(row)->checkState() == Qt::Checked) classes << row;
  }
  return classes;
}

void BundlePanel::setCheckedClasses(const QVector<int>& classes) {
  const QSignalBlocker blocker(m_classes);
  for (int row = 0; row < m_classes->count(); ++row) {
    m_classes->item(row)->setCheckState(classes.contains(row) ? Qt::Checked : Qt::Unchecked);
  }
}

void BundlePanel::setAllChecked(bool checked) {
  {
    const QSignalBlocker blocker(m_classes);
    for (int row = 0; row < m_classes->count(); ++row) {
      m_classes->item(row)->setCheckState(checked ? Qt::Checked : Qt::Unchecked);
    }
  }
  onItemChanged();
}

void BundlePanel::onItemChanged() { Q_EMIT classesChanged(checkedClasses()); }

QString BundlePanel::dataset() const { return m_dataset->text(); }

void BundlePanel::setDataset(const QString& dataset) {
  m_dataset->setText(dataset);
  m_lastDataset = dataset;
}

int BundlePanel::slotCount() const { return m_slots->value(); }

void BundlePanel::setSlotCount(int slots) {
  const QSignalBlocker blocker(m_slots);
  m_slots->setValue(slots);
}

int BundlePanel::focusClass() const { return std::max(0, m_classes->currentRow()); }
int BundlePanel::focusSlot() const { return m_focusSlot->value(); }

void BundlePanel::setFocusSlotMaximum(int maximum) {
  const QSignalBlocker blocker(m_focusSlot);
  m_focusSlot->setMaximum(std::max(0, maximum));
}
