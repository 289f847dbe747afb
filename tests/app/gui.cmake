# The studio's main window, controller and engine with a tiny random bundle.
set(EVLF_STUDIO_TEST_SOURCES
  ${PROJECT_SOURCE_DIR}/app/gui/BundlePanel.cpp ${PROJECT_SOURCE_DIR}/app/gui/BundlePanel.h
  ${PROJECT_SOURCE_DIR}/app/gui/Language.cpp ${PROJECT_SOURCE_DIR}/app/gui/Language.h
  ${PROJECT_SOURCE_DIR}/app/gui/LanguageMenu.cpp ${PROJECT_SOURCE_DIR}/app/gui/LanguageMenu.h
  ${PROJECT_SOURCE_DIR}/app/gui/MainWindow.cpp ${PROJECT_SOURCE_DIR}/app/gui/MainWindow.h
  ${PROJECT_SOURCE_DIR}/app/gui/StudioController.cpp ${PROJECT_SOURCE_DIR}/app/gui/StudioController.h
  ${PROJECT_SOURCE_DIR}/app/gui/StudioEngine.cpp ${PROJECT_SOURCE_DIR}/app/gui/StudioEngine.h
  ${PROJECT_SOURCE_DIR}/app/gui/Worker.cpp ${PROJECT_SOURCE_DIR}/app/gui/Worker.h)
evlf_add_test(studio
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_studio.cpp
    ${PROJECT_SOURCE_DIR}/tests/support/tiny_bundle.cpp ${PROJECT_SOURCE_DIR}/tests/support/tiny_bundle.h
    ${EVLF_STUDIO_TEST_SOURCES}
  LIBS evlf_widgets
  TIMEOUT 300)
