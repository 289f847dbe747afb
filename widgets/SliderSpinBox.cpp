#include "widgets/SliderSpinBox.h"

#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QSignalBlocker>
#include <QSlider>

#include <algorithm>
#include <cmath>

SliderSpinBox::SliderSpinBox(double minimum, double maximum, double step, int decimals, QWidget* parent)
    : QWidget(parent), m_minimum(minimum), m_maximum(maximum), m_step(step), m_value(minimum) {
  m_slider = new QSlider(Qt::Horizontal, this);
  m_spinBox = new QDoubleSpinBox(this);
  m_spinBox->setDecimals(decimals);
  m_spinBox->setSingleStep(step);
  // Typing "250" would otherwise request samples for 2, 25 and 250 steps.
  m_spinBox->setKeyboardTracking(false);
  m_spinBox->setAlignment(Qt::AlignRight);

  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(m_slider, /*stretch=*/1);
  layout->addWidget(m_spinBox);

  setRange(minimum, maximum);
  connect(m_slider, &QSlider::valueChanged, this, &SliderSpinBox::onSliderMoved);
  connect(m_spinBox, &QDoubleSpinBox::valueChanged, this, &SliderSpinBox::onSpinBoxChanged);
}

void SliderSpinBox::setValue(double value) {
  m_value = std::clamp(value, m_minimum, m_maximum);
  showValue();
}

void SliderSpinBox::setRange(double minimum, double maximum) {
  m_minimum = minimum;
  m_maximum = std::max(minimum, maximum);
  m_updating = true;
  m_slider->setRange(0, sliderPosition(m_maximum));
  m_spinBox->setRange(m_minimum, m_maximum);
  m_updating = false;
  setValue(m_value);
}

void SliderSpinBox::onSliderMoved(int position) {
  if (m_updating) return;
  m_value = std::min(m_maximum, m_minimum + position * m_step);
  showValue();
  Q_EMIT valueChanged(m_value);
}

void SliderSpinBox::onSpinBoxChanged(double value) {
  if (m_updating) return;
  m_value = value;
  showValue();
  Q_EMIT valueChanged(m_value);
}

void SliderSpinBox::showValue() {
  m_updating = true;
  m_slider->setValue(sliderPosition(m_value));
  m_spinBox->setValue(m_value);
  // The spin box rounds to its decimals, and keeping its value makes 0.1 stay 0.1.
  m_value = m_spinBox->value();
  m_updating = false;
}

int SliderSpinBox::sliderPosition(double value) const {
  return static_cast<int>(std::lround((value - m_minimum) / m_step));
}
