# Compiles one file of tests/compile_fail with -fsyntax-only and judges the result. Run as
#   cmake -DSETTINGS=<settings.cmake> -DSOURCE=<file.cpp> -DMODE=compile|fail -P check_compile.cmake
#   cmake -DSETTINGS=<settings.cmake> -DMODE=precompile -P check_compile.cmake
# SETTINGS (written by CMakeLists.txt) sets syncmap_compile_fail_compiler, _family (gnu or
# clang), _flags (a list), and _pch_header / _pch (std_headers.hpp and its precompiled form).
# MODE compile: the file must compile, warning-free where the build uses -Werror.
# MODE fail: the compiler must reject the file, and its output must match every
# "// expect: <regex>" line of the file and every "// expect-<family>: <regex>" line for this
# compiler; a file with none of them is an error. The regexes are CMake regexes (no \d, no
# {n}) matched against the whole output; LC_ALL=C keeps g++'s quotes plain ASCII.
# MODE precompile: (re)builds the precompiled standard headers unless a stamp shows they were
# built from the same header by the same compiler with the same flags. If that fails it warns
# and removes the output: the other modes then read the header as text, slower but the same.
foreach(var SETTINGS MODE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "check_compile.cmake: ${var} not set")
  endif()
endforeach()
include("${SETTINGS}")
set(ENV{LC_ALL} C)

if(MODE STREQUAL "precompile")
  set(pch "${syncmap_compile_fail_pch}")
  set(stamp_file "${pch}.stamp")
  get_filename_component(compiler "${syncmap_compile_fail_compiler}" REALPATH)
  file(TIMESTAMP "${compiler}" compiler_time)
  file(SHA256 "${syncmap_compile_fail_pch_header}" header_hash)
  string(CONCAT stamp "${compiler} ${compiler_time}\n${syncmap_compile_fail_flags}\n"
                "${header_hash}\n")
  # Whether the compiler takes the precompiled file for an empty source: a clang PCH older
  # than a standard header it read is a hard error, a stale g++ one an -Winvalid-pch warning.
  file(WRITE "${pch}.probe.cpp" "")
  set(probe "${syncmap_compile_fail_compiler}" ${syncmap_compile_fail_flags} -fsyntax-only
            -include "${syncmap_compile_fail_pch_header}" "${pch}.probe.cpp")
  if(syncmap_compile_fail_family STREQUAL "gnu")
    list(APPEND probe -Winvalid-pch -Werror=invalid-pch)
  endif()

  if(EXISTS "${pch}" AND EXISTS "${stamp_file}")
    file(READ "${stamp_file}" previous_stamp)
    if(previous_stamp STREQUAL stamp)
      execute_process(COMMAND ${probe} OUTPUT_QUIET ERROR_QUIET RESULT_VARIABLE result)
      if(result EQUAL 0)
        message(STATUS "up to date: ${pch}")
        return()
      endif()
    endif()
  endif()
  file(REMOVE "${pch}" "${stamp_file}")
  execute_process(
    COMMAND "${syncmap_compile_fail_compiler}" ${syncmap_compile_fail_flags} -x c++-header
            "${syncmap_compile_fail_pch_header}" -o "${pch}"
    OUTPUT_VARIABLE output
    ERROR_VARIABLE output
    RESULT_VARIABLE result)
  if(result EQUAL 0)
    execute_process(COMMAND ${probe} OUTPUT_VARIABLE output ERROR_VARIABLE output
                    RESULT_VARIABLE result)
  endif()
  if(NOT result EQUAL 0)
    file(REMOVE "${pch}")
    message(WARNING "could not precompile ${syncmap_compile_fail_pch_header}; the compile-fail "
                    "tests read it as text instead (slower, same results):\n${output}")
    return()
  endif()
  file(WRITE "${stamp_file}" "${stamp}")
  message(STATUS "built ${pch}")
  return()
endif()

if(NOT DEFINED SOURCE)
  message(FATAL_ERROR "check_compile.cmake: SOURCE not set")
endif()

set(expected "")
if(MODE STREQUAL "fail")
  file(STRINGS "${SOURCE}" expect_lines
       REGEX "^// expect(-${syncmap_compile_fail_family})?: ")
  foreach(line IN LISTS expect_lines)
    string(REGEX REPLACE "^// expect(-[a-z]+)?: " "" regex "${line}")
    list(APPEND expected "${regex}")
  endforeach()
  if(NOT expected)
    message(FATAL_ERROR "${SOURCE}: no '// expect: <regex>' (or "
                        "'// expect-${syncmap_compile_fail_family}: <regex>') line says why "
                        "it must fail to compile")
  endif()
elseif(NOT MODE STREQUAL "compile")
  message(FATAL_ERROR "check_compile.cmake: MODE must be compile or fail, not '${MODE}'")
endif()

set(command "${syncmap_compile_fail_compiler}" ${syncmap_compile_fail_flags} -fsyntax-only
            -include "${syncmap_compile_fail_pch_header}" "${SOURCE}")
execute_process(
  COMMAND ${command}
  OUTPUT_VARIABLE output
  ERROR_VARIABLE output
  RESULT_VARIABLE result)
string(REPLACE ";" " " command_line "${command}")

if(MODE STREQUAL "compile")
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "${SOURCE} must compile, but did not (so the compile-fail cases "
                        "beside it prove nothing):\n${command_line}\n${output}")
  endif()
  message(STATUS "compiles, as it must")
  return()
endif()

if(result EQUAL 0)
  message(FATAL_ERROR "${SOURCE} compiled, but it is a misuse the library must reject:\n"
                      "${command_line}\n${output}")
endif()
set(missing "")
foreach(regex IN LISTS expected)
  if(NOT output MATCHES "${regex}")
    string(APPEND missing "\n  ${regex}")
  endif()
endforeach()
if(missing)
  message(FATAL_ERROR "${SOURCE} failed to compile, but not for the expected reason: "
                      "the output does not match${missing}\n${command_line}\n${output}")
endif()
string(REPLACE ";" "\n  " expected_lines "${expected}")
message(STATUS "rejected, as it must be, with\n  ${expected_lines}")
