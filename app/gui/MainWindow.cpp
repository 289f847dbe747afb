#include "app/gui/MainWindow.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDockWidget>
#include <QLabel>
#include <QMenuBar>
#include <QSettings>
#include <QStatusBar>

#include "app/gui/LanguageMenu.h"
#include "widgets/LogPanel.h"

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
  setWindowTitle(tr("EVLF Studio"));

  auto* placeholder = new QLabel(tr("Open a model bundle to start."), this);
  placeholder->setAlignment(Qt::AlignCenter);
  setCentralWidget(placeholder);

  m_logPanel = new LogPanel(this);
  auto* logDock = new QDockWidget(tr("Log"), this);
  logDock->setObjectName(QStringLiteral("logDock"));
  logDock->setWidget(m_logPanel);
  addDockWidget(Qt::BottomDockWidgetArea, logDock);

  createMenus();
  statusBar()->showMessage(tr("Ready"));
  restoreSettings();
}

void MainWindow::createMenus() {
  QMenu* fileMenu = menuBar()->addMenu(tr("&File"));
  QAction* quitAction = fileMenu->addAction(tr("&Quit"));
  quitAction->setShortcut(QKeySequence::Quit);
  quitAction->setStatusTip(tr("Close EVLF Studio"));
  connect(quitAction, &QAction::triggered, this, &QWidget::close);

  addLanguageMenu(menuBar());
}

void MainWindow::restoreSettings() {
  QSettings settings;
  if (!restoreGeometry(settings.value(QStringLiteral("window/geometry")).toByteArray())) resize(1200, 800);
  restoreState(settings.value(QStringLiteral("window/state")).toByteArray());
}

void MainWindow::closeEvent(QCloseEvent* event) {
  QSettings settings;
  settings.setValue(QStringLiteral("window/geometry"), saveGeometry());
  settings.setValue(QStringLiteral("window/state"), saveState());
  event->accept();
}
