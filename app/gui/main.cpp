// evlf-studio: the desktop application.
#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include "app/gui/Language.h"
#include "app/gui/MainWindow.h"

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  QApplication::setOrganizationName(QStringLiteral("EVLF Studio"));
  QApplication::setApplicationName(QStringLiteral("evlf-studio"));
  QApplication::setApplicationVersion(QStringLiteral(EVLF_VERSION));
  installTranslators(localeForChoice(savedLanguageChoice()));

  QCommandLineParser parser;
  parser.setApplicationDescription(QApplication::translate("main", "Diffusion dataset distillation with early vision-language fusion"));
  parser.addHelpOption();
  parser.addVersionOption();
  QCommandLineOption screenshotOption(QStringLiteral("screenshot"),
                                      QApplication::translate("main", "Save a PNG of the window to FILE and exit."),
                                      QStringLiteral("FILE"));
  parser.addOption(screenshotOption);
  parser.process(app);

  MainWindow window;
  window.show();

  if (parser.isSet(screenshotOption)) {
    const QString file = parser.value(screenshotOption);
    QTimer::singleShot(500, &window, [&window, file] {
      const bool saved = window.grab().save(file);
      QApplication::exit(saved ? 0 : 1);
    });
  }
  return QApplication::exec();
}
