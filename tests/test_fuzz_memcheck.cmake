# The planted driver's reads after a free and past its view feed values it
# then drops (fuzz/planted.c keeps them for the fuzzer's ASan build, where
# they are instrumented); an optimising build deletes them as dead code, so
# this program, which includes the driver, is built without optimisation.
set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/test_fuzz_memcheck.c PROPERTIES COMPILE_OPTIONS "-O0")
# Skipped without valgrind, and in the sanitizer builds (which valgrind
# cannot run).
set_tests_properties(test_fuzz_memcheck PROPERTIES SKIP_RETURN_CODE 77)
