// sharded_map read-modify-write: update, upsert, compare_and_swap.
#include <cstdint>

#include "sharded_maps.hpp"
#include "support/api_checks.hpp"
#include "support/catch.hpp"
#include "support/counted.hpp"

using namespace syncmap_test;

TEMPLATE_LIST_TEST_CASE("update modifies a present value and never inserts", "[update]",
                        sharded_map_families) {
  check_update<TestType>();
}

TEMPLATE_LIST_TEST_CASE("upsert constructs when absent, else applies the callback", "[update]",
                        sharded_map_families) {
  check_upsert<TestType>();
}

TEMPLATE_LIST_TEST_CASE("compare_and_swap swaps only an equal value, never inserts", "[update]",
                        sharded_map_families) {
  check_compare_and_swap<TestType>();
}

// sharded_map runs update/upsert callbacks exactly once (under the exclusive shard lock),
// unlike rcu_map, whose update may retry.
TEMPLATE_LIST_TEST_CASE("update and upsert run their callback exactly once", "[update]",
                        sharded_map_families) {
  typename TestType::template map<std::uint64_t, std::uint64_t> map;
  map.store(1, 1);
  int calls = 0;
  CHECK(map.update(1, [&](std::uint64_t& v) {
    ++calls;
    v += 1;
  }));
  CHECK(calls == 1);
  CHECK_FALSE(map.upsert(1, [&](std::uint64_t& v) {
    ++calls;
    v += 1;
  }));
  CHECK(calls == 2);
  CHECK(map.load(1) == 3u);
}

// Documented in sharded_map.hpp: a noexcept callback mutates the stored value in place; one
// that may throw runs on a copy (for the strong guarantee).
TEMPLATE_LIST_TEST_CASE("a noexcept update callback mutates in place without a copy", "[update]",
                        sharded_map_families) {
  typename TestType::template map<std::uint64_t, counted> map;
  map.store(1, 1);
  const std::uint64_t before = counted::constructed();
  CHECK(map.update(1, [](counted& v) noexcept { v = 2; }));
  CHECK(map.upsert(1, [](counted& v) noexcept { v = 3; }) == false);
  // The callbacks' own `v = n` builds one temporary each; nothing else may be constructed.
  CHECK(counted::constructed() - before == 2);
  CHECK(map.load(1) == counted(3));
}
