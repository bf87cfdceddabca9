# mdlkitDriver.cmake -- build unmodified Windows driver sources against mdlkit.
#
#   mdlkit_add_driver(<name>
#       SOURCES <files...>            driver .c files (compiled in place)
#       [INCLUDE_DIRS <dirs...>]      the driver's own include folders
#       [DEFINES <defs...>]           e.g. DBG=1
#       [OPTIONS <flags...>]          extra compiler flags
#       [DATA_MODEL LLP64|LP64]       LLP64 (default): `long` is 32 bits in
#                                     the driver's code, as on Windows
#       [MDLKIT_TARGET <target>]      what to link (default: mdlkit::mdlkit,
#                                     or mdlkit_static inside mdlkit's tree)
#       [WPP]                         the sources are WPP-traced: write their
#       [WPP_SCAN <header>]           .tmh files with mdlkit-tracewpp, as the
#       [WPP_FUNC <spec>...]          Windows build does for WppEnabled
#                                     (WppScanConfigurationData = WPP_SCAN,
#                                     WppTraceFunction = WPP_FUNC, e.g.
#                                     "DEBUGP(LEVEL,MSG,...)"; kernel mode)
#       [TMH_APPEND <dir>])           <dir>/<source>.tmh.extra, when present,
#                                     is appended to that source's .tmh (see
#                                     below))
#
# Produces a static library <name> holding the driver's objects; link it into
# the test or harness that loads the driver (mdlkit_driver_load).
#
# What it does for Windows sources (docs/storport.md, "Building a driver"):
#  * Case-insensitive includes: every `#include "X"` in the sources and in
#    the headers of their folders and INCLUDE_DIRS that names a file only
#    case-insensitively ("virtio.h" for VirtIO.h), or with backslashes
#    ("windows\ring.h"), gets a symbolic link under
#    <binary dir>/<name>_include/ spelled exactly as the source spells it,
#    pointing at the real file. That folder is searched after INCLUDE_DIRS.
#  * MSVC syntax: the sources are compiled by clang with -fms-extensions
#    (anonymous structs, __declspec, __int64) and -fms-compatibility
#    (MSVC's preprocessor: a comma before an empty __VA_ARGS__ is dropped),
#    plus -fshort-wchar and mdlkit's include folder. When the project's C
#    compiler is not clang, the helper compiles the driver with a clang it
#    finds (MDLKIT_DRIVER_CLANG) through custom commands; without clang it
#    falls back to the project's compiler with -fms-extensions only.
#  * MSVC lvalue casts: a source with "(T)lvalue op= ...;" statements (a
#    cast as an assignment target) is compiled from a rewritten copy under
#    <binary dir>/<name>_src/ ("*(T *)&(lvalue) op= ...;"), with #line so
#    diagnostics and debug information name the original lines.
#  * Windows' data model: Windows is LLP64 (`long` is 32 bits), Linux LP64.
#    Unless DATA_MODEL LP64 is given, every source force-includes
#    mdlkit_llp64.h, which reads the C library and mdlkit's headers first and
#    then makes `long` mean `int` for the driver's own code (see that header
#    for what the driver must then not spell).
#  * WPP: with WPP, WPP_SCAN or WPP_FUNC, mdlkit-tracewpp writes a .tmh per
#    source into <binary dir>/<name>_tmh/ at build time (the tool built in
#    mdlkit's tree, or the installed one: MDLKIT_TRACEWPP); trace calls print
#    through DbgPrintEx. TMH_APPEND is for a source that breaks a rule of C
#    that the Windows compiler relaxes at the point its .tmh is included
#    (e.g. a function declared with one pointer type and defined with
#    another, which MSVC accepts with a warning and C compilers reject): the
#    text appended there can fix it up without touching the source.
#  * Warnings in driver code are not errors (it is not the project's code).

include_guard(GLOBAL)

set(MDLKIT_DRIVER_CMAKE_DIR "${CMAKE_CURRENT_LIST_DIR}")

# Case-insensitive lookup of a relative path (with '/' separators) under dir.
# Sets ${out} to the real path, or "" if there is none.
function(_mdlkit_ci_lookup dir rel out)
  string(REPLACE "/" ";" parts "${rel}")
  set(cur "${dir}")
  foreach(part IN LISTS parts)
    if(part STREQUAL "" OR part STREQUAL ".")
      continue()
    endif()
    if(part STREQUAL "..")
      get_filename_component(cur "${cur}/.." ABSOLUTE)
      continue()
    endif()
    if(EXISTS "${cur}/${part}")
      set(cur "${cur}/${part}")
      continue()
    endif()
    file(GLOB entries RELATIVE "${cur}" "${cur}/*")
    string(TOLOWER "${part}" want)
    set(hit "")
    foreach(e IN LISTS entries)
      string(TOLOWER "${e}" el)
      if(el STREQUAL want)
        set(hit "${e}")
        break()
      endif()
    endforeach()
    if(hit STREQUAL "")
      set(${out} "" PARENT_SCOPE)
      return()
    endif()
    set(cur "${cur}/${hit}")
  endforeach()
  set(${out} "${cur}" PARENT_SCOPE)
endfunction()

# Writes the symbolic-link folder for the files in `files`, searching the
# including file's folder, then `dirs`.
function(_mdlkit_ci_links gen files dirs)
  file(MAKE_DIRECTORY "${gen}")
  foreach(f IN LISTS files)
    get_filename_component(fdir "${f}" DIRECTORY)
    file(STRINGS "${f}" lines REGEX "^[ \t]*#[ \t]*include[ \t]*\"[^\"]+\"")
    foreach(line IN LISTS lines)
      string(REGEX REPLACE "^[ \t]*#[ \t]*include[ \t]*\"([^\"]+)\".*$" "\\1" name "${line}")
      string(REPLACE "\\" "/" rel "${name}")
      # Found exactly (spelled as written, no backslash)? Nothing to do.
      set(exact FALSE)
      if(name STREQUAL rel)
        foreach(d IN LISTS fdir dirs)
          if(EXISTS "${d}/${rel}")
            set(exact TRUE)
            break()
          endif()
        endforeach()
      endif()
      if(exact)
        continue()
      endif()
      set(real "")
      foreach(d IN LISTS fdir dirs)
        _mdlkit_ci_lookup("${d}" "${rel}" real)
        if(NOT real STREQUAL "")
          break()
        endif()
      endforeach()
      if(real STREQUAL "")
        continue() # a generated file (.tmh) or a system header: not ours to map
      endif()
      # The link is spelled exactly as the source spells it (a backslash is
      # an ordinary character in a Linux file name).
      set(link "${gen}/${name}")
      get_filename_component(ldir "${link}" DIRECTORY)
      file(MAKE_DIRECTORY "${ldir}")
      if(NOT EXISTS "${link}")
        file(CREATE_LINK "${real}" "${link}" SYMBOLIC)
      endif()
    endforeach()
  endforeach()
endfunction()

# MSVC accepts a cast as the target of an assignment when the two types have
# the same size ("(ULONG_PTR)Srb->DataBuffer += count;" adds to the pointer);
# no C compiler does. A source with such statements is compiled from a copy
# under <binary dir>/<name>_src/ in which each one, at the start of a line,
# is spelled "*(T *)&(lvalue) op= ...", which means the same; a #line
# directive keeps the original file name and line numbers in diagnostics and
# debug information. Sets ${out} to the file to compile.
function(_mdlkit_lvalue_casts name src out)
  file(READ "${src}" text)
  set(id "[A-Za-z_][A-Za-z0-9_]*")
  set(re "\n([ \t]*)\\((${id}[ \t]*\\**)[ \t]*\\)[ \t]*(${id}((->|\\.)${id})*)[ \t]*([-+*/|&^]?=)([^=])")
  if(NOT text MATCHES "${re}")
    set(${out} "${src}" PARENT_SCOPE)
    return()
  endif()
  string(REGEX REPLACE "${re}" "\n\\1*(\\2 *)&(\\3) \\6\\7" text "${text}")
  get_filename_component(fname "${src}" NAME)
  set(copy "${CMAKE_CURRENT_BINARY_DIR}/${name}_src/${fname}")
  file(WRITE "${copy}.new" "#line 1 \"${src}\"\n${text}")
  configure_file("${copy}.new" "${copy}" COPYONLY)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${src}")
  message(STATUS "mdlkit_add_driver(${name}): ${fname} assigns through casts (MSVC); compiling a rewritten copy")
  set(${out} "${copy}" PARENT_SCOPE)
endfunction()

function(mdlkit_add_driver name)
  cmake_parse_arguments(D "WPP" "MDLKIT_TARGET;DATA_MODEL;WPP_SCAN;TMH_APPEND" "SOURCES;INCLUDE_DIRS;DEFINES;OPTIONS;WPP_FUNC"
                        ${ARGN})
  if(NOT D_DATA_MODEL)
    set(D_DATA_MODEL LLP64)
  endif()
  if(NOT D_DATA_MODEL MATCHES "^(LLP64|LP64)$")
    message(FATAL_ERROR "mdlkit_add_driver(${name}): DATA_MODEL is LLP64 or LP64")
  endif()
  if(NOT D_SOURCES)
    message(FATAL_ERROR "mdlkit_add_driver(${name}): SOURCES is required")
  endif()
  if(NOT D_MDLKIT_TARGET)
    if(TARGET mdlkit_static)
      set(D_MDLKIT_TARGET mdlkit_static)
    else()
      set(D_MDLKIT_TARGET mdlkit::mdlkit)
    endif()
  endif()

  # Folders to scan: the sources' folders and the include folders.
  set(scan_dirs ${D_INCLUDE_DIRS})
  set(files ${D_SOURCES})
  foreach(s IN LISTS D_SOURCES)
    get_filename_component(sd "${s}" DIRECTORY)
    list(APPEND scan_dirs "${sd}")
  endforeach()
  list(REMOVE_DUPLICATES scan_dirs)
  foreach(d IN LISTS scan_dirs)
    file(GLOB_RECURSE hdrs "${d}/*.h" "${d}/*.H")
    list(APPEND files ${hdrs})
  endforeach()
  set(gen "${CMAKE_CURRENT_BINARY_DIR}/${name}_include")
  _mdlkit_ci_links("${gen}" "${files}" "${D_INCLUDE_DIRS}")

  # Sources with MSVC lvalue casts are compiled from rewritten copies, which
  # still find the headers beside the original.
  set(compiled)
  foreach(s IN LISTS D_SOURCES)
    _mdlkit_lvalue_casts(${name} "${s}" c)
    if(NOT c STREQUAL s)
      get_filename_component(sd "${s}" DIRECTORY)
      list(APPEND D_INCLUDE_DIRS "${sd}")
    endif()
    list(APPEND compiled "${c}")
  endforeach()

  # WPP: the .tmh files, written by mdlkit-tracewpp at build time.
  set(tmh_files)
  if(D_WPP OR D_WPP_SCAN OR D_WPP_FUNC)
    set(tmh_dir "${CMAKE_CURRENT_BINARY_DIR}/${name}_tmh")
    file(MAKE_DIRECTORY "${tmh_dir}")
    if(TARGET mdlkit_tracewpp)
      set(tracewpp $<TARGET_FILE:mdlkit_tracewpp>)
      set(tracewpp_dep mdlkit_tracewpp)
    else()
      find_program(MDLKIT_TRACEWPP NAMES mdlkit-tracewpp
                   HINTS "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/../../../bin")
      if(NOT MDLKIT_TRACEWPP)
        message(FATAL_ERROR "mdlkit_add_driver(${name}): WPP needs mdlkit-tracewpp (set MDLKIT_TRACEWPP)")
      endif()
      set(tracewpp "${MDLKIT_TRACEWPP}")
      set(tracewpp_dep "${MDLKIT_TRACEWPP}")
    endif()
    set(wpp_args -km)
    if(D_WPP_SCAN)
      list(APPEND wpp_args "-scan:${D_WPP_SCAN}")
    endif()
    foreach(f IN LISTS D_WPP_FUNC)
      list(APPEND wpp_args "-func:${f}")
    endforeach()
    set(append_cmds)
    set(append_deps)
    foreach(s IN LISTS D_SOURCES)
      get_filename_component(base "${s}" NAME_WE)
      list(APPEND tmh_files "${tmh_dir}/${base}.tmh")
      if(D_TMH_APPEND AND EXISTS "${D_TMH_APPEND}/${base}.tmh.extra")
        list(APPEND append_cmds COMMAND ${CMAKE_COMMAND} -DTMH=${tmh_dir}/${base}.tmh
             -DEXTRA=${D_TMH_APPEND}/${base}.tmh.extra -P "${MDLKIT_DRIVER_CMAKE_DIR}/mdlkitTmhAppend.cmake")
        list(APPEND append_deps "${D_TMH_APPEND}/${base}.tmh.extra")
      endif()
    endforeach()
    add_custom_command(OUTPUT ${tmh_files}
      COMMAND ${tracewpp} ${wpp_args} "-odir:${tmh_dir}" ${D_SOURCES}
      ${append_cmds}
      DEPENDS ${tracewpp_dep} ${D_SOURCES} ${D_WPP_SCAN} ${append_deps}
      COMMENT "mdlkit-tracewpp (driver ${name}): .tmh files"
      VERBATIM)
    add_custom_target(${name}_tmh DEPENDS ${tmh_files})
    list(APPEND D_INCLUDE_DIRS "${tmh_dir}")
  endif()

  # mdlkit's public include folder (build tree or installed package).
  get_target_property(mk_inc ${D_MDLKIT_TARGET} INTERFACE_INCLUDE_DIRECTORIES)
  set(ms_flags -fms-extensions -fms-compatibility -fshort-wchar -fno-strict-aliasing -w)
  set(all_defs ${D_DEFINES})
  set(mk_inc_dirs)
  foreach(d IN LISTS mk_inc)
    string(REGEX REPLACE "^\\$<BUILD_INTERFACE:(.*)>$" "\\1" d "${d}")
    if(d MATCHES "^\\$<")
      continue()
    endif()
    list(APPEND mk_inc_dirs "${d}")
  endforeach()
  set(prelude)
  if(D_DATA_MODEL STREQUAL "LLP64")
    list(GET mk_inc_dirs 0 first_inc)
    set(prelude "${first_inc}/mdlkit_llp64.h")
    list(APPEND D_OPTIONS -include "${prelude}")
  endif()

  if(CMAKE_C_COMPILER_ID MATCHES "Clang")
    add_library(${name} STATIC ${compiled})
    target_include_directories(${name} PRIVATE ${D_INCLUDE_DIRS} "${gen}")
    target_compile_definitions(${name} PRIVATE ${all_defs})
    # -g always (as below): bug-check reports name the driver's lines,
    # whatever the project's build type.
    target_compile_options(${name} PRIVATE ${ms_flags} -g -fno-omit-frame-pointer -fno-optimize-sibling-calls
                           -Wno-error ${D_OPTIONS})
    if(prelude)
      set_source_files_properties(${compiled} PROPERTIES OBJECT_DEPENDS "${prelude}")
    endif()
    if(tmh_files)
      add_dependencies(${name} ${name}_tmh)
    endif()
    target_link_libraries(${name} PUBLIC ${D_MDLKIT_TARGET})
    return()
  endif()

  find_program(MDLKIT_DRIVER_CLANG NAMES clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14)
  if(NOT MDLKIT_DRIVER_CLANG)
    message(WARNING "mdlkit_add_driver(${name}): no clang found; compiling with ${CMAKE_C_COMPILER_ID} "
                    "and -fms-extensions only (MSVC preprocessor behaviour is not available)")
    add_library(${name} STATIC ${compiled})
    target_include_directories(${name} PRIVATE ${D_INCLUDE_DIRS} "${gen}")
    target_compile_definitions(${name} PRIVATE ${all_defs})
    target_compile_options(${name} PRIVATE -fms-extensions -fshort-wchar -w -g -fno-omit-frame-pointer
                           -fno-optimize-sibling-calls -Wno-error ${D_OPTIONS})
    if(tmh_files)
      add_dependencies(${name} ${name}_tmh)
    endif()
    target_link_libraries(${name} PUBLIC ${D_MDLKIT_TARGET})
    return()
  endif()

  # The project compiles with another compiler: clang builds the objects.
  set(inc_flags)
  foreach(d IN LISTS D_INCLUDE_DIRS)
    list(APPEND inc_flags "-I${d}")
  endforeach()
  list(APPEND inc_flags "-I${gen}")
  foreach(d IN LISTS mk_inc_dirs)
    list(APPEND inc_flags "-I${d}")
  endforeach()
  set(def_flags)
  foreach(d IN LISTS all_defs)
    list(APPEND def_flags "-D${d}")
  endforeach()
  # -g always: bug-check reports name the driver's lines.
  set(extra -g -fno-optimize-sibling-calls)
  if(CMAKE_BUILD_TYPE STREQUAL "Debug")
    list(APPEND extra -O0)
  else()
    list(APPEND extra -O2)
  endif()
  # (Not sanitized: clang's sanitizer runtime may not match the project
  # compiler's; the driver's memory errors are the checker's job.)
  set(objs)
  set(i 0)
  foreach(s IN LISTS compiled)
    get_filename_component(base "${s}" NAME_WE)
    set(obj "${CMAKE_CURRENT_BINARY_DIR}/${name}_objs/${i}_${base}.o")
    math(EXPR i "${i} + 1")
    add_custom_command(OUTPUT "${obj}"
      COMMAND ${CMAKE_COMMAND} -E make_directory "${CMAKE_CURRENT_BINARY_DIR}/${name}_objs"
      COMMAND ${MDLKIT_DRIVER_CLANG} -std=gnu11 -fPIC -fno-omit-frame-pointer ${ms_flags} ${extra}
              ${def_flags} ${inc_flags} ${D_OPTIONS} -c "${s}" -o "${obj}"
      DEPENDS "${s}" ${prelude} ${tmh_files}
      IMPLICIT_DEPENDS C "${s}"
      COMMENT "clang (driver ${name}): ${base}.c"
      VERBATIM)
    list(APPEND objs "${obj}")
  endforeach()
  add_library(${name} STATIC ${objs})
  set_target_properties(${name} PROPERTIES LINKER_LANGUAGE C)
  target_link_libraries(${name} PUBLIC ${D_MDLKIT_TARGET})
endfunction()
