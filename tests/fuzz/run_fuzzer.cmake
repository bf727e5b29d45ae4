# Runs one libFuzzer target for a bounded time: the ctest test "fuzz: <name>".
#
#   cmake -D fuzzer=<executable> -D name=<target> -D seeds=<dir> -D work=<dir> -P run_fuzzer.cmake
#
# Copies the committed seeds into the working corpus <work>/corpus (kept between runs, so
# coverage found by one run seeds the next; delete it to start over) and fuzzes for
# $SYNCMAP_FUZZ_SECONDS seconds (default 60) with a 10 s limit per input. Crashes, mismatches,
# leaks and hangs are written to <work>/artifacts/; the test fails naming the new ones and how
# to reproduce them. Extra libFuzzer flags may come from $SYNCMAP_FUZZ_FLAGS (a ;-list or
# space-separated, e.g. "-jobs=2 -workers=2").
foreach(variable IN ITEMS fuzzer name seeds work)
  if(NOT DEFINED ${variable})
    message(FATAL_ERROR "run_fuzzer.cmake: -D ${variable}=... is required")
  endif()
endforeach()

set(seconds 60)
if(DEFINED ENV{SYNCMAP_FUZZ_SECONDS} AND NOT "$ENV{SYNCMAP_FUZZ_SECONDS}" STREQUAL "")
  set(seconds "$ENV{SYNCMAP_FUZZ_SECONDS}")
endif()
if(NOT seconds MATCHES "^[0-9]+$" OR seconds EQUAL 0)
  message(FATAL_ERROR "fuzz ${name}: SYNCMAP_FUZZ_SECONDS must be a positive number of "
                      "seconds, not '${seconds}'")
endif()
set(extra_flags "")
if(DEFINED ENV{SYNCMAP_FUZZ_FLAGS})
  string(REPLACE " " ";" extra_flags "$ENV{SYNCMAP_FUZZ_FLAGS}")
endif()

set(corpus "${work}/corpus")
set(artifacts "${work}/artifacts")
file(MAKE_DIRECTORY "${corpus}" "${artifacts}")
file(GLOB seed_files LIST_DIRECTORIES false "${seeds}/*")
if(NOT seed_files)
  message(FATAL_ERROR "fuzz ${name}: no seeds in ${seeds}")
endif()
file(COPY ${seed_files} DESTINATION "${corpus}")
file(GLOB artifacts_before LIST_DIRECTORIES false "${artifacts}/*")

message(STATUS "fuzz ${name}: ${seconds} s from ${corpus}")
# A hang inside one input is caught by -timeout; this bounds the whole run in case libFuzzer
# itself cannot stop (a deadlock in a thread it waits for at exit).
math(EXPR wall_limit "${seconds} + 120")
execute_process(
  COMMAND "${fuzzer}" -max_total_time=${seconds} -timeout=10 -rss_limit_mb=4096
          -print_final_stats=1 "-artifact_prefix=${artifacts}/" ${extra_flags} "${corpus}"
  RESULT_VARIABLE status
  TIMEOUT ${wall_limit})

file(GLOB artifacts_after LIST_DIRECTORIES false "${artifacts}/*")
if(artifacts_before)
  list(REMOVE_ITEM artifacts_after ${artifacts_before})
endif()
if(NOT status EQUAL 0 OR artifacts_after)
  string(REPLACE ";" "\n    " found "${artifacts_after}")
  message(FATAL_ERROR
            "fuzz ${name}: libFuzzer exited with '${status}'. New artifacts:\n    ${found}\n"
            "Reproduce: ${fuzzer} <artifact> (SYNCMAP_FUZZ_TRACE=1 prints the program).\n"
            "Keep a reproducer: copy it to tests/fuzz/crashes/${name}/ (tests/fuzz/README.md).")
endif()
