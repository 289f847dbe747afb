evlf_add_test(reference_fusion SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_fusion_reference.cpp TIMEOUT 120)
evlf_add_test(fusion_training SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_fusion_training.cpp TIMEOUT 300)
