// syncmap tests: the one main() every test executable links, for Catch2 v3 or Debian's v2.13.
// The build compiles this file once and links it into each tests/<group> executable.
#if defined(SYNCMAP_CATCH2_V3)
#include <catch2/catch_session.hpp>
#else
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>
#endif

int main(int argc, char* argv[]) {
  return Catch::Session().run(argc, argv);
}
