#pragma once

#include <QMenu>

#include "app/gui/Language.h"

class QActionGroup;
class QMenuBar;

/// \brief The Language menu: System default, English and 日本語. It saves
/// the choice in QSettings and offers a restart, because translators load
/// at start-up.
class LanguageMenu : public QMenu {
  Q_OBJECT

 public:
  explicit LanguageMenu(QWidget* parent = nullptr);

  /// The checked entry, which is the saved choice.
  LanguageChoice currentChoice() const;

 Q_SIGNALS:
  /// Emitted after a new choice is saved.
  void languageChosen(LanguageChoice choice);

 private:
  QAction* addChoice(const QString& text, LanguageChoice choice);
  void choose(LanguageChoice choice);
  void askToRestart();

  QActionGroup* m_group = nullptr;
  LanguageChoice m_startupChoice = LanguageChoice::System;
};

/// Adds a LanguageMenu to `menuBar` and returns it.
LanguageMenu* addLanguageMenu(QMenuBar* menuBar);
