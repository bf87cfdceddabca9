# test_driver_msvc_syntax: sources written for MSVC, built by
# mdlkit_add_driver (cmake/mdlkitDriver.cmake) and called from the test.
if(NOT TARGET msvcdrv_driver)
  mdlkit_add_driver(msvcdrv_driver
    SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/msvcdrv/lvalue_cast.c ${CMAKE_CURRENT_SOURCE_DIR}/msvcdrv/plain.c)
endif()
target_link_libraries(${name} PRIVATE msvcdrv_driver)
