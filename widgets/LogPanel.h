#pragma once

#include <QPlainTextEdit>

/// \brief Read-only log view that keeps the newest lines and trims the oldest.
class LogPanel : public QPlainTextEdit {
  Q_OBJECT

 public:
  explicit LogPanel(QWidget* parent = nullptr);

  /// Appends one line; lines beyond the block limit are dropped from the top.
  void appendLine(const QString& line);

 private:
  static constexpr int kMaxLines = 5000;
};
