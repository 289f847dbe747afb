#pragma once

#include <QImage>
#include <QWidget>

/// \brief One image scaled to fit, with a caption below.
///
/// Enlarged images use nearest-neighbour sampling, so the pixels of a 28 or
/// 32 pixel sample stay visible instead of being blurred. A dimmed tile draws
/// a translucent veil over results that are about to be replaced.
class ImageTile : public QWidget {
  Q_OBJECT

 public:
  explicit ImageTile(QWidget* parent = nullptr);

  void setImage(const QImage& image);
  const QImage& image() const { return m_image; }
  void setCaption(const QString& caption);
  QString caption() const { return m_caption; }
  /// Text drawn in place of the image while none is set.
  void setPlaceholder(const QString& text);
  void setDimmed(bool dimmed);
  bool isDimmed() const { return m_dimmed; }
  /// Sets the side of the square image area in logical pixels.
  void setImageSide(int side);
  void setHighlighted(bool highlighted);

  QSize sizeHint() const override;
  QSize minimumSizeHint() const override;

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  QRect imageRect() const;
  int captionHeight() const;

  QImage m_image;
  QString m_caption;
  QString m_placeholder;
  int m_imageSide = 128;
  bool m_dimmed = false;
  bool m_highlighted = false;
};
