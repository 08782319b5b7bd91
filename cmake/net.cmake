# SPDX-License-Identifier: MIT
# net.cmake: libmemregion-net, the net layer over UCX (src/net*.c), built
# when MR_NET is AUTO and UCX is found (pkg-config `ucx`, else the CMake
# package `ucx`), always with ON (configure fails without UCX), never with
# OFF. The core library does not change either way. Sets MR_HAVE_NET (0/1)
# and, when 1, the targets memregion_net (libmemregion-net.so, own version
# script) and memregion_net_static (libmemregion-net.a), installed as the
# core is, with memregion-net.pc and memregion::net_shared / net_static.
set(MR_HAVE_NET 0)
string(TOUPPER "${MR_NET}" MR_NET)
if(NOT MR_NET MATCHES "^(AUTO|ON|OFF)$")
  message(FATAL_ERROR "MR_NET must be AUTO, ON or OFF, not '${MR_NET}'")
endif()
if(NOT MR_NET STREQUAL "OFF")
  set(MR_UCX_LIBS)
  find_package(PkgConfig QUIET)
  if(PKG_CONFIG_FOUND)
    pkg_check_modules(MR_UCX QUIET ucx)
  endif()
  if(MR_UCX_FOUND)
    # Plain library names (and their directory): what the static library's
    # users link, with or without pkg-config.
    set(MR_UCX_LIBS ${MR_UCX_LIBRARIES})
  else()
    find_package(ucx CONFIG QUIET)
    if(ucx_FOUND)
      set(MR_UCX_LIBS ucx::ucp ucx::ucs)
      set(MR_UCX_VERSION ${ucx_VERSION})
      set(MR_UCX_FOUND 1)
    endif()
  endif()
  if(MR_UCX_FOUND)
    set(MR_HAVE_NET 1)
    message(STATUS "memregion: net layer on, UCX ${MR_UCX_VERSION}")
  elseif(MR_NET STREQUAL "ON")
    message(FATAL_ERROR "MR_NET=ON but UCX was not found (pkg-config ucx, find_package(ucx)): "
                        "apt-get install libucx-dev, or -DMR_NET=AUTO / OFF")
  else()
    message(STATUS "memregion: net layer off (UCX not found: make deps, or apt-get install libucx-dev)")
  endif()
endif()

if(MR_HAVE_NET)
  file(GLOB MR_NET_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/src/net*.c)
  add_library(memregion_net_objects OBJECT ${MR_NET_SOURCES})
  set_target_properties(memregion_net_objects PROPERTIES POSITION_INDEPENDENT_CODE ON)
  target_compile_definitions(memregion_net_objects PRIVATE MR_BUILDING=1)
  target_include_directories(memregion_net_objects PUBLIC
    $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
    $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/include>)
  target_include_directories(memregion_net_objects SYSTEM PRIVATE ${MR_UCX_INCLUDE_DIRS})
  if(TARGET ucx::ucp AND NOT MR_UCX_INCLUDE_DIRS)
    target_link_libraries(memregion_net_objects PRIVATE ucx::ucp)
  endif()

  # The shared library calls the core's public functions in libmemregion.so;
  # the core's internal helpers (clock, deadlines, system-call wrappers) are
  # hidden there, so it carries its own private copy of the two sources that
  # hold the ones it uses (src/base.c, src/shm_sys.c: getrandom). The static
  # library needs none: libmemregion.a, linked with it, has them.
  add_library(memregion_net SHARED $<TARGET_OBJECTS:memregion_net_objects>
              ${PROJECT_SOURCE_DIR}/src/base.c ${PROJECT_SOURCE_DIR}/src/shm_sys.c)
  target_compile_definitions(memregion_net PRIVATE MR_BUILDING=1)
  add_library(memregion_net_static STATIC $<TARGET_OBJECTS:memregion_net_objects>)
  target_link_directories(memregion_net PRIVATE ${MR_UCX_LIBRARY_DIRS})
  target_link_libraries(memregion_net PUBLIC memregion PRIVATE ${MR_UCX_LIBS} Threads::Threads)
  target_link_libraries(memregion_net_static PUBLIC memregion_static ${MR_UCX_LIBS})
  set_target_properties(memregion_net PROPERTIES OUTPUT_NAME memregion-net
    VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR} EXPORT_NAME net_shared)
  set_target_properties(memregion_net_static PROPERTIES OUTPUT_NAME memregion-net
    EXPORT_NAME net_static)
  set(MR_NET_VERSION_SCRIPT ${PROJECT_SOURCE_DIR}/cmake/memregion-net.map)
  if(MR_HAVE_VERSION_SCRIPT)
    target_link_options(memregion_net PRIVATE "LINKER:--version-script=${MR_NET_VERSION_SCRIPT}")
    set_property(TARGET memregion_net APPEND PROPERTY LINK_DEPENDS ${MR_NET_VERSION_SCRIPT})
  endif()
  # The include directories come with memregion / memregion_static (PUBLIC).
  add_library(memregion::net_shared ALIAS memregion_net)
  add_library(memregion::net_static ALIAS memregion_net_static)

  install(TARGETS memregion_net memregion_net_static EXPORT memregionNetTargets
    LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
    ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
    RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
    INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  install(EXPORT memregionNetTargets NAMESPACE memregion::
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/memregion)
  install(CODE "
    set(PROJECT_VERSION \"${PROJECT_VERSION}\")
    set(CMAKE_INSTALL_LIBDIR \"${CMAKE_INSTALL_LIBDIR}\")
    set(CMAKE_INSTALL_INCLUDEDIR \"${CMAKE_INSTALL_INCLUDEDIR}\")
    configure_file(\"${PROJECT_SOURCE_DIR}/cmake/memregion-net.pc.in\"
                   \"${PROJECT_BINARY_DIR}/pkgconfig/memregion-net.pc\" @ONLY)
  ")
  install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/memregion-net.pc
    DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
  install(FILES include/memregion/net.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/memregion)
endif()
