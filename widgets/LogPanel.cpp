#include "widgets/LogPanel.h"

#include <QFontDatabase>

LogPanel::LogPanel(QWidget* parent) : QPlainTextEdit(parent) {
  setReadOnly(true);
  setMaximumBlockCount(kMaxLines);
  setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
}

void LogPanel::appendLine(const QString& line) { appendPlainText(line); }
