# netvmini.cmake -- builds Microsoft's netvmini NDIS 6 miniport, unmodified,
# in place from ../shared/drivers/netvmini, as two static libraries:
#   netvmini60  (60/netvmini60.vcxproj):  NDIS60_MINIPORT=1
#   netvmini680 (680/netvmini680.vcxproj): NDIS680_MINIPORT=1, with vmq.c,
#               qos.c, rssv2.c and rssv2lib.c
# both with NDIS_MINIPORT_DRIVER=1 and NDIS_WDM=1, the defines the projects
# give, through mdlkit_add_driver (cmake/mdlkitDriver.cmake) as any user's
# driver is built. Included by tests/test_netvmini.cmake and
# bench/CMakeLists.txt.
#
# What the Windows build does besides compiling, done here:
#  * WPP (WppEnabled, WppKernelMode, WppTraceFunction DEBUGP(LEVEL,MSG,...)):
#    mdlkit-tracewpp writes each source's .tmh from the control GUIDs in
#    trace.h; DEBUGP prints through DbgPrintEx (component IHVDRIVER).
#  * MSVC's C compiler accepts a function defined with a pointer parameter
#    type other than its prototype's; C compilers reject it. netvmini does
#    that twice (HWInitialize, IndicateRxQueue): <source>.tmh.extra next to
#    this file, appended to the generated .tmh (which each source includes
#    right after its headers), compiles the definition under another name
#    and makes the declared name an alias of it (TMH_APPEND; docs/ndis.md).
#  * MSVC syntax (anonymous structs, the UI64 suffix in rssv2lib.c): clang
#    with -fms-extensions -fms-compatibility (mdlkit_add_driver).
set(MDLKIT_NETVMINI_CMAKE_DIR ${CMAKE_CURRENT_LIST_DIR})
if(NOT TARGET netvmini60)
  set(NV_DIR ${CMAKE_SOURCE_DIR}/../shared/drivers/netvmini)
  if(EXISTS ${NV_DIR}/miniport.c AND TARGET mdlkit_tracewpp)
    function(mdlkit_netvmini_build lib version)
      set(srcs)
      set(files miniport adapter ctrlpath datapath tcbrcb mphal)
      if(version STREQUAL "680")
        list(APPEND files vmq qos rssv2 rssv2lib)
      endif()
      foreach(f ${files})
        list(APPEND srcs ${NV_DIR}/${f}.c)
      endforeach()
      mdlkit_add_driver(${lib}
        SOURCES ${srcs}
        DEFINES NDIS${version}_MINIPORT=1 NDIS_MINIPORT_DRIVER=1 NDIS_WDM=1
        WPP WPP_SCAN ${NV_DIR}/trace.h WPP_FUNC "DEBUGP(LEVEL,MSG,...)"
        TMH_APPEND ${MDLKIT_NETVMINI_CMAKE_DIR})
    endfunction()
    mdlkit_netvmini_build(netvmini60 60)
    mdlkit_netvmini_build(netvmini680 680)
  endif()
endif()
