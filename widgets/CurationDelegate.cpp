#include "widgets/CurationDelegate.h"

#include <QApplication>
#include <QPainter>

#include "widgets/CurationItem.h"
#include "widgets/CurationModel.h"
#include "widgets/ImagePainting.h"

namespace {

constexpr int kPadding = 4;
constexpr int kMarkWidth = 3;

QColor stateColor(CurationState state) {
  switch (state) {
    case CurationState::Kept:
      return QColor(46, 160, 67);
    case CurationState::Rejected:
      return QColor(207, 34, 46);
    case CurationState::Undecided:
      break;
  }
  return {};
}

}  // namespace

CurationDelegate::CurationDelegate(QObject* parent) : QStyledItemDelegate(parent) {}

QSize CurationDelegate::sizeHint(const QStyleOptionViewItem& option, const QModelIndex& /*index*/) const {
  return {m_side + 2 * kPadding, m_side + 2 * kPadding + option.fontMetrics.height() + kPadding};
}

void CurationDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const {
  painter->save();
  QStyleOptionViewItem background = option;
  initStyleOption(&background, index);
  background.text.clear();
  background.icon = QIcon();
  background.features &= ~QStyleOptionViewItem::HasDecoration;
  const QStyle* style = option.widget ? option.widget->style() : QApplication::style();
  style->drawControl(QStyle::CE_ItemViewItem, &background, painter, option.widget);

  const auto state = static_cast<CurationState>(index.data(CurationModel::StateRole).toInt());
  const QImage image = index.data(CurationModel::ImageRole).value<QImage>();
  const QRect imageArea(option.rect.left() + kPadding, option.rect.top() + kPadding, m_side, m_side);
  const QRect target = ImagePainting::fitRect(image.size(), imageArea);
  ImagePainting::drawImage(*painter, target, image);

  if (state == CurationState::Rejected) painter->fillRect(target, QColor(255, 255, 255, 150));
  if (state != CurationState::Undecided) {
    painter->setPen(QPen(stateColor(state), kMarkWidth));
    painter->setBrush(Qt::NoBrush);
    painter->drawRect(imageArea.adjusted(1, 1, -1, -1));
    const QString mark = state == CurationState::Kept ? QStringLiteral("✓") : QStringLiteral("✗");
    const QRect badge(imageArea.right() - 18, imageArea.top() + 2, 16, 16);
    painter->fillRect(badge, stateColor(state));
    painter->setPen(Qt::white);
    painter->drawText(badge, Qt::AlignCenter, mark);
  }

  const QRect captionRect(option.rect.left(), imageArea.bottom() + kPadding, option.rect.width(),
                          option.fontMetrics.height());
  painter->setPen(option.palette.color(option.state & QStyle::State_Selected ? QPalette::HighlightedText
                                                                               : QPalette::Text));
  const QString caption = option.fontMetrics.elidedText(index.data(Qt::DisplayRole).toString(), Qt::ElideRight,
                                                        captionRect.width() - 2);
  painter->drawText(captionRect, Qt::AlignHCenter | Qt::AlignTop, caption);
  painter->restore();
}
