// sharded_map erasure: erase, load_and_delete, compare_and_delete, erase_if(key), clear.
#include <cstdint>

#include "sharded_maps.hpp"
#include "support/api_checks.hpp"
#include "support/catch.hpp"
#include "support/counted.hpp"

using namespace syncmap_test;

TEMPLATE_LIST_TEST_CASE("erase removes a present key and returns 1, else 0", "[erase]",
                        sharded_map_families) {
  check_erase<TestType>();
}

TEMPLATE_LIST_TEST_CASE("load_and_delete returns what it removed", "[erase]",
                        sharded_map_families) {
  check_load_and_delete<TestType>();
}

TEMPLATE_LIST_TEST_CASE("compare_and_delete removes only an equal value", "[erase]",
                        sharded_map_families) {
  check_compare_and_delete<TestType>();
}

TEMPLATE_LIST_TEST_CASE("erase_if(key, pred) removes only when pred holds", "[erase]",
                        sharded_map_families) {
  check_erase_if_key<TestType>();
}

TEMPLATE_LIST_TEST_CASE("clear empties the map and it stays usable", "[erase]",
                        sharded_map_families) {
  check_clear_then_reuse<TestType>();
}

// Go issue 40999 in sharded_map terms: an erased value is destroyed by the erase itself,
// not kept alive until some later operation.
TEMPLATE_LIST_TEST_CASE("erased values are destroyed at once", "[erase]", sharded_map_families) {
  typename TestType::template map<std::uint64_t, counted> map(4);
  for (std::uint64_t k = 0; k < 100; ++k)
    map.store(k, k);
  const instance_check instances;
  map.erase(0);
  CHECK(instances.leaked() == -1);
  (void)map.load_and_delete(1);
  CHECK(instances.leaked() == -2);
  map.compare_and_delete(2, 2);
  CHECK(instances.leaked() == -3);
  map.erase_if(3, [](const counted&) { return true; });
  CHECK(instances.leaked() == -4);
  map.erase_if([](const std::uint64_t& key, const counted&) { return key < 10; });
  CHECK(instances.leaked() == -10);
  map.clear();
  CHECK(instances.leaked() == -100);
}

TEMPLATE_LIST_TEST_CASE("erase and re-insert cycles in one shard keep lookups exact", "[erase]",
                        sharded_map_families) {
  // Deleting leaves marks in an open-addressing table; many cycles must neither lose keys
  // nor fill the table with them.
  typename TestType::template map<std::uint64_t, std::uint64_t> map(1);
  for (std::uint64_t round = 0; round < 50; ++round) {
    for (std::uint64_t k = 0; k < 1000; ++k)
      REQUIRE(map.store(round * 1000 + k, k));
    for (std::uint64_t k = 0; k < 1000; k += 2)
      REQUIRE(map.erase(round * 1000 + k) == 1);
    for (std::uint64_t k = 1; k < 1000; k += 2)
      REQUIRE(map.erase(round * 1000 + k) == 1);
    REQUIRE(map.empty());
  }
  for (std::uint64_t k = 0; k < 1000; ++k)
    REQUIRE_FALSE(map.contains(k));
}
