#include "app/gui/LanguageMenu.h"

#include <QAbstractButton>
#include <QActionGroup>
#include <QApplication>
#include <QMenuBar>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>

namespace {

// Closes every window (each may refuse, e.g. while a job runs) and starts a
// new instance with the same arguments.
void restartApplication() {
  QApplication::closeAllWindows();
  for (QWidget* window : QApplication::topLevelWidgets()) {
    if (window->isVisible()) return;
  }
  QProcess::startDetached(QApplication::applicationFilePath(), QApplication::arguments().mid(1));
  QApplication::quit();
}

}  // namespace

LanguageMenu::LanguageMenu(QWidget* parent) : QMenu(tr("&Language"), parent) {
  setObjectName(QStringLiteral("languageMenu"));
  m_group = new QActionGroup(this);
  m_group->setExclusive(true);
  m_startupChoice = savedLanguageChoice();

  addChoice(tr("System default"), LanguageChoice::System);
  addSeparator();
  // Language names stay in their own language so that a user who cannot
  // read the current one still finds theirs.
  addChoice(QStringLiteral("English"), LanguageChoice::English);
  addChoice(QStringLiteral("日本語"), LanguageChoice::Japanese);
}

LanguageChoice LanguageMenu::currentChoice() const {
  const QAction* checked = m_group->checkedAction();
  return checked ? static_cast<LanguageChoice>(checked->data().toInt()) : LanguageChoice::System;
}

QAction* LanguageMenu::addChoice(const QString& text, LanguageChoice choice) {
  QAction* action = addAction(text);
  action->setCheckable(true);
  action->setData(static_cast<int>(choice));
  action->setChecked(choice == m_startupChoice);
  m_group->addAction(action);
  connect(action, &QAction::triggered, this, [this, choice] { choose(choice); });
  return action;
}

void LanguageMenu::choose(LanguageChoice choice) {
  if (choice == savedLanguageChoice()) return;
  saveLanguageChoice(choice);
  Q_EMIT languageChosen(choice);
  if (choice != m_startupChoice) askToRestart();
}

void LanguageMenu::askToRestart() {
  QWidget* owner = parentWidget() ? parentWidget()->window() : nullptr;
  auto* box = new QMessageBox(QMessageBox::Information, tr("Language"),
                              tr("The new language applies when EVLF Studio restarts."), QMessageBox::NoButton, owner);
  box->setObjectName(QStringLiteral("languageRestartBox"));
  box->setAttribute(Qt::WA_DeleteOnClose);
  QAbstractButton* restart = box->addButton(tr("Restart now"), QMessageBox::AcceptRole);
  box->addButton(tr("Later"), QMessageBox::RejectRole);
  connect(box, &QMessageBox::buttonClicked, this, [restart](QAbstractButton* clicked) {
    if (clicked == restart) restartApplication();
  });
  box->open();
}

LanguageMenu* addLanguageMenu(QMenuBar* menuBar) {
  auto* menu = new LanguageMenu(menuBar);
  menuBar->addMenu(menu);
  return menu;
}
