# Qt Linguist translations of evlf-studio, included from app/CMakeLists.txt
# after the evlf-studio target exists.
#
# `cmake --build build --target update_translations` runs lupdate over the
# widgets and GUI sources and refreshes the .ts files. The build compiles
# each .ts file with lrelease and embeds the .qm files in evlf-studio under
# the resource prefix :/i18n, so no translation file is installed.

set(EVLF_TRANSLATIONS_DIR "${PROJECT_SOURCE_DIR}/translations")
set(EVLF_TS_JA "${EVLF_TRANSLATIONS_DIR}/evlf_studio_ja.ts")
# English only needs plural forms ("%n image(s)"): its file holds numerus
# messages and nothing else.
set(EVLF_TS_EN "${EVLF_TRANSLATIONS_DIR}/evlf_studio_en.ts")

file(GLOB EVLF_TRANSLATED_SOURCES CONFIGURE_DEPENDS
  "${PROJECT_SOURCE_DIR}/widgets/*.cpp" "${PROJECT_SOURCE_DIR}/widgets/*.h"
  "${PROJECT_SOURCE_DIR}/app/gui/*.cpp" "${PROJECT_SOURCE_DIR}/app/gui/*.h")

# Without source locations the .ts files change only when a string changes,
# not when code above it moves. -no-obsolete drops strings that left the
# sources, so one run of update_translations leaves no vanished entries.
set(EVLF_LUPDATE_OPTIONS -locations none -no-obsolete -silent)

qt_add_lupdate(evlf-studio
  TS_FILES "${EVLF_TS_JA}"
  SOURCES ${EVLF_TRANSLATED_SOURCES}
  INCLUDE_DIRECTORIES "${PROJECT_SOURCE_DIR}"
  OPTIONS ${EVLF_LUPDATE_OPTIONS})
# qt_add_lupdate only uses this name for its target, evlf_studio_en_lupdate,
# because SOURCES and INCLUDE_DIRECTORIES are given.
qt_add_lupdate(evlf_studio_en
  TS_FILES "${EVLF_TS_EN}"
  SOURCES ${EVLF_TRANSLATED_SOURCES}
  INCLUDE_DIRECTORIES "${PROJECT_SOURCE_DIR}"
  OPTIONS ${EVLF_LUPDATE_OPTIONS} -pluralonly)

qt_add_lrelease(evlf-studio
  TS_FILES "${EVLF_TS_JA}" "${EVLF_TS_EN}"
  OPTIONS -silent
  QM_FILES_OUTPUT_VARIABLE EVLF_QM_FILES)
qt_add_resources(evlf-studio evlf_studio_translations
  PREFIX "/i18n"
  BASE "${CMAKE_CURRENT_BINARY_DIR}"
  FILES ${EVLF_QM_FILES})

# Read by tests/app/packaging.cmake.
set(EVLF_TRANSLATED_SOURCES "${EVLF_TRANSLATED_SOURCES}" CACHE INTERNAL "Sources lupdate scans")
set(EVLF_LUPDATE_OPTIONS "${EVLF_LUPDATE_OPTIONS}" CACHE INTERNAL "lupdate options of update_translations")
