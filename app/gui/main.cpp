// evlf-studio: the desktop application.
#include <QApplication>
#include <QCommandLineParser>
#include <QTimer>

#include <cstdio>

#include "app/gui/Language.h"
#include "app/gui/MainWindow.h"

namespace {

// The first results of a view on a small bundle arrive within seconds. A
// first run that encodes the real set on a slow machine may take minutes.
constexpr int kScreenshotTimeoutMs = 5 * 60 * 1000;
// Plots replot on a timer, so the grab waits a little after the results arrive.
constexpr int kSettleMs = 400;

bool parseView(const QString& name, StudioController::View* view) {
  const QStringList names = {QStringLiteral("compare"), QStringLiteral("attention"), QStringLiteral("timeline"),
                             QStringLiteral("analysis"), QStringLiteral("curate")};
  const int index = static_cast<int>(names.indexOf(name));
  if (index < 0) return false;
  *view = static_cast<StudioController::View>(index);
  return true;
}

void fail(const QString& message) {
  std::fprintf(stderr, "evlf-studio: %s\n", qPrintable(message));
  QApplication::exit(1);
}

/// Grabs the window once the view's first results are shown, then quits.
void screenshotWhenReady(MainWindow& window, StudioController::View view, const QString& file) {
  StudioController* controller = window.controller();
  const QString key = StudioController::keyOf(view);
  auto grab = [&window, file] {
    QTimer::singleShot(kSettleMs, &window, [&window, file] {
      if (!window.grab().save(file)) {
        fail(QApplication::translate("main", "could not write the screenshot to %1").arg(file));
        return;
      }
      QApplication::exit(0);
    });
  };
  QObject::connect(controller, &StudioController::viewUpdated, &window, [key, grab](const QString& updated) {
    if (updated == key) grab();
  });
  QObject::connect(controller, &StudioController::bundleLoaded, &window, [&window, view] {
    window.showView(view);
    if (view == StudioController::View::Curate) window.controller()->generateSet();
  });
  QObject::connect(controller, &StudioController::taskFailed, &window, [](const QString& failedKey, const QString& error) {
    fail(QApplication::translate("main", "%1 failed: %2").arg(failedKey, error));
  });
  QTimer::singleShot(kScreenshotTimeoutMs, &window, [key] {
    fail(QApplication::translate("main", "timed out after %1 s waiting for the %2 view")
             .arg(kScreenshotTimeoutMs / 1000)
             .arg(key));
  });
}

}  // namespace

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
  QCommandLineOption bundleOption(QStringLiteral("bundle"),
                                  QApplication::translate("main", "Open the model bundle in FOLDER."),
                                  QStringLiteral("FOLDER"));
  QCommandLineOption viewOption(QStringLiteral("view"),
                                QApplication::translate("main", "Show VIEW: compare, attention, timeline, analysis or curate."),
                                QStringLiteral("VIEW"));
  QCommandLineOption screenshotOption(QStringLiteral("screenshot"),
                                      QApplication::translate("main", "Save a PNG of the window to FILE and exit; with "
                                                                      "--view, once that view shows its first results."),
                                      QStringLiteral("FILE"));
  parser.addOption(bundleOption);
  parser.addOption(viewOption);
  parser.addOption(screenshotOption);
  parser.process(app);

  StudioController::View view = StudioController::View::Compare;
  if (parser.isSet(viewOption) && !parseView(parser.value(viewOption), &view)) {
    std::fprintf(stderr, "evlf-studio: invalid --view '%s'; use compare, attention, timeline, analysis or curate\n",
                 qPrintable(parser.value(viewOption)));
    return 2;
  }

  MainWindow window;
  window.show();
  if (parser.isSet(viewOption)) window.showView(view);

  const bool waitForView = parser.isSet(screenshotOption) && parser.isSet(viewOption);
  if (waitForView) screenshotWhenReady(window, view, parser.value(screenshotOption));

  bool opening = false;
  if (parser.isSet(bundleOption)) {
    window.openBundle(parser.value(bundleOption));
    opening = true;
  } else {
    opening = window.openStartupBundle();
  }
  if (waitForView && !opening) {
    std::fprintf(stderr, "evlf-studio: no bundle to open; pass --bundle FOLDER\n");
    return 1;
  }

  if (parser.isSet(screenshotOption) && !waitForView) {
    const QString file = parser.value(screenshotOption);
    QTimer::singleShot(500, &window, [&window, file] {
      const bool saved = window.grab().save(file);
      QApplication::exit(saved ? 0 : 1);
    });
  }
  return QApplication::exec();
}
