// User interface language: the saved choice and the translators it loads.
#pragma once

#include <QLocale>
#include <QString>

#include <memory>

class QTranslator;

/// \brief The language a user picks in the Language menu.
enum class LanguageChoice { System, English, Japanese };

/// QSettings key of the choice. Its values are "system", "en" and "ja".
inline constexpr char kLanguageSettingsKey[] = "language";

/// Resource folder of the compiled translations embedded in evlf-studio.
inline constexpr char kTranslationsResourceDir[] = ":/i18n";

/// Returns the settings value of `choice`: "system", "en" or "ja".
QString languageSettingsValue(LanguageChoice choice);

/// Parses a settings value. An empty or unknown value means System.
LanguageChoice languageChoiceFromSettings(const QString& value);

/// Reads the saved choice from QSettings. Returns System when nothing is saved.
LanguageChoice savedLanguageChoice();
void saveLanguageChoice(LanguageChoice choice);

/// The locale whose translations the GUI loads: `systemLocale` for System,
/// otherwise the chosen language.
QLocale localeForChoice(LanguageChoice choice, const QLocale& systemLocale = QLocale::system());

/// Loads the EVLF Studio translation for `locale` from `directory`.
/// Languages without a translation fall back to English, whose file contains
/// the plural forms. Returns null when neither file loads.
std::unique_ptr<QTranslator> loadTranslator(const QLocale& locale,
                                            const QString& directory = QString::fromLatin1(kTranslationsResourceDir));

/// Installs the translator of loadTranslator on the application, and Qt's
/// own translator for standard dialogs when Qt ships one for the language.
/// Returns the language of the installed translation ("ja" or "en"), or an
/// empty string when none loaded.
QString installTranslators(const QLocale& locale, const QString& directory = QString::fromLatin1(kTranslationsResourceDir));
