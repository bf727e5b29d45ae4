// syncmap packaging test: a program outside the project that uses syncmap the way a user
// would, through whichever route tests/packaging/run_route.cmake configured.
#include <syncmap/sharded_map.hpp>
#include <syncmap/version.hpp>

#include <cstdio>
#include <cstring>

int main() {
  syncmap::sharded_map<int, int> map;
  map.store(7, 42);
  const auto value = map.load(7);
  if (!value || *value != 42) {
    std::fprintf(stderr, "consumer: load(7) after store(7, 42) did not give 42\n");
    return 1;
  }
#if defined(SYNCMAP_CONSUMER_CMAKE_VERSION)
  // find_package route: the version CMake matched must be the headers' version.
  if (std::strcmp(SYNCMAP_CONSUMER_CMAKE_VERSION, SYNCMAP_VERSION) != 0) {
    std::fprintf(stderr, "consumer: CMake found syncmap %s but the headers say %s\n",
                 SYNCMAP_CONSUMER_CMAKE_VERSION, SYNCMAP_VERSION);
    return 1;
  }
#endif
  std::printf("syncmap %s: load(7) = %d\n", SYNCMAP_VERSION, *value);
  return 0;
}
