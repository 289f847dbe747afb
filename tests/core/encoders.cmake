evlf_add_test(reference_autoencoder SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_reference_autoencoder.cpp TIMEOUT 120)
evlf_add_test(reference_text_encoder SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_reference_text_encoder.cpp TIMEOUT 120)
evlf_add_test(reference_tokenizer SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_reference_tokenizer.cpp TIMEOUT 120)
evlf_add_test(encoder_checkpoints SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_encoder_checkpoints.cpp TIMEOUT 300)
