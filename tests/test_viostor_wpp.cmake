# test_viostor_wpp: virtio-win's viostor built as its free build is: DBG not
# defined, so it traces through WPP, with the .tmh files written at build
# time by mdlkit-tracewpp from the configuration in virtio_stor_trace.h (as
# the project's WppScanConfigurationData does). The test runs
# test_viostor's tests on it with the traces shown (MDLKIT_DBGPRINT) and
# captured, and checks that they arrive through DbgPrintEx.
set(VIOSTOR_WPP_DIR ${CMAKE_SOURCE_DIR}/../shared/drivers/viostor)
if(EXISTS ${VIOSTOR_WPP_DIR}/viostor/virtio_stor.c AND TARGET mdlkit_tracewpp AND NOT TARGET viostor_wpp_driver)
  file(GLOB vw_sources ${VIOSTOR_WPP_DIR}/viostor/*.c ${VIOSTOR_WPP_DIR}/VirtIO/*.c)
  set(vw_tmh_dir ${CMAKE_CURRENT_BINARY_DIR}/viostor_wpp_tmh)
  file(MAKE_DIRECTORY ${vw_tmh_dir})
  set(vw_tmh)
  foreach(s ${vw_sources})
    get_filename_component(b ${s} NAME_WE)
    list(APPEND vw_tmh ${vw_tmh_dir}/${b}.tmh)
  endforeach()
  add_custom_command(OUTPUT ${vw_tmh}
    COMMAND $<TARGET_FILE:mdlkit_tracewpp> -km -scan:${VIOSTOR_WPP_DIR}/viostor/virtio_stor_trace.h
            -odir:${vw_tmh_dir} ${vw_sources}
    DEPENDS mdlkit_tracewpp ${vw_sources} ${VIOSTOR_WPP_DIR}/viostor/virtio_stor_trace.h
    COMMENT "mdlkit-tracewpp: viostor's .tmh files"
    VERBATIM)
  add_custom_target(viostor_wpp_tmh DEPENDS ${vw_tmh})
  mdlkit_add_driver(viostor_wpp_driver
    SOURCES ${vw_sources}
    INCLUDE_DIRS ${VIOSTOR_WPP_DIR}/VirtIO ${vw_tmh_dir})
  add_dependencies(viostor_wpp_driver viostor_wpp_tmh)
endif()
if(TARGET viostor_wpp_driver)
  target_link_libraries(${name} PRIVATE viostor_wpp_driver)
  target_compile_definitions(${name} PRIVATE MDLKIT_HAVE_VIOSTOR=1)
endif()
set_tests_properties(${name} PROPERTIES SKIP_RETURN_CODE 77
  ENVIRONMENT "MDLKIT_REPORT=;CMOCKA_MESSAGE_OUTPUT=STDOUT;MDLKIT_DBGPRINT=ihvdriver=all")
