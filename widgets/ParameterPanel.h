#pragma once

#include <QWidget>

#include "widgets/SamplingParameters.h"

class QComboBox;
class QPushButton;
class SliderSpinBox;

/// \brief Editor for the sampling settings: fusion weight, guidance, steps, sampler, seed and IPC.
///
/// `parametersChanged` is emitted once per user edit (a slider move, a spin
/// box entry, a sampler choice or the restore button), never by `setParameters`.
class ParameterPanel : public QWidget {
  Q_OBJECT

 public:
  explicit ParameterPanel(QWidget* parent = nullptr);

  SamplingParameters parameters() const;
  /// Shows `parameters` without emitting `parametersChanged`; values are clamped to the editors' ranges.
  void setParameters(const SamplingParameters& parameters);

  SliderSpinBox* fusionWeightEditor() const { return m_fusionWeight; }
  SliderSpinBox* cfgScaleEditor() const { return m_cfgScale; }
  SliderSpinBox* modeGuidanceEditor() const { return m_modeGuidance; }
  SliderSpinBox* stopStepEditor() const { return m_stopStep; }
  SliderSpinBox* stepsEditor() const { return m_steps; }
  SliderSpinBox* seedEditor() const { return m_seed; }
  SliderSpinBox* ipcEditor() const { return m_ipc; }
  QComboBox* samplerEditor() const { return m_sampler; }
  QPushButton* restoreButton() const { return m_restoreButton; }

 public Q_SLOTS:
  /// Sets steps, CFG scale, lambda, stop step and fusion weight to the published values and emits once.
  void restorePublishedSettings();

 Q_SIGNALS:
  void parametersChanged(const SamplingParameters& parameters);

 private:
  void onStepsEdited();
  void emitChanged();
  void setValues(const SamplingParameters& parameters);

  SliderSpinBox* m_fusionWeight = nullptr;
  SliderSpinBox* m_cfgScale = nullptr;
  SliderSpinBox* m_modeGuidance = nullptr;
  SliderSpinBox* m_stopStep = nullptr;
  SliderSpinBox* m_steps = nullptr;
  SliderSpinBox* m_seed = nullptr;
  SliderSpinBox* m_ipc = nullptr;
  QComboBox* m_sampler = nullptr;
  QPushButton* m_restoreButton = nullptr;
};
