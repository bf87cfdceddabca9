# test_viostor (and bench_viostor, which includes this with name set):
# virtio-win's viostor StorPort miniport and its VirtIO
# library, compiled unmodified from ../shared/drivers/viostor with the
# include folders upstream uses (viostor.vcxproj: ..\VirtIO) and DBG=1
# (checked build: the driver prints through its own DbgPrint path instead
# of WPP, see docs/storport.md).
set(VIOSTOR_DIR ${CMAKE_SOURCE_DIR}/../shared/drivers/viostor)
if(EXISTS ${VIOSTOR_DIR}/viostor/virtio_stor.c AND NOT TARGET viostor_driver)
  file(GLOB VIOSTOR_SOURCES ${VIOSTOR_DIR}/viostor/*.c ${VIOSTOR_DIR}/VirtIO/*.c)
  mdlkit_add_driver(viostor_driver
    SOURCES ${VIOSTOR_SOURCES}
    INCLUDE_DIRS ${VIOSTOR_DIR}/VirtIO
    DEFINES DBG=1)
endif()
if(TARGET viostor_driver)
  target_link_libraries(${name} PRIVATE viostor_driver)
  target_compile_definitions(${name} PRIVATE MDLKIT_HAVE_VIOSTOR=1)
endif()
# Without ../shared/drivers/viostor the test reports itself skipped (77).
# (bench/CMakeLists.txt includes this file for bench_viostor, not a test.)
if(TEST ${name})
  set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77)
endif()
# The same tests under the standard Driver Verifier options.
if(name STREQUAL "test_viostor" AND NOT TEST test_viostor_standard)
  add_test(NAME test_viostor_standard COMMAND test_viostor)
  set_tests_properties(test_viostor_standard PROPERTIES SKIP_RETURN_CODE 77
    ENVIRONMENT "MDLKIT_REPORT=;MDLKIT_VERIFIER=standard;CMOCKA_MESSAGE_OUTPUT=STDOUT" TIMEOUT 300)
endif()
