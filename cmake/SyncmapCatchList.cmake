# cmake -P script run after linking a Catch2 test executable (see SyncmapCatchTests.cmake).
# Inputs (-D): executable, catch_major (2 or 3), group, timeout, working_directory, output.
# Writes <output>: one add_test() + set_tests_properties() per test case.
if(catch_major EQUAL 3)
  set(list_arguments --list-tests --verbosity quiet)
else()
  set(list_arguments --list-test-names-only)
endif()

function(fail_listing why)
  # Delete the executable: the next build relinks it and lists again, instead of keeping a
  # stale or missing test list next to an up-to-date binary.
  file(REMOVE "${executable}" "${output}")
  message(FATAL_ERROR "syncmap: cannot list the test cases of ${executable}: ${why}")
endfunction()

execute_process(
  COMMAND "${executable}" ${list_arguments}
  WORKING_DIRECTORY "${working_directory}"
  OUTPUT_VARIABLE listing
  ERROR_VARIABLE errors
  RESULT_VARIABLE result)
# ThreadSanitizer cannot map its shadow memory on kernels with high ASLR entropy (vm.mmap_rnd_bits
# above 28); running with randomization off works around it. scripts/test.sh does the same.
if(errors MATCHES "unexpected memory mapping")
  find_program(setarch_program setarch)
  execute_process(COMMAND uname -m OUTPUT_VARIABLE machine OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(setarch_program AND machine)
    execute_process(
      COMMAND "${setarch_program}" "${machine}" -R "${executable}" ${list_arguments}
      WORKING_DIRECTORY "${working_directory}"
      OUTPUT_VARIABLE listing
      ERROR_VARIABLE errors
      RESULT_VARIABLE result)
  endif()
endif()

# v2 exits with the number of tests listed (modulo 256), v3 with 0; a crash gives a message.
if(NOT result MATCHES "^[0-9]+$")
  fail_listing("it did not exit normally (${result}):\n${errors}")
elseif(catch_major EQUAL 3 AND NOT result EQUAL 0)
  fail_listing("it exited with ${result}:\n${errors}")
elseif(NOT errors STREQUAL "")
  fail_listing("it wrote to stderr:\n${errors}")
endif()

# A bracket argument that can hold `value` verbatim.
function(bracket_quote out value)
  set(equals "=")
  while(value MATCHES "]${equals}]")
    string(APPEND equals "=")
  endwhile()
  set(${out} "[${equals}[${value}]${equals}]" PARENT_SCOPE)
endfunction()

string(REPLACE "\r" "" listing "${listing}")
string(REPLACE ";" "\\;" listing "${listing}")
string(REPLACE "\n" ";" names "${listing}")
set(script "")
set(count 0)
foreach(name IN LISTS names)
  if(name STREQUAL "")
    continue()
  endif()
  # Catch2 v2 prints a name that starts with '#' in double quotes.
  if(name MATCHES "^\"(#.*)\"$")
    set(name "${CMAKE_MATCH_1}")
  endif()
  # The test spec that selects exactly this test: backslash-escape what Catch2 would parse
  # (separators, tags, quotes, exclusion, the escape character itself).
  set(spec "${name}")
  foreach(special IN ITEMS "\\" "," "[" "]" "\"" "~")
    string(REPLACE "${special}" "\\${special}" spec "${spec}")
  endforeach()
  bracket_quote(quoted_name "${group}: ${name}")
  bracket_quote(quoted_spec "${spec}")
  bracket_quote(quoted_executable "${executable}")
  bracket_quote(quoted_directory "${working_directory}")
  # --warn NoTests: if the spec matched nothing, fail instead of passing having run nothing.
  string(APPEND script "add_test(${quoted_name} ${quoted_executable} ${quoted_spec} --warn NoTests)\n"
         "set_tests_properties(${quoted_name} PROPERTIES WORKING_DIRECTORY ${quoted_directory}"
         " TIMEOUT ${timeout} LABELS ${group})\n")
  math(EXPR count "${count} + 1")
endforeach()
if(count EQUAL 0)
  fail_listing("it lists no test case")
endif()
file(WRITE "${output}" "${script}")
