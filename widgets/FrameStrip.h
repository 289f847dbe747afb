#pragma once

#include <QImage>
#include <QWidget>

#include <vector>

/// \brief A row of small frames from a sequence, evenly subsampled to fit the width, with the current one framed.
class FrameStrip : public QWidget {
  Q_OBJECT

 public:
  explicit FrameStrip(QWidget* parent = nullptr);

  void setFrames(const std::vector<QImage>& frames);
  void appendFrame(const QImage& frame);
  int frameCount() const { return static_cast<int>(m_frames.size()); }
  /// Returns frame `index`, or a null image when out of range.
  QImage frame(int index) const;
  void setCurrent(int index);
  int current() const { return m_current; }

  QSize sizeHint() const override { return {480, 56}; }
  QSize minimumSizeHint() const override { return {120, 36}; }

 Q_SIGNALS:
  /// Emitted when the user clicks a frame; `index` is its position in the whole sequence.
  void frameClicked(int index);

 protected:
  void paintEvent(QPaintEvent* event) override;
  void mousePressEvent(QMouseEvent* event) override;

 private:
  int cellSide() const;
  int cellCount() const;
  int frameAtCell(int cell) const;

  std::vector<QImage> m_frames;
  int m_current = -1;
};
