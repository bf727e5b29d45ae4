# The API reference: target syncmap_docs runs Doxygen over the public headers
# (include/syncmap/*.hpp, not detail/) and writes HTML to <build dir>/docs/html.
#
# Included by the top-level CMakeLists.txt when SYNCMAP_BUILD_DOCS is ON. Without Doxygen
# there is no syncmap_docs target, only a warning that says how to get one. With
# SYNCMAP_WARNINGS_AS_ERRORS ON (scripts/check-docs.sh sets it, as the presets do for the
# compilers) any Doxygen warning, such as an undocumented public member, fails the target;
# otherwise the warnings are printed and the HTML is still written.
find_package(Doxygen)
if(NOT DOXYGEN_FOUND)
  message(WARNING "syncmap: SYNCMAP_BUILD_DOCS is ON but Doxygen was not found, so there is "
                  "no syncmap_docs target. Install it (Debian: apt-get install doxygen) or "
                  "point DOXYGEN_EXECUTABLE at it.")
  return()
endif()

set(syncmap_docs_output_dir "${PROJECT_BINARY_DIR}/docs")
# FAIL_ON_WARNINGS (Doxygen >= 1.9) reports every warning, then fails; YES stops at the first.
if(NOT SYNCMAP_WARNINGS_AS_ERRORS)
  set(syncmap_docs_warn_as_error NO)
elseif(DOXYGEN_VERSION VERSION_LESS 1.9)
  set(syncmap_docs_warn_as_error YES)
else()
  set(syncmap_docs_warn_as_error FAIL_ON_WARNINGS)
endif()
configure_file("${PROJECT_SOURCE_DIR}/docs/Doxyfile.in" "${syncmap_docs_output_dir}/Doxyfile"
               @ONLY)

# Always runs (a few seconds): a stamp would hide the warnings of an earlier failed run.
add_custom_target(
  syncmap_docs
  COMMAND Doxygen::doxygen "${syncmap_docs_output_dir}/Doxyfile"
  WORKING_DIRECTORY "${syncmap_docs_output_dir}"
  COMMENT "Generating the syncmap API reference in ${syncmap_docs_output_dir}/html"
  VERBATIM)
