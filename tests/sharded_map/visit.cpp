// sharded_map lookups: load, contains, visit.
#include <cstdint>

#include "sharded_maps.hpp"
#include "support/api_checks.hpp"
#include "support/catch.hpp"

using namespace syncmap_test;

TEMPLATE_LIST_TEST_CASE("load and contains find present keys only", "[visit]",
                        sharded_map_families) {
  check_load_and_contains<TestType>();
}

TEMPLATE_LIST_TEST_CASE("visit calls back with a const value only when present", "[visit]",
                        sharded_map_families) {
  check_visit<TestType>();
}

TEMPLATE_LIST_TEST_CASE("visitors of different maps may nest", "[visit]", sharded_map_families) {
  using map_type = typename TestType::template map<std::uint64_t, std::uint64_t>;
  map_type outer;
  map_type inner;
  outer.store(1, 10);
  inner.store(10, 100);
  std::uint64_t found = 0;
  CHECK(outer.visit(1, [&](const std::uint64_t& v) {
    CHECK(inner.visit(v, [&](const std::uint64_t& w) { found = w; }));
  }));
  CHECK(found == 100);
}
