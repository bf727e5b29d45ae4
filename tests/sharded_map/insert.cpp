// sharded_map insertion: store, load_or_store, load_or_store_with, try_emplace, exchange.
#include <cstdint>

#include "sharded_maps.hpp"
#include "support/api_checks.hpp"
#include "support/catch.hpp"

using namespace syncmap_test;

TEMPLATE_LIST_TEST_CASE("store inserts or overwrites and says which", "[insert]",
                        sharded_map_families) {
  check_store<TestType>();
}

TEMPLATE_LIST_TEST_CASE("load_or_store keeps the existing value and says it loaded", "[insert]",
                        sharded_map_families) {
  check_load_or_store<TestType>();
}

TEMPLATE_LIST_TEST_CASE("load_or_store_with calls make only for an absent key", "[insert]",
                        sharded_map_families) {
  check_load_or_store_with<TestType>();
}

TEMPLATE_LIST_TEST_CASE("try_emplace constructs in place only when absent", "[insert]",
                        sharded_map_families) {
  check_try_emplace<TestType>();
}

TEMPLATE_LIST_TEST_CASE("exchange stores and returns the previous value", "[insert]",
                        sharded_map_families) {
  check_exchange<TestType>();
}

TEMPLATE_LIST_TEST_CASE("every operation works for a value without a default constructor",
                        "[insert]", sharded_map_families) {
  check_value_without_default_constructor<TestType>();
}

TEMPLATE_LIST_TEST_CASE("inserts into a single shard grow it as far as needed", "[insert]",
                        sharded_map_families) {
  typename TestType::template map<std::uint64_t, std::uint64_t> map(1);
  for (std::uint64_t k = 0; k < 50000; ++k)
    REQUIRE(map.store(k, k));
  REQUIRE(map.size() == 50000);
  for (std::uint64_t k = 0; k < 50000; ++k)
    REQUIRE(map.load(k) == k);
}
