// sharded_map whole-map operations: for_each, snapshot, size/empty, erase_if(pred), ==,
// copy/move/swap.
#include <cstdint>

#include "sharded_maps.hpp"
#include "support/api_checks.hpp"
#include "support/catch.hpp"

using namespace syncmap_test;

TEMPLATE_LIST_TEST_CASE("for_each visits each entry once and stops on false", "[whole_map]",
                        sharded_map_families) {
  check_for_each<TestType>();
}

TEMPLATE_LIST_TEST_CASE("snapshot is an independent copy of the contents", "[whole_map]",
                        sharded_map_families) {
  check_snapshot<TestType>();
}

TEMPLATE_LIST_TEST_CASE("size and empty follow inserts and erases", "[whole_map]",
                        sharded_map_families) {
  check_size_and_empty<TestType>();
}

TEMPLATE_LIST_TEST_CASE("erase_if(pred) removes exactly the matching entries", "[whole_map]",
                        sharded_map_families) {
  check_erase_if_all<TestType>();
}

TEMPLATE_LIST_TEST_CASE("operator== compares contents, not layout", "[whole_map]",
                        sharded_map_families) {
  check_equality<TestType>();
}

TEMPLATE_LIST_TEST_CASE("maps with different shard counts compare by contents", "[whole_map]",
                        sharded_map_families) {
  using map_type = typename TestType::template map<std::uint64_t, std::uint64_t>;
  map_type one(1);
  map_type many(256);
  for (std::uint64_t k = 0; k < 1000; ++k) {
    one.store(k, k);
    many.store(k, k);
  }
  CHECK(one == many);
  CHECK(many == one);
  many.store(5, 6);
  CHECK_FALSE(one == many);
}

TEMPLATE_LIST_TEST_CASE("copy, move and swap keep contents and independence", "[whole_map]",
                        sharded_map_families) {
  check_copy_move_swap<TestType>();
}

TEMPLATE_LIST_TEST_CASE("a moved-from sharded_map is empty and usable", "[whole_map]",
                        sharded_map_families) {
  using map_type = typename TestType::template map<std::uint64_t, std::uint64_t>;
  map_type source(8);
  for (std::uint64_t k = 0; k < 100; ++k)
    source.store(k, k);
  map_type target(std::move(source));
  CHECK(target.size() == 100);
  CHECK(target.shard_count() == 8);
  CHECK(source.empty());  // documented in sharded_map.hpp: left empty and usable
  CHECK(source.store(1, 1));
  CHECK(source.size() == 1);
}

TEMPLATE_LIST_TEST_CASE("for_each and snapshot agree on a map with many shards", "[whole_map]",
                        sharded_map_families) {
  using map_type = typename TestType::template map<std::uint64_t, std::uint64_t>;
  map_type map(4096);
  for (std::uint64_t k = 0; k < 3000; ++k)
    map.store(k, k * 7);
  std::size_t sum = 0;
  CHECK(map.for_each([&](const std::uint64_t& key, const std::uint64_t& value) {
    CHECK(value == key * 7);
    sum += key;
  }) == 3000);
  CHECK(sum == 3000u * 2999u / 2);
  CHECK(map.snapshot().size() == 3000);
  CHECK(ordered_contents(map).size() == 3000);
}
