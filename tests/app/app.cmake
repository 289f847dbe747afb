evlf_add_test(worker SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_worker.cpp
  ${PROJECT_SOURCE_DIR}/app/gui/Worker.cpp ${PROJECT_SOURCE_DIR}/app/gui/Worker.h)
