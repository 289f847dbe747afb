evlf_add_test(parameter_panel SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_parameter_panel.cpp LIBS evlf_widgets TIMEOUT 60)
evlf_add_test(gallery_view SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_gallery_view.cpp LIBS evlf_widgets TIMEOUT 60)
evlf_add_test(widget_views SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_widget_views.cpp LIBS evlf_widgets TIMEOUT 120)
