# syncmap_add_catch_tests(<target> GROUP <group> TIMEOUT <seconds>)
#
# Registers every TEST_CASE of the Catch2 executable <target> as its own ctest test named
# "<group>: <test case name>", labelled <group>, with a TIMEOUT so a lost wake-up fails the
# test instead of hanging CI. Works with Catch2 v3 and Debian's v2.13 (syncmap_catch_major).
#
# Like Catch2's own catch_discover_tests(), the list is taken after each link (POST_BUILD)
# and read by ctest through the directory's TEST_INCLUDE_FILES. Unlike it, listing fails
# loudly: an executable that crashes, writes to stderr (a sanitizer report at start-up), or
# lists no test case fails the build, and is deleted so the next build relinks and lists
# again. Catch2 v2.13's module instead reads any exit status >= 0 as a test count, so a test
# binary that exited early (a sanitizer's exit code, an exit() in a static initializer)
# registered zero tests: the group vanished from ctest while CI stayed green. Each test also
# runs with `--warn NoTests`, so a name the spec fails to match fails instead of passing
# having run nothing (Catch2 v2 exits 0 then).
# NOTE: listing at ctest time (gtest's DISCOVERY_MODE PRE_TEST) was considered to keep test
# binaries from running during the build; it needs the executable's path in a file written
# at configure time, which multi-config generators make awkward, and gains little here.
set(syncmap_catch_list_script "${CMAKE_CURRENT_LIST_DIR}/SyncmapCatchList.cmake")

function(syncmap_add_catch_tests target)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "GROUP;TIMEOUT" "")
  set(tests_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_tests.cmake")
  set(include_file "${CMAKE_CURRENT_BINARY_DIR}/${target}_include.cmake")
  add_custom_command(
    TARGET ${target}
    POST_BUILD
    COMMAND
      "${CMAKE_COMMAND}" -D "executable=$<TARGET_FILE:${target}>" -D
      "catch_major=${syncmap_catch_major}" -D "group=${arg_GROUP}" -D "timeout=${arg_TIMEOUT}"
      -D "working_directory=${CMAKE_CURRENT_BINARY_DIR}" -D "output=${tests_file}" -P
      "${syncmap_catch_list_script}"
    BYPRODUCTS "${tests_file}"
    COMMENT "Listing the test cases of ${target}"
    VERBATIM)
  file(
    WRITE "${include_file}"
    "if(EXISTS \"${tests_file}\")\n"
    "  include(\"${tests_file}\")\n"
    "else()\n"
    "  add_test([==[${arg_GROUP}: ${target} was not built]==] ${target}_NOT_BUILT)\n"
    "  set_tests_properties([==[${arg_GROUP}: ${target} was not built]==] PROPERTIES LABELS ${arg_GROUP})\n"
    "endif()\n")
  set_property(
    DIRECTORY
    APPEND
    PROPERTY TEST_INCLUDE_FILES "${include_file}")
endfunction()
