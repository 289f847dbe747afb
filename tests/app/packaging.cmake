# Translations, default data paths and the Debian package.

# Neither suite includes a LibTorch header, so they skip evlf_test_support
# and its precompiled LibTorch header, which costs a minute per suite.
function(evlf_add_qt_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(test_${name} ${ARG_SOURCES})
  set_target_properties(test_${name} PROPERTIES AUTOMOC ON)
  target_link_libraries(test_${name} PRIVATE Qt6::Test ${ARG_LIBS})
  target_include_directories(test_${name} PRIVATE "${PROJECT_SOURCE_DIR}")
  target_compile_definitions(test_${name} PRIVATE EVLF_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  add_test(NAME ${name} COMMAND test_${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT 60 ENVIRONMENT "QT_QPA_PLATFORM=offscreen")
endfunction()

evlf_add_qt_test(data_paths SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_data_paths.cpp LIBS evlf_core)

evlf_add_qt_test(language
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_language.cpp
    ${PROJECT_SOURCE_DIR}/app/gui/Language.cpp ${PROJECT_SOURCE_DIR}/app/gui/Language.h
    ${PROJECT_SOURCE_DIR}/app/gui/LanguageMenu.cpp ${PROJECT_SOURCE_DIR}/app/gui/LanguageMenu.h
  LIBS Qt6::Widgets)
# The same compiled translations that evlf-studio embeds, built by its
# lrelease target in app/.
set(EVLF_TEST_QM_FILES "${PROJECT_BINARY_DIR}/app/evlf_studio_ja.qm" "${PROJECT_BINARY_DIR}/app/evlf_studio_en.qm")
set_source_files_properties(${EVLF_TEST_QM_FILES} PROPERTIES GENERATED TRUE)
qt_add_resources(test_language test_language_translations
  PREFIX "/i18n"
  BASE "${PROJECT_BINARY_DIR}/app"
  FILES ${EVLF_TEST_QM_FILES})
add_dependencies(test_language evlf-studio_lrelease)

add_test(NAME translations_complete
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_translations.sh
    $<TARGET_FILE:Qt6::lupdate> ${PROJECT_SOURCE_DIR} ${EVLF_TRANSLATED_SOURCES})
set_tests_properties(translations_complete PROPERTIES TIMEOUT 120)

add_test(NAME desktop_metadata_valid
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_desktop_metadata.sh ${PROJECT_SOURCE_DIR} ${PROJECT_VERSION})
set_tests_properties(desktop_metadata_valid PROPERTIES TIMEOUT 60)

# Packs the finished build tree, so run it after a full build.
add_test(NAME package_contents
  COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/check_package.sh ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR})
set_tests_properties(package_contents PROPERTIES TIMEOUT 600 RUN_SERIAL TRUE)
