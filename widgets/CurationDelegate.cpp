#include "widgets/CurationDelegate.h"

#include <QPainter>

#include <algorithm>

#include "widgets/CurationItem.h"
#include "widgets/CurationModel.h"
#include "widgets/ImagePainting.h"

namespace {

constexpr int kPadding = 4;
constexpr int kMarkWidth = 3;
constexpr int kCaptionChars = 16;  // room for a class name such as "Ankle boot" without eliding

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
  const int captionHeight = 2 * option.fontMetrics.height();
  const int captionWidth = option.fontMetrics.averageCharWidth() * kCaptionChars;
  return {std::max(m_side, captionWidth) + 2 * kPadding, m_side + 3 * kPadding + captionHeight};
}

void CurationDelegate::paint(QPainter* painter, const QStyleOptionViewItem& option, const QModelIndex& index) const {
  painter->save();
  const bool selected = option.state & QStyle::State_Selected;
  if (selected) painter->fillRect(option.rect, option.palette.color(QPalette::Highlight));

  // Image, centred at the top of the cell.
  const auto state = static_cast<CurationState>(index.data(CurationModel::StateRole).toInt());
  const QImage image = index.data(CurationModel::ImageRole).value<QImage>();
  const QRect imageArea(option.rect.center().x() - m_side / 2, option.rect.top() + kPadding, m_side, m_side);
  const QRect target = ImagePainting::fitRect(image.size(), imageArea);
  ImagePainting::drawImage(*painter, target, image);

  // Decision: a coloured frame and a badge. Rejected images are also faded.
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

  // Caption: class name, then pipeline.
  const int lineHeight = option.fontMetrics.height();
  const QRect classRect(option.rect.left() + 1, imageArea.bottom() + kPadding, option.rect.width() - 2, lineHeight);
  const QRect pipelineRect = classRect.translated(0, lineHeight);
  const QColor text = option.palette.color(selected ? QPalette::HighlightedText : QPalette::Text);
  QColor secondary = text;
  secondary.setAlphaF(0.7f);
  const auto elided = [&](const QString& line) {
    return option.fontMetrics.elidedText(line, Qt::ElideRight, classRect.width());
  };
  painter->setPen(text);
  painter->drawText(classRect, Qt::AlignHCenter | Qt::AlignTop,
                    elided(index.data(CurationModel::ClassNameRole).toString()));
  painter->setPen(secondary);
  painter->drawText(pipelineRect, Qt::AlignHCenter | Qt::AlignTop,
                    elided(index.data(CurationModel::PipelineRole).toString()));

  if (option.state & QStyle::State_HasFocus) {
    painter->setPen(QPen(option.palette.color(QPalette::Highlight), 1, Qt::DotLine));
    painter->drawRect(option.rect.adjusted(0, 0, -1, -1));
  }
  painter->restore();
}
