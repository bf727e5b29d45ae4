# syncmap packaging test driver: builds tests/packaging/consumer from scratch one way and runs
# it. Invoked by ctest (see CMakeLists.txt here) as
#   cmake -D route=<route> -D source_dir=<checkout> -D work_dir=<scratch> -D cxx=<compiler>
#         -D generator=<generator> -D version=<x.y.z> -D exe_suffix=<suffix> -P run_route.cmake
# Routes:
#   add_subdirectory   consumer does add_subdirectory(<checkout>)
#   fetchcontent       consumer does FetchContent_Declare(SOURCE_DIR <checkout>) + MakeAvailable
#   install            configure + build <checkout> alone, `cmake --install --prefix <scratch>`
#                      (a ctest fixture: the routes below use its prefix and build tree)
#   find_package       consumer does find_package(syncmap <major.minor> CONFIG REQUIRED)
#                      against the installed prefix (found through CMAKE_PREFIX_PATH)
#   build_tree         the same against syncmap_DIR = the install route's build tree (export())
#   too_new            find_package(syncmap 99 CONFIG REQUIRED) must fail, and for the version
#   pkg_config         compile main.cpp by hand with `pkg-config --cflags --libs syncmap`
cmake_minimum_required(VERSION 3.14)

set(consumer_source "${CMAKE_CURRENT_LIST_DIR}/consumer")
set(install_build "${work_dir}/install/build")
set(install_prefix "${work_dir}/install/prefix")
string(REGEX MATCH "^[0-9]+\\.[0-9]+" requested_version "${version}")

# run(<what> <command>...): runs the command, stops with its output if it fails; the output
# is left in `run_output` for checks.
function(run what)
  execute_process(
    COMMAND ${ARGN}
    RESULT_VARIABLE result
    OUTPUT_VARIABLE output
    ERROR_VARIABLE output)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "packaging/${route}: ${what} failed (${result}):\n${output}")
  endif()
  set(run_output "${output}" PARENT_SCOPE)
endfunction()

set(generator_arguments -G "${generator}")
if(make_program)
  list(APPEND generator_arguments "-DCMAKE_MAKE_PROGRAM=${make_program}")
endif()
set(common_arguments ${generator_arguments} "-DCMAKE_CXX_COMPILER=${cxx}"
                     -DCMAKE_BUILD_TYPE=Release)
# Only the prefix or directory named on the command line may satisfy find_package.
set(isolation_arguments -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON
                        -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)

# build_and_run_consumer(<build dir> <cmake -D arguments>...)
function(build_and_run_consumer build_dir)
  file(REMOVE_RECURSE "${build_dir}")
  run("configuring the consumer" "${CMAKE_COMMAND}" -S "${consumer_source}" -B "${build_dir}"
      ${common_arguments} ${ARGN})
  set(configure_output "${run_output}" PARENT_SCOPE)
  run("building the consumer" "${CMAKE_COMMAND}" --build "${build_dir}" --config Release)
  set(executable "${build_dir}/consumer${exe_suffix}")
  if(NOT EXISTS "${executable}")
    set(executable "${build_dir}/Release/consumer${exe_suffix}")
  endif()
  run("running the consumer" "${executable}")
  message(STATUS "packaging/${route}: ${run_output}")
endfunction()

if(route STREQUAL "add_subdirectory" OR route STREQUAL "fetchcontent")
  build_and_run_consumer("${work_dir}/${route}" "-DSYNCMAP_CONSUMER_ROUTE=${route}"
                         "-DSYNCMAP_SOURCE_DIR=${source_dir}")

elseif(route STREQUAL "install")
  file(REMOVE_RECURSE "${work_dir}/install")
  run("configuring syncmap" "${CMAKE_COMMAND}" -S "${source_dir}" -B "${install_build}"
      ${common_arguments} -DSYNCMAP_BUILD_TESTS=OFF -DSYNCMAP_BUILD_EXAMPLES=OFF
      -DSYNCMAP_BUILD_BENCH=OFF)
  run("building syncmap" "${CMAKE_COMMAND}" --build "${install_build}" --config Release)
  # Installed to a prefix other than the configured one (/usr/local): the package must be
  # relocatable. `cmake --install` arrived in CMake 3.15; before that, run its script.
  if(CMAKE_VERSION VERSION_LESS 3.15)
    run("installing syncmap" "${CMAKE_COMMAND}" -D "CMAKE_INSTALL_PREFIX=${install_prefix}"
        -D CMAKE_INSTALL_CONFIG_NAME=Release -P "${install_build}/cmake_install.cmake")
  else()
    run("installing syncmap" "${CMAKE_COMMAND}" --install "${install_build}" --config Release
        --prefix "${install_prefix}")
  endif()
  foreach(
    installed IN
    ITEMS include/syncmap/version.hpp include/syncmap/sharded_map.hpp
          share/cmake/syncmap/syncmapConfig.cmake share/cmake/syncmap/syncmapConfigVersion.cmake
          share/cmake/syncmap/syncmapTargets.cmake share/pkgconfig/syncmap.pc)
    if(NOT EXISTS "${install_prefix}/${installed}")
      message(FATAL_ERROR "packaging/install: ${installed} was not installed")
    endif()
  endforeach()
  file(READ "${install_prefix}/share/cmake/syncmap/syncmapTargets.cmake" targets_file)
  foreach(forbidden IN ITEMS "${install_build}" "${source_dir}/" "${install_prefix}")
    string(FIND "${targets_file}" "${forbidden}" found_at)
    if(NOT found_at EQUAL -1)
      message(FATAL_ERROR "packaging/install: the installed targets name ${forbidden}")
    endif()
  endforeach()

elseif(route STREQUAL "find_package")
  build_and_run_consumer(
    "${work_dir}/${route}" -DSYNCMAP_CONSUMER_ROUTE=find_package
    "-DSYNCMAP_REQUESTED_VERSION=${requested_version}" "-DCMAKE_PREFIX_PATH=${install_prefix}"
    ${isolation_arguments})
  string(FIND "${configure_output}" "in ${install_prefix}/" found_at)
  if(found_at EQUAL -1)
    message(FATAL_ERROR "packaging/find_package: syncmap was not found in ${install_prefix}:\n"
                        "${configure_output}")
  endif()

elseif(route STREQUAL "build_tree")
  build_and_run_consumer(
    "${work_dir}/${route}" -DSYNCMAP_CONSUMER_ROUTE=find_package
    "-DSYNCMAP_REQUESTED_VERSION=${requested_version}" "-Dsyncmap_DIR=${install_build}"
    ${isolation_arguments})

elseif(route STREQUAL "too_new")
  set(build_dir "${work_dir}/${route}")
  file(REMOVE_RECURSE "${build_dir}")
  execute_process(
    COMMAND
      "${CMAKE_COMMAND}" -S "${consumer_source}" -B "${build_dir}" ${common_arguments}
      -DSYNCMAP_CONSUMER_ROUTE=find_package -DSYNCMAP_REQUESTED_VERSION=99
      "-DCMAKE_PREFIX_PATH=${install_prefix}" ${isolation_arguments}
    RESULT_VARIABLE result
    OUTPUT_VARIABLE output
    ERROR_VARIABLE output)
  if(result EQUAL 0)
    message(FATAL_ERROR "packaging/too_new: find_package(syncmap 99) succeeded against "
                        "syncmap ${version}:\n${output}")
  endif()
  # It must fail for the right reason: a version mismatch, not a missing package.
  string(FIND "${output}" "compatible with requested version \"99\"" refused_at)
  string(FIND "${output}" "version: ${version}" offered_at)
  if(refused_at EQUAL -1 OR offered_at EQUAL -1)
    message(FATAL_ERROR "packaging/too_new: configuring failed, but not by refusing version "
                        "${version} for a request of 99:\n${output}")
  endif()
  message(STATUS "packaging/too_new: find_package(syncmap 99) refused syncmap ${version}")

elseif(route STREQUAL "pkg_config")
  set(ENV{PKG_CONFIG_PATH} "${install_prefix}/share/pkgconfig")
  run("pkg-config --modversion" "${pkg_config}" --modversion syncmap)
  string(STRIP "${run_output}" pkg_version)
  if(NOT pkg_version STREQUAL version)
    message(FATAL_ERROR "packaging/pkg_config: syncmap.pc says ${pkg_version}, not ${version}")
  endif()
  run("pkg-config --cflags" "${pkg_config}" --cflags syncmap)
  separate_arguments(cflags UNIX_COMMAND "${run_output}")
  run("pkg-config --libs" "${pkg_config}" --libs syncmap)
  separate_arguments(libs UNIX_COMMAND "${run_output}")
  set(build_dir "${work_dir}/${route}")
  file(REMOVE_RECURSE "${build_dir}")
  file(MAKE_DIRECTORY "${build_dir}")
  run("compiling with pkg-config's flags" "${cxx}" -std=c++17 ${cflags}
      "${consumer_source}/main.cpp" -o "${build_dir}/consumer" ${libs})
  run("running the consumer" "${build_dir}/consumer")
  message(STATUS "packaging/pkg_config: ${run_output}")

else()
  message(FATAL_ERROR "run_route.cmake: unknown route '${route}'")
endif()
