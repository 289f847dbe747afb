#include "app/gui/Language.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QSettings>
#include <QTranslator>

namespace {

constexpr char kTranslationPrefix[] = "evlf_studio";

}  // namespace

QString languageSettingsValue(LanguageChoice choice) {
  switch (choice) {
    case LanguageChoice::English:
      return QStringLiteral("en");
    case LanguageChoice::Japanese:
      return QStringLiteral("ja");
    case LanguageChoice::System:
      break;
  }
  return QStringLiteral("system");
}

LanguageChoice languageChoiceFromSettings(const QString& value) {
  if (value == QLatin1String("en")) return LanguageChoice::English;
  if (value == QLatin1String("ja")) return LanguageChoice::Japanese;
  return LanguageChoice::System;
}

LanguageChoice savedLanguageChoice() {
  return languageChoiceFromSettings(QSettings().value(QLatin1String(kLanguageSettingsKey)).toString());
}

void saveLanguageChoice(LanguageChoice choice) {
  QSettings().setValue(QLatin1String(kLanguageSettingsKey), languageSettingsValue(choice));
}

QLocale localeForChoice(LanguageChoice choice, const QLocale& systemLocale) {
  switch (choice) {
    case LanguageChoice::English:
      return QLocale(QLocale::English, QLocale::UnitedStates);
    case LanguageChoice::Japanese:
      return QLocale(QLocale::Japanese, QLocale::Japan);
    case LanguageChoice::System:
      break;
  }
  return systemLocale;
}

std::unique_ptr<QTranslator> loadTranslator(const QLocale& locale, const QString& directory) {
  // QTranslator::load(QLocale, ...) tries each of locale.uiLanguages() in
  // turn, so "ja_JP" finds evlf_studio_ja.qm.
  auto translator = std::make_unique<QTranslator>();
  const QString prefix = QString::fromLatin1(kTranslationPrefix);
  if (translator->load(locale, prefix, QStringLiteral("_"), directory)) return translator;
  if (translator->load(prefix + QStringLiteral("_en"), directory)) return translator;
  return nullptr;
}

QString installTranslators(const QLocale& locale, const QString& directory) {
  std::unique_ptr<QTranslator> translator = loadTranslator(locale, directory);
  if (!translator) return QString();
  const QString language = translator->language().section(QLatin1Char('_'), 0, 0);
  QCoreApplication::installTranslator(translator.get());
  translator.release()->setParent(QCoreApplication::instance());

  // Qt's own strings (standard buttons, file dialogs) in the same language.
  // Debian ships the files in qt6-translations-l10n.
  if (language == QLatin1String("en")) return language;
  auto qtTranslator = std::make_unique<QTranslator>();
  if (qtTranslator->load(locale, QStringLiteral("qtbase"), QStringLiteral("_"),
                         QLibraryInfo::path(QLibraryInfo::TranslationsPath))) {
    QCoreApplication::installTranslator(qtTranslator.get());
    qtTranslator.release()->setParent(QCoreApplication::instance());
  }
  return language;
}
