evlf_add_test(safetensors SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_safetensors.cpp)
evlf_add_test(idx SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_idx.cpp)
evlf_add_test(image_folder SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_image_folder.cpp)
