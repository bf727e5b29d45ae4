# syncmap_developer_flags: what syncmap's own tests, examples and benchmarks compile with.
#
# Never linked to syncmap::syncmap, never installed or exported: a project that consumes
# syncmap gets none of these flags. They are
#   - the language standard SYNCMAP_CXX_STANDARD (17 by default; a preset builds 20), as a
#     compile feature, so a target may still ask for a newer one itself;
#   - -Wall -Wextra -Wpedantic (MSVC: /W4 /permissive-), plus -Wthread-safety on Clang, which
#     checks the SYNCMAP_GUARDED_BY / SYNCMAP_REQUIRES annotations;
#   - -Werror (/WX) only when SYNCMAP_WARNINGS_AS_ERRORS is ON, which every preset does: a new
#     compiler's new warning should fail CI, not a user's build of the tests.
add_library(syncmap_developer_flags INTERFACE)
target_compile_features(syncmap_developer_flags INTERFACE cxx_std_${SYNCMAP_CXX_STANDARD})

set(syncmap_gnu_like "$<OR:$<CXX_COMPILER_ID:GNU>,$<CXX_COMPILER_ID:Clang>,$<CXX_COMPILER_ID:AppleClang>>")
set(syncmap_clang_like "$<OR:$<CXX_COMPILER_ID:Clang>,$<CXX_COMPILER_ID:AppleClang>>")
set(syncmap_msvc "$<CXX_COMPILER_ID:MSVC>")
target_compile_options(
  syncmap_developer_flags INTERFACE "$<${syncmap_gnu_like}:-Wall;-Wextra;-Wpedantic>"
                                    "$<${syncmap_clang_like}:-Wthread-safety>"
                                    "$<${syncmap_msvc}:/W4;/permissive->")
if(SYNCMAP_WARNINGS_AS_ERRORS)
  target_compile_options(syncmap_developer_flags INTERFACE "$<${syncmap_gnu_like}:-Werror>"
                                                           "$<${syncmap_msvc}:/WX>")
endif()

# syncmap_apply_developer_flags(DIRECTORY <dir>)
# Gives every compiled target defined directly in <dir> the developer flags, for directories
# whose CMakeLists.txt another engineer owns (bench/). The LINK_LIBRARIES property is appended
# directly rather than through target_link_libraries(PRIVATE), which would clash with a
# CMakeLists.txt that uses the keyword-less signature.
function(syncmap_apply_developer_flags)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "DIRECTORY" "")
  get_property(
    targets
    DIRECTORY "${arg_DIRECTORY}"
    PROPERTY BUILDSYSTEM_TARGETS)
  foreach(target IN LISTS targets)
    get_target_property(type ${target} TYPE)
    if(type MATCHES "^(EXECUTABLE|STATIC_LIBRARY|SHARED_LIBRARY|MODULE_LIBRARY|OBJECT_LIBRARY)$")
      set_property(
        TARGET ${target}
        APPEND
        PROPERTY LINK_LIBRARIES syncmap_developer_flags)
    endif()
  endforeach()
endfunction()
