#include "widgets/AttentionView.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QSignalBlocker>
#include <QSlider>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

#include "widgets/ColorScaleBar.h"
#include "widgets/HeatmapOverlay.h"

namespace {

constexpr int kOpacitySteps = 100;
constexpr int kDefaultOpacityPercent = 60;

}  // namespace

AttentionView::AttentionView(QWidget* parent) : QWidget(parent) {
  m_tokenList = new QListWidget(this);
  m_tokenList->setSelectionMode(QAbstractItemView::SingleSelection);
  m_tokenList->setMaximumWidth(180);

  m_earlyOverlay = new HeatmapOverlay(this);
  m_lateOverlay = new HeatmapOverlay(this);
  m_earlyScale = new ColorScaleBar(this);
  m_lateScale = new ColorScaleBar(this);
  m_earlyScale->setLabel(tr("attention weight"));
  m_lateScale->setLabel(tr("attention weight"));
  m_earlyLayer = new QComboBox(this);
  m_earlyHead = new QComboBox(this);
  m_lateLayer = new QComboBox(this);
  m_lateHead = new QComboBox(this);

  m_stepSlider = new QSlider(Qt::Horizontal, this);
  m_stepSlider->setRange(0, 0);
  m_stepLabel = new QLabel(this);
  auto* stepRow = new QWidget(this);
  auto* stepLayout = new QHBoxLayout(stepRow);
  stepLayout->setContentsMargins(0, 0, 0, 0);
  stepLayout->addWidget(new QLabel(tr("Step"), stepRow));
  stepLayout->addWidget(m_stepSlider, /*stretch=*/1);
  stepLayout->addWidget(m_stepLabel);

  m_opacitySlider = new QSlider(Qt::Horizontal, this);
  m_opacitySlider->setRange(0, kOpacitySteps);
  m_opacitySlider->setValue(kDefaultOpacityPercent);
  m_earlyOverlay->setOpacity(kDefaultOpacityPercent / double(kOpacitySteps));
  m_lateOverlay->setOpacity(kDefaultOpacityPercent / double(kOpacitySteps));

  auto* tokenColumn = new QVBoxLayout;
  tokenColumn->addWidget(new QLabel(tr("Prompt token"), this));
  tokenColumn->addWidget(m_tokenList, /*stretch=*/1);
  tokenColumn->addWidget(new QLabel(tr("Heat map opacity"), this));
  tokenColumn->addWidget(m_opacitySlider);

  auto* layout = new QHBoxLayout(this);
  layout->addLayout(tokenColumn);
  layout->addWidget(makeSide(tr("Early fusion"), m_earlyOverlay, m_earlyScale, m_earlyLayer, m_earlyHead, nullptr),
                    /*stretch=*/1);
  layout->addWidget(
      makeSide(tr("Late cross-attention"), m_lateOverlay, m_lateScale, m_lateLayer, m_lateHead, stepRow),
      /*stretch=*/1);

  connect(m_earlyOverlay, &HeatmapOverlay::rangeChanged, m_earlyScale, &ColorScaleBar::setRange);
  connect(m_lateOverlay, &HeatmapOverlay::rangeChanged, m_lateScale, &ColorScaleBar::setRange);
  connect(m_tokenList, &QListWidget::currentRowChanged, this, &AttentionView::showEarly);
  connect(m_tokenList, &QListWidget::currentRowChanged, this, &AttentionView::showLate);
  connect(m_earlyLayer, &QComboBox::currentIndexChanged, this, &AttentionView::showEarly);
  connect(m_earlyHead, &QComboBox::currentIndexChanged, this, &AttentionView::showEarly);
  connect(m_lateLayer, &QComboBox::currentIndexChanged, this, &AttentionView::showLate);
  connect(m_lateHead, &QComboBox::currentIndexChanged, this, &AttentionView::showLate);
  connect(m_stepSlider, &QSlider::valueChanged, this, &AttentionView::showLate);
  connect(m_opacitySlider, &QSlider::valueChanged, this, &AttentionView::onOpacityMoved);

  clear();
}

QWidget* AttentionView::makeSide(const QString& title, HeatmapOverlay* overlay, ColorScaleBar* scale,
                                 QComboBox* layer, QComboBox* head, QWidget* extra) {
  auto* side = new QWidget(this);
  auto* heading = new QLabel(title, side);
  QFont font = heading->font();
  font.setBold(true);
  heading->setFont(font);

  auto* selectors = new QFormLayout;
  selectors->addRow(tr("Layer"), layer);
  selectors->addRow(tr("Head"), head);

  auto* mapRow = new QHBoxLayout;
  mapRow->addWidget(overlay, /*stretch=*/1);
  mapRow->addWidget(scale);

  auto* layout = new QVBoxLayout(side);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(heading);
  layout->addLayout(mapRow, /*stretch=*/1);
  layout->addLayout(selectors);
  if (extra) layout->addWidget(extra);
  return side;
}

void AttentionView::fillSelector(QComboBox* selector, int count, const QString& itemFormat) {
  const QSignalBlocker blocker(selector);
  selector->clear();
  selector->addItem(tr("Average"), AttentionGrid::kAverage);
  for (int i = 0; i < count; ++i) selector->addItem(itemFormat.arg(i), i);
}

void AttentionView::setMaps(const AttentionMaps& maps) {
  const int previousToken = currentToken();
  m_maps = maps;

  fillSelector(m_earlyLayer, maps.early_fusion.layers, tr("Layer %1"));
  fillSelector(m_earlyHead, maps.early_fusion.heads, tr("Head %1"));
  const int lateLayers = maps.late.empty() ? 0 : maps.late.front().layers;
  const int lateHeads = maps.late.empty() ? 0 : maps.late.front().heads;
  fillSelector(m_lateLayer, lateLayers, tr("Layer %1"));
  fillSelector(m_lateHead, lateHeads, tr("Head %1"));

  {
    const QSignalBlocker tokenBlocker(m_tokenList);
    m_tokenList->clear();
    m_tokenList->addItems(maps.tokens);
    const int token = previousToken >= 0 && previousToken < maps.tokens.size() ? previousToken : 0;
    if (!maps.tokens.isEmpty()) m_tokenList->setCurrentRow(token);
  }
  {
    const QSignalBlocker stepBlocker(m_stepSlider);
    m_stepSlider->setRange(0, std::max(0, static_cast<int>(maps.late.size()) - 1));
  }
  m_stepSlider->setEnabled(maps.late.size() > 1);

  m_earlyOverlay->setBaseImage(maps.early_image);
  m_lateOverlay->setBaseImage(maps.late_image);
  showEarly();
  showLate();
}

void AttentionView::clear() { setMaps(AttentionMaps{}); }

void AttentionView::setCurrentToken(int token) {
  if (token >= 0 && token < m_tokenList->count()) m_tokenList->setCurrentRow(token);
}

int AttentionView::currentToken() const { return m_tokenList->currentRow(); }

void AttentionView::setCurrentStep(int step) { m_stepSlider->setValue(step); }

void AttentionView::setOpacity(double opacity) {
  m_opacitySlider->setValue(static_cast<int>(std::lround(opacity * kOpacitySteps)));
}

void AttentionView::onOpacityMoved(int percent) {
  const double opacity = percent / double(kOpacitySteps);
  m_earlyOverlay->setOpacity(opacity);
  m_lateOverlay->setOpacity(opacity);
}

void AttentionView::showEarly() {
  const AttentionGrid& grid = m_maps.early_fusion;
  const std::vector<float> map =
      grid.map(m_earlyLayer->currentData().toInt(), m_earlyHead->currentData().toInt(), currentToken());
  m_earlyOverlay->setHeatmap(map, grid.width, grid.height);
}

void AttentionView::showLate() {
  const int step = m_stepSlider->value();
  if (step < 0 || step >= static_cast<int>(m_maps.late.size())) {
    m_lateOverlay->clearHeatmap();
    m_stepLabel->setText(tr("no steps traced"));
    return;
  }

  const AttentionGrid& grid = m_maps.late[step];
  const std::vector<float> map =
      grid.map(m_lateLayer->currentData().toInt(), m_lateHead->currentData().toInt(), currentToken());
  m_lateOverlay->setHeatmap(map, grid.width, grid.height);
  const bool hasTimestep = step < static_cast<int>(m_maps.late_timesteps.size());
  m_stepLabel->setText(hasTimestep ? tr("t = %1").arg(m_maps.late_timesteps[step]) : tr("step %1").arg(step));
}
