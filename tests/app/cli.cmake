evlf_add_test(cli SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cli.cpp TIMEOUT 900)
target_compile_definitions(test_cli PRIVATE EVLF_CLI_PATH="$<TARGET_FILE:evlf>")
add_dependencies(test_cli evlf)
