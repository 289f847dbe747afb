#include "widgets/ParameterPanel.h"

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QPushButton>
#include <QSignalBlocker>
#include <QVBoxLayout>

#include <algorithm>
#include <limits>

#include "widgets/SliderSpinBox.h"

namespace {

constexpr double kMaxFusionWeight = 1.5;
constexpr double kMaxCfgScale = 10.0;
constexpr int kMaxSteps = 1000;
constexpr int kMaxIpc = 100;
constexpr int kMaxSeed = std::numeric_limits<int>::max();

}  // namespace

ParameterPanel::ParameterPanel(QWidget* parent) : QWidget(parent) {
  m_fusionWeight = new SliderSpinBox(0.0, kMaxFusionWeight, 0.01, /*decimals=*/2, this);
  m_cfgScale = new SliderSpinBox(1.0, kMaxCfgScale, 0.1, /*decimals=*/1, this);
  m_modeGuidance = new SliderSpinBox(0.0, 1.0, 0.01, /*decimals=*/2, this);
  m_steps = new SliderSpinBox(1, kMaxSteps, 1, /*decimals=*/0, this);
  m_stopStep = new SliderSpinBox(0, kMaxSteps, 1, /*decimals=*/0, this);
  m_seed = new SliderSpinBox(0, kMaxSeed, 1, /*decimals=*/0, this);
  m_ipc = new SliderSpinBox(1, kMaxIpc, 1, /*decimals=*/0, this);
  m_sampler = new QComboBox(this);
  m_sampler->addItem(tr("DDPM"), static_cast<int>(Sampler::Ddpm));
  m_sampler->addItem(tr("DDIM"), static_cast<int>(Sampler::Ddim));
  m_restoreButton = new QPushButton(tr("Restore published settings"), this);
  m_restoreButton->setToolTip(tr("50 steps, CFG scale 4.0, mode guidance 0.1, stop step 25, fusion weight 1"));

  m_fusionWeight->setToolTip(tr("Fusion weight alpha: 0 = image latent only, 1 = early fusion as published"));
  m_cfgScale->setToolTip(tr("Classifier-free guidance scale; 1 turns guidance off"));
  m_modeGuidance->setToolTip(tr("Mode-guidance strength lambda; 0 turns mode guidance off"));
  m_stopStep->setToolTip(tr("Mode guidance runs while the step index is above this value"));
  m_seed->setToolTip(tr("Base seed; each class and slot derives its own initial noise from it"));
  m_ipc->setToolTip(tr("Images per class"));

  // Equal spin box widths line the sliders up; the seed needs the widest.
  int spinBoxWidth = 0;
  const auto editors = {m_fusionWeight, m_cfgScale, m_modeGuidance, m_stopStep, m_steps, m_seed, m_ipc};
  for (SliderSpinBox* editor : editors) spinBoxWidth = std::max(spinBoxWidth, editor->spinBox()->sizeHint().width());
  for (SliderSpinBox* editor : editors) editor->spinBox()->setFixedWidth(spinBoxWidth);

  auto* form = new QFormLayout;
  form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
  form->addRow(tr("Fusion weight (α)"), m_fusionWeight);
  form->addRow(tr("CFG scale"), m_cfgScale);
  form->addRow(tr("Mode guidance (λ)"), m_modeGuidance);
  form->addRow(tr("Stop step"), m_stopStep);
  form->addRow(tr("Sampling steps"), m_steps);
  form->addRow(tr("Sampler"), m_sampler);
  form->addRow(tr("Seed"), m_seed);
  form->addRow(tr("Images per class"), m_ipc);

  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(m_restoreButton, /*stretch=*/0, Qt::AlignLeft);
  layout->addStretch(1);

  setValues(SamplingParameters::published());

  for (SliderSpinBox* editor : {m_fusionWeight, m_cfgScale, m_modeGuidance, m_stopStep, m_seed, m_ipc}) {
    connect(editor, &SliderSpinBox::valueChanged, this, &ParameterPanel::emitChanged);
  }
  connect(m_steps, &SliderSpinBox::valueChanged, this, &ParameterPanel::onStepsEdited);
  connect(m_sampler, &QComboBox::activated, this, &ParameterPanel::emitChanged);
  connect(m_restoreButton, &QPushButton::clicked, this, &ParameterPanel::restorePublishedSettings);
}

SamplingParameters ParameterPanel::parameters() const {
  SamplingParameters parameters;
  parameters.fusion_weight = m_fusionWeight->value();
  parameters.cfg_scale = m_cfgScale->value();
  parameters.mode_guidance = m_modeGuidance->value();
  parameters.stop_t = m_stopStep->intValue();
  parameters.steps = m_steps->intValue();
  parameters.sampler = static_cast<Sampler>(m_sampler->currentData().toInt());
  parameters.seed = static_cast<std::int64_t>(m_seed->value());
  parameters.ipc = m_ipc->intValue();
  return parameters;
}

void ParameterPanel::setParameters(const SamplingParameters& parameters) { setValues(parameters); }

void ParameterPanel::restorePublishedSettings() {
  SamplingParameters restored = parameters();
  const SamplingParameters published = SamplingParameters::published();
  restored.steps = published.steps;
  restored.cfg_scale = published.cfg_scale;
  restored.mode_guidance = published.mode_guidance;
  restored.stop_t = published.stop_t;
  restored.fusion_weight = published.fusion_weight;
  setValues(restored);
  emitChanged();
}

void ParameterPanel::onStepsEdited() {
  m_stopStep->setRange(0, m_steps->value());
  emitChanged();
}

void ParameterPanel::emitChanged() { Q_EMIT parametersChanged(parameters()); }

void ParameterPanel::setValues(const SamplingParameters& parameters) {
  m_steps->setValue(parameters.steps);
  // The stop step counts respaced steps, so it cannot exceed the step count.
  m_stopStep->setRange(0, m_steps->value());
  m_stopStep->setValue(parameters.stop_t);
  m_fusionWeight->setValue(parameters.fusion_weight);
  m_cfgScale->setValue(parameters.cfg_scale);
  m_modeGuidance->setValue(parameters.mode_guidance);
  m_seed->setValue(static_cast<double>(parameters.seed));
  m_ipc->setValue(parameters.ipc);

  const QSignalBlocker blocker(m_sampler);
  m_sampler->setCurrentIndex(m_sampler->findData(static_cast<int>(parameters.sampler)));
}
