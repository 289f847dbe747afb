evlf_add_test(safetensors SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_safetensors.cpp)
evlf_add_test(idx SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_idx.cpp)
evlf_add_test(image_folder SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_image_folder.cpp)
evlf_add_test(bundle_manifest SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_bundle_manifest.cpp)
