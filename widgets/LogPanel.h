#pragma once

#include <QPlainTextEdit>

/// \brief Read-only log view that keeps the newest lines and trims the oldest.
class LogPanel : public QPlainTextEdit {
  Q_OBJECT

 public:
  /// Severity of a line, in the order of spdlog's levels.
  enum class Level { Trace, Debug, Info, Warning, Error, Critical };

  explicit LogPanel(QWidget* parent = nullptr);

  /// Appends one line; lines beyond the block limit are dropped from the top.
  void appendLine(const QString& line);
  /// Appends one line coloured by `level`: grey for trace and debug, amber for warnings, red for errors.
  void appendMessage(Level level, const QString& message);

 private:
  static constexpr int kMaxLines = 5000;
};
