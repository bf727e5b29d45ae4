// syncmap tests: single-threaded checks of every API.md operation's contract.
// SPDX-License-Identifier: MIT
//
// One function per contract, generic over a map *family*: a type with a member alias
// template `map<K, T, Hash, KeyEqual, Allocator>` (tests/sharded_map/sharded_maps.hpp
// defines two for sharded_map; rcu_map's tests define their own). Each function builds
// the maps it needs, default-constructed, and checks results with Catch2, so a map's test
// file calls it from one TEMPLATE_LIST_TEST_CASE line.
//
// Only what API.md promises for *both* maps is checked here: nothing about shards, what
// reserve sizes, or how often an update callback runs (rcu_map may run it more than once), and no
// check of when an erased value is destroyed (rcu_map defers it). Map-specific promises go in that
// map's own test files.
#ifndef SYNCMAP_TESTS_SUPPORT_API_CHECKS_HPP
#define SYNCMAP_TESTS_SUPPORT_API_CHECKS_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "catch.hpp"
#include "counted.hpp"

namespace syncmap_test {

// The contents of a map as an ordered std::map, for whole-contents comparisons (keys must
// be ordered: integers and strings here).
template <class Map>
std::map<typename Map::key_type, typename Map::mapped_type> ordered_contents(const Map& map) {
  std::map<typename Map::key_type, typename Map::mapped_type> contents;
  for (auto& [key, value] : map.snapshot()) {
    const bool fresh = contents.emplace(key, value).second;
    REQUIRE(fresh);  // snapshot() never lists a key twice
  }
  return contents;
}

// A value type without a default constructor: every operation must work without one
// (nothing in the API needs T()).
struct no_default_value {
  explicit no_default_value(int v) noexcept : value(v) {}
  int value;
  friend bool operator==(const no_default_value& a, const no_default_value& b) noexcept {
    return a.value == b.value;
  }
};

// ---- insertion ----

template <class Family>
void check_store() {
  typename Family::template map<std::uint64_t, counted> map;
  CHECK(map.store(1, 10));
  CHECK(map.load(1) == counted(10));
  CHECK_FALSE(map.store(1, 11));  // overwrite: not inserted
  CHECK(map.load(1) == counted(11));
  CHECK(map.size() == 1);
}

template <class Family>
void check_load_or_store() {
  typename Family::template map<std::uint64_t, counted> map;
  CHECK(map.load_or_store(1, 10) == std::make_pair(counted(10), false));
  CHECK(map.load_or_store(1, 20) == std::make_pair(counted(10), true));
  CHECK(map.load(1) == counted(10));  // the existing value stays
  CHECK(map.size() == 1);
}

template <class Family>
void check_load_or_store_with() {
  typename Family::template map<std::uint64_t, counted> map;
  int makes = 0;
  const auto make = [&makes] {
    ++makes;
    return counted(10 + makes);
  };
  CHECK(map.load_or_store_with(1, make) == std::make_pair(counted(11), false));
  CHECK(makes == 1);
  CHECK(map.load_or_store_with(1, make) == std::make_pair(counted(11), true));
  CHECK(makes == 1);  // not called for a present key
  CHECK(map.load(1) == counted(11));
}

template <class Family>
void check_try_emplace() {
  typename Family::template map<std::uint64_t, std::string> strings;
  CHECK(strings.try_emplace(1, std::size_t{3}, 'x'));  // T(args...) with several arguments
  CHECK(strings.load(1) == std::string("xxx"));
  CHECK_FALSE(strings.try_emplace(1, std::size_t{5}, 'y'));
  CHECK(strings.load(1) == std::string("xxx"));

  typename Family::template map<std::uint64_t, counted> map;
  CHECK(map.try_emplace(7, std::uint64_t{70}));
  const std::uint64_t constructed_before = counted::constructed();
  CHECK_FALSE(map.try_emplace(7, std::uint64_t{71}));
  CHECK(counted::constructed() == constructed_before);  // nothing built for a present key
  CHECK(map.load(7) == counted(70));
  CHECK(map.try_emplace(8));  // no arguments: T()
  CHECK(map.load(8) == counted(0));
}

template <class Family>
void check_exchange() {
  typename Family::template map<std::uint64_t, counted> map;
  CHECK(map.exchange(1, 10) == std::nullopt);
  CHECK(map.load(1) == counted(10));
  CHECK(map.exchange(1, 20) == counted(10));
  CHECK(map.load(1) == counted(20));
  CHECK(map.size() == 1);
}

template <class Family>
void check_value_without_default_constructor() {
  typename Family::template map<std::uint64_t, no_default_value> map;
  CHECK(map.store(1, no_default_value(1)));
  CHECK(map.try_emplace(2, 2));
  CHECK(map.load_or_store(3, no_default_value(3)).second == false);
  CHECK(map.load_or_store_with(4, [] { return no_default_value(4); }).second == false);
  CHECK(map.exchange(1, no_default_value(10)) == no_default_value(1));
  CHECK(map.upsert(
      5, [](no_default_value& v) { ++v.value; }, 5));
  CHECK(map.update(5, [](no_default_value& v) { ++v.value; }));
  CHECK(map.compare_and_swap(5, no_default_value(6), no_default_value(60)));
  CHECK(map.load(5) == no_default_value(60));
  CHECK(map.compare_and_delete(5, no_default_value(60)));
  CHECK(map.load_and_delete(4) == no_default_value(4));
  CHECK(map.erase_if(3, [](const no_default_value& v) { return v.value == 3; }));
  CHECK(map.erase_if([](const std::uint64_t&, const no_default_value&) { return false; }) == 0);
  CHECK(map.size() == 2);
  CHECK(map.snapshot().size() == 2);
  decltype(map) copy(map);
  CHECK(copy == map);
}

// ---- lookup ----

template <class Family>
void check_load_and_contains() {
  typename Family::template map<std::uint64_t, counted> map;
  CHECK(map.load(1) == std::nullopt);
  CHECK_FALSE(map.contains(1));
  map.store(1, 10);
  CHECK(map.load(1) == counted(10));
  CHECK(map.contains(1));
  CHECK_FALSE(map.contains(2));
  const auto& const_map = map;
  CHECK(const_map.load(1) == counted(10));
  CHECK(const_map.contains(1));
}

template <class Family>
void check_visit() {
  typename Family::template map<std::uint64_t, counted> map;
  int calls = 0;
  CHECK_FALSE(map.visit(1, [&](const counted&) { ++calls; }));
  CHECK(calls == 0);  // not called for an absent key
  map.store(1, 10);
  const auto& const_map = map;
  std::uint64_t seen = 0;
  CHECK(const_map.visit(1, [&](const auto& value) {
    static_assert(std::is_const_v<std::remove_reference_t<decltype(value)>>,
                  "visit() hands the callback a const reference");
    ++calls;
    seen = value.value();
  }));
  CHECK(calls == 1);
  CHECK(seen == 10);
}

// ---- read-modify-write ----

template <class Family>
void check_update() {
  typename Family::template map<std::uint64_t, counted> map;
  bool called = false;
  CHECK_FALSE(map.update(1, [&](counted&) { called = true; }));
  CHECK_FALSE(called);
  CHECK_FALSE(map.contains(1));  // update never inserts
  map.store(1, 10);
  CHECK(map.update(1, [](auto& value) {
    static_assert(!std::is_const_v<std::remove_reference_t<decltype(value)>>,
                  "update() hands the callback a mutable reference");
    value = counted(value.value() * 3);
  }));
  CHECK(map.load(1) == counted(30));
}

template <class Family>
void check_upsert() {
  typename Family::template map<std::uint64_t, counted> map;
  bool called = false;
  CHECK(map.upsert(
      1, [&](counted&) { called = true; }, std::uint64_t{5}));
  CHECK_FALSE(called);  // absent: constructed from the arguments, callback not run
  CHECK(map.load(1) == counted(5));
  CHECK_FALSE(map.upsert(
      1, [](counted& value) { value = counted(value.value() + 1); }, std::uint64_t{100}));
  CHECK(map.load(1) == counted(6));       // present: callback applied, arguments unused
  CHECK(map.upsert(2, [](counted&) {}));  // no arguments: T()
  CHECK(map.load(2) == counted(0));
}

template <class Family>
void check_compare_and_swap() {
  typename Family::template map<std::uint64_t, counted> map;
  // Go issue 51972: CompareAndSwap on a missing key must fail (and not insert).
  CHECK_FALSE(map.compare_and_swap(1, 0, 5));
  CHECK_FALSE(map.contains(1));
  map.store(1, 10);
  CHECK_FALSE(map.compare_and_swap(1, 11, 20));
  CHECK(map.load(1) == counted(10));
  CHECK(map.compare_and_swap(1, 10, 20));
  CHECK(map.load(1) == counted(20));
  CHECK(map.compare_and_swap(1, 20, 20));  // equal old and new: still a success
  CHECK(map.size() == 1);
}

// ---- erasure ----

template <class Family>
void check_erase() {
  typename Family::template map<std::uint64_t, counted> map;
  CHECK(map.erase(1) == 0);
  map.store(1, 10);
  map.store(2, 20);
  CHECK(map.erase(1) == 1);
  CHECK_FALSE(map.contains(1));
  CHECK(map.erase(1) == 0);
  CHECK(map.size() == 1);
  CHECK(map.load(2) == counted(20));
}

template <class Family>
void check_load_and_delete() {
  typename Family::template map<std::uint64_t, counted> map;
  CHECK(map.load_and_delete(1) == std::nullopt);
  map.store(1, 10);
  CHECK(map.load_and_delete(1) == counted(10));
  CHECK_FALSE(map.contains(1));
  CHECK(map.load_and_delete(1) == std::nullopt);
  CHECK(map.empty());
}

template <class Family>
void check_compare_and_delete() {
  typename Family::template map<std::uint64_t, counted> map;
  CHECK_FALSE(map.compare_and_delete(1, 10));
  map.store(1, 10);
  CHECK_FALSE(map.compare_and_delete(1, 11));
  CHECK(map.contains(1));
  CHECK(map.compare_and_delete(1, 10));
  CHECK_FALSE(map.contains(1));
  CHECK(map.empty());
}

template <class Family>
void check_erase_if_key() {
  typename Family::template map<std::uint64_t, counted> map;
  bool called = false;
  CHECK_FALSE(map.erase_if(1, [&](const counted&) { return called = true; }));
  CHECK_FALSE(called);  // absent: predicate not run
  map.store(1, 10);
  CHECK_FALSE(map.erase_if(1, [](const auto& value) {
    static_assert(std::is_const_v<std::remove_reference_t<decltype(value)>>,
                  "erase_if(key, pred) hands the predicate a const reference");
    return value.value() == 11;
  }));
  CHECK(map.contains(1));
  CHECK(map.erase_if(1, [](const counted& value) { return value.value() == 10; }));
  CHECK_FALSE(map.contains(1));
}

template <class Family>
void check_erase_if_all() {
  typename Family::template map<std::uint64_t, counted> map;
  CHECK(map.erase_if([](const std::uint64_t&, const counted&) { return true; }) == 0);
  for (std::uint64_t k = 0; k < 1000; ++k)
    map.store(k, k * 10);
  const std::size_t erased = map.erase_if([](const auto& key, const auto& value) {
    static_assert(std::is_const_v<std::remove_reference_t<decltype(key)>> &&
                      std::is_const_v<std::remove_reference_t<decltype(value)>>,
                  "erase_if(pred) hands the predicate const references");
    return key % 3 == 0 || value.value() == 10;  // key 1 holds 10
  });
  CHECK(erased == 334 + 1);
  CHECK(map.size() == 1000 - erased);
  for (const auto& [key, value] : map.snapshot()) {
    CHECK(key % 3 != 0);
    CHECK(key != 1);
    CHECK(value.value() == key * 10);
  }
}

template <class Family>
void check_clear_then_reuse() {
  typename Family::template map<std::uint64_t, counted> map;
  map.clear();  // on an empty map
  CHECK(map.empty());
  for (std::uint64_t round = 0; round < 3; ++round) {
    for (std::uint64_t k = 0; k < 2000; ++k)
      CHECK(map.store(k, k + round));
    CHECK(map.size() == 2000);
    map.clear();
    CHECK(map.empty());
    CHECK(map.size() == 0);
    CHECK(map.snapshot().empty());
    CHECK_FALSE(map.contains(0));
    CHECK(map.for_each([](const std::uint64_t&, const counted&) {}) == 0);
  }
  CHECK(map.store(5, 5));
  CHECK(map.load(5) == counted(5));
}

// ---- whole map ----

template <class Family>
void check_for_each() {
  typename Family::template map<std::uint64_t, counted> map;
  CHECK(map.for_each([](const std::uint64_t&, const counted&) {}) == 0);
  CHECK(map.for_each([](const std::uint64_t&, const counted&) { return false; }) == 0);
  for (std::uint64_t k = 0; k < 500; ++k)
    map.store(k, k + 1);

  std::vector<std::uint64_t> seen;
  const auto& const_map = map;
  CHECK(const_map.for_each([&](const auto& key, const auto& value) {
    static_assert(std::is_const_v<std::remove_reference_t<decltype(key)>> &&
                      std::is_const_v<std::remove_reference_t<decltype(value)>>,
                  "for_each hands the callback const references");
    CHECK(value.value() == key + 1);
    seen.push_back(key);
  }) == 500);
  std::sort(seen.begin(), seen.end());
  CHECK(std::adjacent_find(seen.begin(), seen.end()) == seen.end());  // each once
  CHECK(seen.size() == 500);

  // A bool result stops early on false; the call that returned false is counted.
  CHECK(map.for_each([](const std::uint64_t&, const counted&) { return false; }) == 1);
  CHECK(map.for_each([](const std::uint64_t&, const counted&) { return true; }) == 500);
  std::size_t calls = 0;
  CHECK(map.for_each([&](const std::uint64_t&, const counted&) { return ++calls < 123; }) == 123);
  CHECK(calls == 123);
}

template <class Family>
void check_snapshot() {
  typename Family::template map<std::uint64_t, counted> map;
  CHECK(map.snapshot().empty());
  for (std::uint64_t k = 0; k < 300; ++k)
    map.store(k, k * 2);
  const std::vector<std::pair<std::uint64_t, counted>> snapshot = map.snapshot();
  CHECK(snapshot.size() == 300);
  const auto contents = ordered_contents(map);
  CHECK(contents.size() == 300);
  for (const auto& [key, value] : contents)
    CHECK(value.value() == key * 2);
  map.clear();  // the snapshot is a copy: unaffected
  CHECK(snapshot.size() == 300);
  for (const auto& [key, value] : snapshot)
    CHECK(value.value() == key * 2);
}

template <class Family>
void check_size_and_empty() {
  typename Family::template map<std::uint64_t, counted> map;
  CHECK(map.empty());
  CHECK(map.size() == 0);
  for (std::uint64_t k = 0; k < 100; ++k) {
    map.store(k, k);
    CHECK(map.size() == k + 1);
  }
  map.store(5, 0);  // overwrite: same size
  CHECK(map.size() == 100);
  CHECK_FALSE(map.empty());
  for (std::uint64_t k = 0; k < 100; ++k) {
    map.erase(k);
    CHECK(map.size() == 99 - k);
  }
  CHECK(map.empty());
}

template <class Family>
void check_equality() {
  using map_type = typename Family::template map<std::uint64_t, counted>;
  map_type a;
  map_type b;
  CHECK(a == b);
  CHECK(a == a);
  for (std::uint64_t k = 0; k < 100; ++k)
    a.store(k, k);
  for (std::uint64_t k = 100; k-- > 0;)
    b.store(k, k);  // other insertion order
  CHECK(a == b);
  CHECK(b == a);
  b.store(50, 51);  // same keys, one value differs
  CHECK_FALSE(a == b);
  CHECK_FALSE(b == a);
  b.store(50, 50);
  b.store(100, 100);  // one extra key
  CHECK_FALSE(a == b);
  CHECK_FALSE(b == a);
  b.erase(100);
  b.erase(0);
  b.store(1000, 0);  // same size, different keys
  CHECK_FALSE(a == b);
  CHECK_FALSE(b == a);
}

template <class Family>
void check_copy_move_swap() {
  using map_type = typename Family::template map<std::uint64_t, counted>;
  const instance_check instances;
  {
    map_type original;
    for (std::uint64_t k = 0; k < 200; ++k)
      original.store(k, k);
    const auto contents = ordered_contents(original);

    map_type copy(original);
    CHECK(copy == original);
    copy.store(0, 1000);  // independent
    CHECK(original.load(0) == counted(0));

    map_type assigned;
    assigned.store(999, 999);
    assigned = original;
    CHECK(ordered_contents(assigned) == contents);
    const map_type& same = assigned;
    assigned = same;  // self-assignment keeps the contents
    CHECK(ordered_contents(assigned) == contents);

    map_type moved(std::move(copy));
    CHECK(moved.load(0) == counted(1000));
    CHECK(moved.size() == 200);
    copy.store(1, 1);  // a moved-from map is still usable
    CHECK(copy.load(1) == counted(1));

    map_type move_assigned;
    move_assigned.store(999, 999);
    move_assigned = std::move(moved);
    CHECK(move_assigned.size() == 200);
    CHECK_FALSE(move_assigned.contains(999));
    moved.clear();  // usable after being moved from
    CHECK(moved.empty());

    map_type other;
    other.store(7, 7);
    other.swap(assigned);
    CHECK(ordered_contents(other) == contents);
    CHECK(assigned.size() == 1);
    CHECK(assigned.load(7) == counted(7));
    using std::swap;
    swap(other, assigned);  // the free swap, found by ADL
    CHECK(ordered_contents(assigned) == contents);
    CHECK(other.size() == 1);
  }
  CHECK(instances.leaked() == 0);
}

// API.md, "Bad input": reserve beyond max_size() throws std::length_error, leaving the map as
// it was; reserve(0) does nothing.
template <class Family>
void check_reserve_beyond_max_size() {
  typename Family::template map<std::uint64_t, std::uint64_t> map;
  map.store(1, 1);
  CHECK(map.max_size() > 0);
  if (map.max_size() < std::numeric_limits<std::size_t>::max()) {
    CHECK_THROWS_AS(map.reserve(map.max_size() + 1), std::length_error);
  }
  CHECK_THROWS_AS(map.reserve(std::numeric_limits<std::size_t>::max()), std::length_error);
  CHECK(map.size() == 1);
  CHECK(map.load(1) == 1u);
  map.reserve(0);
  CHECK(map.store(2, 2));
  CHECK(map.load(2) == 2u);
}

template <class Family>
void check_list_and_range_construction() {
  using map_type = typename Family::template map<std::uint64_t, counted>;
  const map_type from_list{{1, 10}, {2, 20}, {3, 30}};
  CHECK(from_list.size() == 3);
  CHECK(from_list.load(2) == counted(20));

  std::vector<std::pair<std::uint64_t, counted>> pairs;
  for (std::uint64_t k = 0; k < 100; ++k)
    pairs.emplace_back(k, k * k);
  const map_type from_range(pairs.begin(), pairs.end());
  CHECK(from_range.size() == 100);
  for (const auto& [key, value] : pairs)
    CHECK(from_range.load(key) == value);

  const auto snapshot = from_range.snapshot();
  const map_type from_snapshot(snapshot.begin(), snapshot.end());
  CHECK(from_snapshot == from_range);

  const map_type from_empty(pairs.end(), pairs.end());
  CHECK(from_empty.empty());

  // Duplicate keys: one entry per key.
  const map_type with_duplicates{{1, 10}, {1, 11}, {2, 20}};
  CHECK(with_duplicates.size() == 2);
  CHECK(with_duplicates.contains(1));
}

}  // namespace syncmap_test

#endif  // SYNCMAP_TESTS_SUPPORT_API_CHECKS_HPP
