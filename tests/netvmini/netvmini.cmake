# netvmini.cmake -- builds Microsoft's netvmini NDIS 6 miniport, unmodified,
# in place from ../shared/drivers/netvmini, as two static libraries:
#   netvmini60  (60/netvmini60.vcxproj):  NDIS60_MINIPORT=1
#   netvmini680 (680/netvmini680.vcxproj): NDIS680_MINIPORT=1, with vmq.c,
#               qos.c, rssv2.c and rssv2lib.c
# both with NDIS_MINIPORT_DRIVER=1 and NDIS_WDM=1, the defines the projects
# give. Included by tests/test_netvmini.cmake and bench/CMakeLists.txt.
#
# What the Windows build does besides compiling, done here:
#  * WPP (WppEnabled, WppKernelMode, WppTraceFunction DEBUGP(LEVEL,MSG,...)):
#    every source includes its generated <name>.tmh. They are generated from
#    wpp.tmh.in (next to this file) into <build>/netvmini_wpp/;
#    <name>.tmh.extra adds what a source needs because MSVC's C compiler
#    accepts a prototype mismatch that C compilers reject (docs/ndis.md,
#    "Building netvmini").
#  * MSVC syntax (anonymous structs, the UI64 suffix in rssv2lib.c): clang
#    with -fms-extensions -fms-compatibility; with another project compiler
#    the objects are built by a clang found on the PATH.
#  * Warnings in driver code are not errors (it is not the project's code).
set(MDLKIT_NETVMINI_CMAKE_DIR ${CMAKE_CURRENT_LIST_DIR})
if(NOT TARGET netvmini60)
  set(NV_DIR ${CMAKE_SOURCE_DIR}/../shared/drivers/netvmini)
  set(NV_WPP ${CMAKE_BINARY_DIR}/netvmini_wpp)
  find_program(MDLKIT_NETVMINI_CLANG NAMES clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14)
  if(EXISTS ${NV_DIR}/miniport.c AND (CMAKE_C_COMPILER_ID MATCHES "Clang" OR MDLKIT_NETVMINI_CLANG))
    file(MAKE_DIRECTORY ${NV_WPP})
    file(READ ${MDLKIT_NETVMINI_CMAKE_DIR}/wpp.tmh.in NV_TMH_IN)
    foreach(src miniport adapter ctrlpath datapath tcbrcb mphal vmq qos rssv2 rssv2lib)
      set(extra "")
      if(EXISTS ${MDLKIT_NETVMINI_CMAKE_DIR}/${src}.tmh.extra)
        file(READ ${MDLKIT_NETVMINI_CMAKE_DIR}/${src}.tmh.extra extra)
      endif()
      string(TOUPPER ${src} id)
      string(REPLACE "@NAME@" "${src}" tmh "${NV_TMH_IN}")
      string(REPLACE "@ID@" "${id}" tmh "${tmh}")
      string(REPLACE "@EXTRA@" "${extra}" tmh "${tmh}")
      file(CONFIGURE OUTPUT ${NV_WPP}/${src}.tmh CONTENT "${tmh}" @ONLY)
    endforeach()
    set(NV_FLAGS -std=gnu11 -fms-extensions -fms-compatibility -fshort-wchar -fno-strict-aliasing -w
                 -fno-omit-frame-pointer -DNDIS_MINIPORT_DRIVER=1 -DNDIS_WDM=1)
    if(MDLKIT_SANITIZE)
      # x64 driver code may load through UNALIGNED pointers (netvmini's
      # NIC_ADDR_EQUAL does): not undefined behaviour on the target.
      list(APPEND NV_FLAGS -fsanitize=${MDLKIT_SANITIZE})
      if(MDLKIT_SANITIZE MATCHES "undefined")
        list(APPEND NV_FLAGS -fno-sanitize=alignment)
      endif()
    endif()
    # Under TSan the driver is instrumented too (its interlocked operations
    # order its frame reuse); its one unlocked read is suppressed by
    # tests/netvmini/tsan.supp (docs/ndis.md).
    function(mdlkit_netvmini_build lib version)
      set(files miniport adapter ctrlpath datapath tcbrcb mphal)
      if(version STREQUAL "680")
        list(APPEND files vmq qos rssv2 rssv2lib)
      endif()
      set(defs -DNDIS${version}_MINIPORT=1)
      if(CMAKE_C_COMPILER_ID MATCHES "Clang")
        set(srcs)
        foreach(f ${files})
          list(APPEND srcs ${NV_DIR}/${f}.c)
        endforeach()
        add_library(${lib} STATIC ${srcs})
        target_include_directories(${lib} PRIVATE ${NV_WPP} ${CMAKE_SOURCE_DIR}/include)
        target_compile_options(${lib} PRIVATE ${NV_FLAGS} ${defs} -Wno-error)
        target_link_libraries(${lib} PUBLIC mdlkit_static)
        return()
      endif()
      set(objs)
      set(opt -O2 -g)
      if(CMAKE_BUILD_TYPE STREQUAL "Debug")
        set(opt -O0 -g)
      endif()
      foreach(f ${files})
        set(obj ${CMAKE_BINARY_DIR}/${lib}_objs/${f}.o)
        add_custom_command(OUTPUT ${obj}
          COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/${lib}_objs
          COMMAND ${MDLKIT_NETVMINI_CLANG} ${NV_FLAGS} ${opt} -fPIC ${defs} -I${NV_WPP} -I${CMAKE_SOURCE_DIR}/include
                  -c ${NV_DIR}/${f}.c -o ${obj}
          DEPENDS ${NV_DIR}/${f}.c ${NV_WPP}/${f}.tmh
          IMPLICIT_DEPENDS C ${NV_DIR}/${f}.c
          COMMENT "clang (netvmini ${version}): ${f}.c"
          VERBATIM)
        list(APPEND objs ${obj})
      endforeach()
      add_library(${lib} STATIC ${objs})
      set_target_properties(${lib} PROPERTIES LINKER_LANGUAGE C)
      target_link_libraries(${lib} PUBLIC mdlkit_static)
    endfunction()
    mdlkit_netvmini_build(netvmini60 60)
    # rssv2lib.c (680 only) calls RtlNumberOfSetBitsUlongPtr: built once the
    # WDK headers have it.
    file(GLOB NV_WDK_HEADERS ${CMAKE_SOURCE_DIR}/include/*.h ${CMAKE_SOURCE_DIR}/include/mkwdk/*.h)
    set(NV_HAVE_POPCOUNT 0)
    foreach(h ${NV_WDK_HEADERS})
      file(STRINGS ${h} hit REGEX "RtlNumberOfSetBitsUlongPtr")
      if(hit)
        set(NV_HAVE_POPCOUNT 1)
      endif()
    endforeach()
    if(NV_HAVE_POPCOUNT)
      mdlkit_netvmini_build(netvmini680 680)
    endif()
  endif()
endif()

