#pragma once

#include <QMainWindow>

class LogPanel;

/// \brief The EVLF Studio main window: views in the centre, log panel below.
class MainWindow : public QMainWindow {
  Q_OBJECT

 public:
  explicit MainWindow(QWidget* parent = nullptr);

 protected:
  void closeEvent(QCloseEvent* event) override;

 private:
  void createMenus();
  void restoreSettings();

  LogPanel* m_logPanel = nullptr;
};
