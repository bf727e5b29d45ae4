# How syncmap is found by other projects, from its build tree and from an install.
#
# Installed layout (all architecture independent, so it lives under DATADIR):
#   <prefix>/include/syncmap/...                      the headers
#   <prefix>/share/cmake/syncmap/syncmapConfig.cmake  find_package(syncmap CONFIG)
#   <prefix>/share/cmake/syncmap/syncmapConfigVersion.cmake
#   <prefix>/share/cmake/syncmap/syncmapTargets.cmake exported syncmap::syncmap
#   <prefix>/share/pkgconfig/syncmap.pc               pkg-config --cflags syncmap
# Nothing in the installed files names the install prefix: CMake's exported targets locate
# themselves, and syncmap.pc derives its prefix from its own directory (${pcfiledir}), so
# `cmake --install build --prefix anywhere` (or DESTDIR staging) yields a working package.
#
# The build tree carries the same three CMake files, so syncmap_DIR=<build dir> also works
# (fmt and nlohmann/json do the same).
#
# NOTE: the version file says SameMajorVersion, as the contract asks. While the major
# version is 0 this accepts any 0.x for a request of 0.1; semantic versioning would call 0.x
# minor releases incompatible. Revisit (SameMinorVersion) if 0.x breaks compatibility.
include(CMakePackageConfigHelpers)

set(syncmap_config_dir "${CMAKE_INSTALL_DATADIR}/cmake/syncmap")

configure_file("${CMAKE_CURRENT_LIST_DIR}/syncmapConfig.cmake.in"
               "${PROJECT_BINARY_DIR}/syncmapConfig.cmake" @ONLY)
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/syncmapConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}"
  COMPATIBILITY SameMajorVersion ARCH_INDEPENDENT)
export(
  TARGETS syncmap
  NAMESPACE syncmap::
  FILE "${PROJECT_BINARY_DIR}/syncmapTargets.cmake")

# pkg-config: prefix relative to the .pc file's own directory unless DATADIR is absolute.
set(syncmap_pc_dir "${CMAKE_INSTALL_DATADIR}/pkgconfig")
if(IS_ABSOLUTE "${syncmap_pc_dir}")
  set(syncmap_pc_prefix "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH syncmap_pc_dir_to_prefix "/prefix/${syncmap_pc_dir}" "/prefix")
  string(REGEX REPLACE "/$" "" syncmap_pc_dir_to_prefix "${syncmap_pc_dir_to_prefix}")
  set(syncmap_pc_prefix "\${pcfiledir}/${syncmap_pc_dir_to_prefix}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(syncmap_pc_includedir "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(syncmap_pc_includedir "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
# What Threads::Threads adds to a link line: -pthread, -lpthread, or nothing (glibc >= 2.34).
set(syncmap_pc_libs "${CMAKE_THREAD_LIBS_INIT}")
configure_file("${CMAKE_CURRENT_LIST_DIR}/syncmap.pc.in" "${PROJECT_BINARY_DIR}/syncmap.pc" @ONLY)

if(SYNCMAP_INSTALL)
  install(
    DIRECTORY "${PROJECT_SOURCE_DIR}/include/"
    DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
    FILES_MATCHING
    PATTERN "*.hpp")
  install(TARGETS syncmap EXPORT syncmapTargets)
  install(
    EXPORT syncmapTargets
    NAMESPACE syncmap::
    DESTINATION "${syncmap_config_dir}")
  install(FILES "${PROJECT_BINARY_DIR}/syncmapConfig.cmake"
                "${PROJECT_BINARY_DIR}/syncmapConfigVersion.cmake"
          DESTINATION "${syncmap_config_dir}")
  install(FILES "${PROJECT_BINARY_DIR}/syncmap.pc" DESTINATION "${syncmap_pc_dir}")
endif()
