// The language choice: settings values, translator loading from the
// embedded translations and the Language menu.
#include <QtTest>

#include <QAction>
#include <QMainWindow>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QTranslator>

#include "app/gui/Language.h"
#include "app/gui/LanguageMenu.h"

namespace {

QAction* actionWithText(QMenu* menu, const QString& text) {
  for (QAction* action : menu->actions()) {
    if (action->text() == text) return action;
  }
  return nullptr;
}

}  // namespace

class TestLanguage : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() {
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("EVLF Studio Tests"));
    QCoreApplication::setApplicationName(QStringLiteral("test_language"));
  }

  void init() { QSettings().clear(); }

  void settingsValuesRoundTrip() {
    for (LanguageChoice choice : {LanguageChoice::System, LanguageChoice::English, LanguageChoice::Japanese}) {
      QCOMPARE(languageChoiceFromSettings(languageSettingsValue(choice)), choice);
    }
    QCOMPARE(languageSettingsValue(LanguageChoice::System), QStringLiteral("system"));
    QCOMPARE(languageSettingsValue(LanguageChoice::English), QStringLiteral("en"));
    QCOMPARE(languageSettingsValue(LanguageChoice::Japanese), QStringLiteral("ja"));
    QCOMPARE(languageChoiceFromSettings(QStringLiteral("fr")), LanguageChoice::System);
    QCOMPARE(languageChoiceFromSettings(QString()), LanguageChoice::System);
  }

  void savedChoiceDefaultsToSystem() {
    QCOMPARE(savedLanguageChoice(), LanguageChoice::System);
    saveLanguageChoice(LanguageChoice::Japanese);
    QCOMPARE(QSettings().value(QLatin1String(kLanguageSettingsKey)).toString(), QStringLiteral("ja"));
    QCOMPARE(savedLanguageChoice(), LanguageChoice::Japanese);
  }

  void savedChoiceOverridesSystemLocale() {
    const QLocale german(QLocale::German, QLocale::Germany);
    QCOMPARE(localeForChoice(LanguageChoice::System, german), german);
    QCOMPARE(localeForChoice(LanguageChoice::Japanese, german).language(), QLocale::Japanese);
    QCOMPARE(localeForChoice(LanguageChoice::English, QLocale(QLocale::Japanese)).language(), QLocale::English);
  }

  void japaneseTranslationEmbedded() {
    const std::unique_ptr<QTranslator> translator = loadTranslator(QLocale(QLocale::Japanese, QLocale::Japan));
    QVERIFY(translator);
    QCOMPARE(translator->language(), QStringLiteral("ja_JP"));
    QCOMPARE(translator->translate("MainWindow", "Close EVLF Studio"), QStringLiteral("EVLF Studio を終了します"));
    QCOMPARE(translator->translate("ParameterPanel", "Fusion weight (α)"), QStringLiteral("融合重み (α)"));
  }

  void otherLanguagesFallBackToEnglish() {
    const std::unique_ptr<QTranslator> translator = loadTranslator(QLocale(QLocale::German, QLocale::Germany));
    QVERIFY(translator);
    QCOMPARE(translator->language(), QStringLiteral("en_US"));
    QCOMPARE(translator->translate("CurationCommand", "Keep %n image(s)", nullptr, 1), QStringLiteral("Keep %n image"));
    QCOMPARE(translator->translate("CurationCommand", "Keep %n image(s)", nullptr, 4), QStringLiteral("Keep %n images"));
  }

  void missingFolderLoadsNothing() {
    QVERIFY(!loadTranslator(QLocale(QLocale::Japanese), QStringLiteral(":/no-such-folder")));
  }

  void menuSavesChoiceAndAsksToRestart() {
    saveLanguageChoice(LanguageChoice::English);
    QMainWindow window;
    LanguageMenu* menu = addLanguageMenu(window.menuBar());
    QVERIFY(window.menuBar()->actions().contains(menu->menuAction()));
    QCOMPARE(menu->currentChoice(), LanguageChoice::English);

    QAction* japanese = actionWithText(menu, QStringLiteral("日本語"));
    QAction* english = actionWithText(menu, QStringLiteral("English"));
    QVERIFY(japanese);
    QVERIFY(english);
    QVERIFY(english->isChecked());

    QSignalSpy chosen(menu, &LanguageMenu::languageChosen);
    japanese->trigger();
    QCOMPARE(chosen.count(), 1);
    QCOMPARE(savedLanguageChoice(), LanguageChoice::Japanese);
    QCOMPARE(menu->currentChoice(), LanguageChoice::Japanese);
    auto* box = window.findChild<QMessageBox*>(QStringLiteral("languageRestartBox"));
    QVERIFY(box);
    QVERIFY(box->isVisible());
    box->close();

    // Back to the language the application started with: saved, and no
    // restart needed.
    english->trigger();
    QCOMPARE(chosen.count(), 2);
    QCOMPARE(savedLanguageChoice(), LanguageChoice::English);
    QTRY_VERIFY(!window.findChild<QMessageBox*>(QStringLiteral("languageRestartBox")));
  }
};

QTEST_MAIN(TestLanguage)
#include "test_language.moc"
