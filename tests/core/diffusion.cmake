evlf_add_test(reference_diffusion SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_reference_diffusion.cpp TIMEOUT 120)
evlf_add_test(dit_training SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_dit_training.cpp TIMEOUT 180)
evlf_add_test(sampler SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sampler.cpp TIMEOUT 180)
