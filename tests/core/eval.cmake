evlf_add_test(kmeans SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_kmeans.cpp TIMEOUT 120)
evlf_add_test(image_set_writer SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_image_set_writer.cpp TIMEOUT 120)
evlf_add_test(evaluation SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_evaluation.cpp TIMEOUT 300)
