#pragma once

#include <QWidget>

#include "widgets/AttentionMaps.h"

class ColorScaleBar;
class HeatmapOverlay;
class QComboBox;
class QLabel;
class QListWidget;
class QSlider;

/// \brief Per-token attention maps of early fusion and of late cross-attention, side by side.
///
/// The researcher picks a prompt token, a layer and a head (or their
/// average) for each side, a traced step for the late denoiser and the heat
/// map opacity. The early side shows the fusion module's attention from the
/// latent positions to the token. The late side shows the denoiser's text
/// cross-attention at the chosen step.
class AttentionView : public QWidget {
  Q_OBJECT

 public:
  explicit AttentionView(QWidget* parent = nullptr);

  void setMaps(const AttentionMaps& maps);
  void clear();

  /// Selects a token by row; out-of-range rows are ignored.
  void setCurrentToken(int token);
  int currentToken() const;
  /// Selects a traced late step by its index in `AttentionMaps::late`.
  void setCurrentStep(int step);
  /// Sets the heat map opacity in [0, 1] on both sides.
  void setOpacity(double opacity);

  HeatmapOverlay* earlyOverlay() const { return m_earlyOverlay; }
  HeatmapOverlay* lateOverlay() const { return m_lateOverlay; }
  QComboBox* earlyLayerSelector() const { return m_earlyLayer; }
  QComboBox* earlyHeadSelector() const { return m_earlyHead; }
  QComboBox* lateLayerSelector() const { return m_lateLayer; }
  QComboBox* lateHeadSelector() const { return m_lateHead; }
  QSlider* stepSlider() const { return m_stepSlider; }
  QSlider* opacitySlider() const { return m_opacitySlider; }

 private:
  QWidget* makeSide(const QString& title, HeatmapOverlay* overlay, ColorScaleBar* scale, QComboBox* layer,
                    QComboBox* head, QWidget* extra);
  static void fillSelector(QComboBox* selector, int count, const QString& itemFormat);
  void showEarly();
  void showLate();
  void onOpacityMoved(int percent);

  AttentionMaps m_maps;
  QListWidget* m_tokenList = nullptr;
  HeatmapOverlay* m_earlyOverlay = nullptr;
  HeatmapOverlay* m_lateOverlay = nullptr;
  ColorScaleBar* m_earlyScale = nullptr;
  ColorScaleBar* m_lateScale = nullptr;
  QComboBox* m_earlyLayer = nullptr;
  QComboBox* m_earlyHead = nullptr;
  QComboBox* m_lateLayer = nullptr;
  QComboBox* m_lateHead = nullptr;
  QSlider* m_stepSlider = nullptr;
  QLabel* m_stepLabel = nullptr;
  QSlider* m_opacitySlider = nullptr;
};
