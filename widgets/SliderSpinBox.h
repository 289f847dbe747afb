#pragma once

#include <QWidget>

class QDoubleSpinBox;
class QSlider;

/// \brief A slider and a spin box that edit one number and stay in sync.
///
/// The slider moves in whole steps from the minimum; the spin box accepts any
/// value in range, rounded to the step's decimals. `valueChanged` is emitted
/// only for changes made through the child widgets, never by `setValue` or
/// `setRange`, so programmatic updates do not echo back to a worker.
class SliderSpinBox : public QWidget {
  Q_OBJECT

 public:
  /// Creates an editor for values in [minimum, maximum] moving by `step`;
  /// `decimals` = 0 makes it an integer editor.
  SliderSpinBox(double minimum, double maximum, double step, int decimals, QWidget* parent = nullptr);

  double value() const { return m_value; }
  int intValue() const { return qRound(m_value); }
  double minimum() const { return m_minimum; }
  double maximum() const { return m_maximum; }

  /// Sets the value, clamped to the range, without emitting `valueChanged`.
  void setValue(double value);
  /// Changes the range and clamps the value into it, without emitting `valueChanged`.
  void setRange(double minimum, double maximum);

  QSlider* slider() const { return m_slider; }
  QDoubleSpinBox* spinBox() const { return m_spinBox; }

 Q_SIGNALS:
  /// Emitted once per edit through the slider or the spin box.
  void valueChanged(double value);

 private:
  void onSliderMoved(int position);
  void onSpinBoxChanged(double value);
  void showValue();
  int sliderPosition(double value) const;

  QSlider* m_slider = nullptr;
  QDoubleSpinBox* m_spinBox = nullptr;
  double m_minimum = 0.0;
  double m_maximum = 1.0;
  double m_step = 0.01;
  double m_value = 0.0;
  bool m_updating = false;  ///< True while this widget writes to its children.
};
