#pragma once

#include <QImage>
#include <QWidget>

/// \brief Shows one image scaled to fit with a caption below; small images scale without smoothing.
///
/// Images of 28 or 32 pixels are enlarged by whole-pixel blocks, so a
/// researcher sees the generated pixels, not interpolation. A dimmed tile
/// draws a translucent veil, for results that are about to be replaced.
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
