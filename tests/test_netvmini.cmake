# test_netvmini: Microsoft's netvmini (network/ndis/netvmini/6x of
# Windows-driver-samples) compiled UNMODIFIED in its two upstream builds
# (tests/netvmini/netvmini.cmake): test_netvmini links the 6.0 build,
# test_netvmini680 (the same test source) the 6.80 one; each also runs under
# MDLKIT_VERIFIER=standard.
include(${CMAKE_CURRENT_LIST_DIR}/netvmini/netvmini.cmake)

if(TARGET netvmini60 AND TARGET test_netvmini AND NOT MDLKIT_NETVMINI_LINKED)
  set(MDLKIT_NETVMINI_LINKED 1)
  target_link_libraries(test_netvmini PRIVATE netvmini60)
  target_compile_definitions(test_netvmini PRIVATE MDLKIT_NETVMINI_BUILD=60)
  add_test(NAME test_netvmini_standard COMMAND test_netvmini)
  set_tests_properties(test_netvmini_standard PROPERTIES TIMEOUT 300
    ENVIRONMENT "MDLKIT_REPORT=;MDLKIT_VERIFIER=standard;CMOCKA_MESSAGE_OUTPUT=STDOUT")
endif()
if(TARGET netvmini680 AND TARGET test_netvmini AND NOT TARGET test_netvmini680)
  add_executable(test_netvmini680 ${CMAKE_CURRENT_SOURCE_DIR}/test_netvmini.c)
  target_include_directories(test_netvmini680 PRIVATE ${CMAKE_SOURCE_DIR}/src ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(test_netvmini680 PRIVATE netvmini680 mdlkit_static PkgConfig::CMOCKA)
  target_compile_definitions(test_netvmini680 PRIVATE MDLKIT_NETVMINI_BUILD=680)
  add_test(NAME test_netvmini680 COMMAND test_netvmini680)
  set_tests_properties(test_netvmini680 PROPERTIES ENVIRONMENT "MDLKIT_REPORT=;CMOCKA_MESSAGE_OUTPUT=STDOUT" TIMEOUT 300)
  add_test(NAME test_netvmini680_standard COMMAND test_netvmini680)
  set_tests_properties(test_netvmini680_standard PROPERTIES TIMEOUT 300
    ENVIRONMENT "MDLKIT_REPORT=;MDLKIT_VERIFIER=standard;CMOCKA_MESSAGE_OUTPUT=STDOUT")
endif()

# Under TSan, netvmini's one deliberate unlocked read is suppressed.
if(MDLKIT_SANITIZE MATCHES "thread" AND TARGET netvmini60)
  set(NV_TSAN "TSAN_OPTIONS=suppressions=${CMAKE_CURRENT_LIST_DIR}/netvmini/tsan.supp")
  foreach(t test_netvmini test_netvmini680)
    if(TEST ${t})
      set_tests_properties(${t} PROPERTIES ENVIRONMENT "MDLKIT_REPORT=;CMOCKA_MESSAGE_OUTPUT=STDOUT;${NV_TSAN}")
      set_tests_properties(${t}_standard PROPERTIES
        ENVIRONMENT "MDLKIT_REPORT=;MDLKIT_VERIFIER=standard;CMOCKA_MESSAGE_OUTPUT=STDOUT;${NV_TSAN}")
    endif()
  endforeach()
endif()
