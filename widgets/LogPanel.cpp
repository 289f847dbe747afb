#include "widgets/LogPanel.h"

#include <QFontDatabase>

namespace {

QString levelColor(LogPanel::Level level) {
  switch (level) {
    case LogPanel::Level::Trace:
    case LogPanel::Level::Debug:
      return QStringLiteral("#6b6b6b");
    case LogPanel::Level::Info:
      return {};
    case LogPanel::Level::Warning:
      return QStringLiteral("#a15c00");
    case LogPanel::Level::Error:
    case LogPanel::Level::Critical:
      return QStringLiteral("#c62828");
  }
  return {};
}

}  // namespace

LogPanel::LogPanel(QWidget* parent) : QPlainTextEdit(parent) {
  setReadOnly(true);
  setMaximumBlockCount(kMaxLines);
  setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
}

void LogPanel::appendLine(const QString& line) { appendPlainText(line); }

void LogPanel::appendMessage(Level level, const QString& message) {
  const QString color = levelColor(level);
  if (color.isEmpty()) {
    appendPlainText(message);
    return;
  }
  const QString weight = level == Level::Critical ? QStringLiteral("font-weight:bold;") : QString();
  appendHtml(QStringLiteral("<span style=\"color:%1;%2white-space:pre\">%3</span>")
                 .arg(color, weight, message.toHtmlEscaped()));
}
