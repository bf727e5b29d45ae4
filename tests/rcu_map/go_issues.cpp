// Regression tests from Go's sync.Map (the design rcu_map follows), named after the issue
// that found each bug there. The scenarios are Go's; the checks are C++'s: live-value counts
// stand in for finalizers, a counting allocator for testing.AllocsPerRun.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>

#include "rcu_maps.hpp"
#include "support/allocators.hpp"
#include "support/catch.hpp"
#include "support/counted.hpp"

using namespace syncmap_test;

namespace {

using counted_alloc = counting_allocator<std::pair<const std::uint64_t, counted>>;
using counted_map = syncmap::rcu_map<std::uint64_t, counted, std::hash<std::uint64_t>,
                                     std::equal_to<std::uint64_t>, counted_alloc>;

// Far more iterations than any healthy run needs; reaching it means "never".
constexpr std::size_t never = 1000000;

}  // namespace

// golang/go#40999: deleted keys were never garbage collected. Go's test stores and deletes
// fresh keys (after one entry that keeps the dirty table larger than the miss count) until
// one deleted value has been finalized; it hangs if deleted values stay referenced.
TEST_CASE("golang/go#40999: values of deleted fresh keys are freed", "[go][reclaim]") {
  const instance_check instances;
  {
    syncmap::rcu_map<std::uint64_t, counted> map;
    map.store(0, 0);  // the bias entry
    std::size_t iterations = 0;
    // Live values: the bias entry plus every deleted value not yet freed. Stop once fewer
    // than all of them are alive.
    while (instances.leaked() >= static_cast<long long>(iterations + 1) && iterations < never) {
      const std::uint64_t key = 1 + iterations;
      map.store(key, key);
      map.erase(key);
      ++iterations;
    }
    INFO("iterations: " << iterations << ", pending " << map.pending_reclamation());
    REQUIRE(iterations < never);
    CHECK(iterations > 0);
  }
  CHECK(instances.leaked() == 0);
}

// The same, when no new key arrives after the delete: the only traffic is lookups, which
// miss (the deleted key was only in the dirty table) and so drive the miss counter towards
// a promotion. A few bias entries keep the dirty table larger than the miss count for a
// while, so there are several misses before the promotion, as in Go's test. The deleted value
// must still be freed while the map lives, not kept until the next write or the destructor.
TEST_CASE("golang/go#40999: a deleted value is freed when only lookups follow", "[go][reclaim]") {
  const instance_check instances;
  {
    syncmap::rcu_map<std::uint64_t, counted> map;
    for (std::uint64_t k = 0; k < 8; ++k)
      map.store(k, k);  // bias entries (dirty only)
    map.store(100, 100);
    REQUIRE(map.erase(100) == 1);  // its value box is now garbage
    const long long live_values = 8;
    std::size_t lookups = 0;
    while (instances.leaked() > live_values && lookups < never) {
      (void)map.load(100);                 // a miss while the dirty table is ahead
      (void)map.load(lookups % 8);         // a hit
      (void)map.contains(1000 + lookups);  // absent
      ++lookups;
    }
    INFO("after " << lookups << " rounds of lookups: live values " << instances.leaked()
                  << ", pending_reclamation() " << map.pending_reclamation());
    REQUIRE(instances.leaked() == live_values);
    CHECK(map.size() == 8);
  }
  CHECK(instances.leaked() == 0);
}

// Go's #40999 scenario once more, for the keys rather than the values: Go keeps a deleted key
// in its dirty map until the next promotion, but here each fresh key adds one dirty entry and
// one miss (its erase), so the misses never catch up with the dirty table's size and nothing
// promotes it. rcu_map takes deleted entries out of the dirty table before growing it, so the
// live keys stay near the table's live size; without that, all 20000 erased keys stay alive.
// Both erase and compare_and_delete run: Go treats them differently (LoadAndDelete removes the
// key from m.dirty, CompareAndDelete leaves it there), rcu_map the same way for both.
TEST_CASE("keys stored and erased again between promotions do not pile up in the dirty table",
          "[go][reclaim]") {
  const bool conditional = GENERATE(false, true);
  INFO((conditional ? "compare_and_delete" : "erase"));
  const instance_check instances;
  {
    syncmap::rcu_map<counted, std::uint64_t> map;
    map.store(counted(0), 0);  // the bias entry, as in Go's test
    constexpr std::uint64_t fresh_keys = 20000;
    // Every entry holds one key, in the dirty table or a read table (promoted from a dirty
    // table; a replaced one holds its entries until it is reclaimed, a collection or two
    // later). Measured: at most 217 alive at once with collections every 1024 retires (49
    // with 256); without the purge, all of them.
    constexpr long long bound = 512;
    long long most_keys_alive = 0;
    for (std::uint64_t k = 1; k <= fresh_keys; ++k) {
      map.store(counted(k), k);
      if (conditional) {
        REQUIRE(map.compare_and_delete(counted(k), k));
      } else {
        REQUIRE(map.erase(counted(k)) == 1);
      }
      if (instances.leaked() > most_keys_alive) most_keys_alive = instances.leaked();
    }
    INFO("most keys alive at once: " << most_keys_alive);
    CHECK(most_keys_alive <= bound);
    CHECK(map.size() == 1);
    CHECK(map.load(counted(0)) == std::optional<std::uint64_t>(0));
  }
  CHECK(instances.leaked() == 0);
}

// golang/go#46399: Range whose callback calls Range, Load, LoadOrStore, Store and
// LoadAndDelete on the same map, and the outer callback deletes the key it was given; in the
// end the map is empty. rcu_map's for_each holds no lock while its callback runs, so all of
// this must work (and LoadOrStore of a new key makes the nested for_each promote while the
// outer one still walks the old read table).
TEST_CASE("golang/go#46399: for_each callbacks may call every operation on the same map",
          "[go][reentrancy]") {
  const instance_check instances;
  {
    syncmap::rcu_map<std::uint64_t, std::string> map;
    const std::string words[] = {"hello", "world", "Go", "a value long enough for the heap"};
    for (std::uint64_t k = 0; k < 4; ++k)
      map.store(k, words[k]);
    constexpr std::uint64_t extra = 42;
    std::size_t outer_calls = 0;
    const std::size_t outer = map.for_each([&](const std::uint64_t& key, const std::string& value) {
      ++outer_calls;
      CHECK(value == words[key]);
      map.for_each([&](const std::uint64_t& inner_key, const std::string& inner_value) {
        // No concurrent delete: the key offered must load with the value offered.
        CHECK(map.load(inner_key) == inner_value);
        // 42 was never kept in the map: this stores it.
        const auto [seen, loaded] = map.load_or_store(extra, "dummy");
        CHECK_FALSE(loaded);
        CHECK(seen == "dummy");
        map.store(extra, "rcu_map");
        CHECK(map.load_and_delete(extra) == std::optional<std::string>("rcu_map"));
      });
      CHECK(map.erase(key) == 1);  // remove the key on the fly
    });
    CHECK(outer == 4);
    CHECK(outer_calls == 4);
    CHECK(map.for_each([](const std::uint64_t&, const std::string&) {}) == 0);
    CHECK(map.empty());
    CHECK(map.snapshot().empty());
    CHECK_FALSE(map.contains(extra));
  }
  CHECK(instances.leaked() == 0);
}

// golang/go#51972: CompareAndSwap on a missing key must fail (and not insert), whatever
// internal state the absence is in: never stored, deleted while in the read table (entry
// nil), deleted and expunged by a rebuild, deleted while only in the dirty table.
TEST_CASE("golang/go#51972: compare_and_swap on a missing key fails and inserts nothing",
          "[go][update]") {
  const instance_check instances;
  {
    syncmap::rcu_map<std::uint64_t, counted> map;
    const auto require_absent = [&](std::uint64_t key, std::size_t size) {
      INFO("key " << key);
      CHECK_FALSE(map.compare_and_swap(key, 0, 1));
      CHECK_FALSE(map.compare_and_swap(key, counted(key), counted(key + 1)));
      CHECK_FALSE(map.contains(key));
      CHECK(map.size() == size);
      CHECK(map.for_each([](const std::uint64_t&, const counted&) {}) == size);
    };
    require_absent(1, 0);  // an empty map

    for (std::uint64_t k = 10; k < 20; ++k)
      map.store(k, k);
    (void)map.snapshot();   // promote: keys 10..19 are in the read table
    require_absent(1, 10);  // never stored

    map.erase(10);  // read-table entry set to nil
    require_absent(10, 9);

    map.erase(11);
    map.store(30, 30);  // a new key: the rebuild expunges 10 and 11
    require_absent(11, 9);
    require_absent(10, 9);

    map.store(40, 40);  // only in the dirty table
    map.erase(40);
    require_absent(40, 9);

    CHECK(map.compare_and_swap(12, 12, 120));  // a present key still swaps
    CHECK(map.load(12) == counted(120));
  }
  CHECK(instances.leaked() == 0);
}

// golang/go#62404: Range on an empty map allocated. for_each on an empty rcu_map allocates
// nothing through the map's allocator, whether the map was never used or was cleared; and
// once a read table is current, for_each allocates nothing either.
TEST_CASE("golang/go#62404: for_each on an empty map allocates nothing", "[go][allocator]") {
  allocation_stats stats(60);
  {
    counted_map map{counted_alloc(stats)};
    const auto no_op = [](const std::uint64_t&, const counted&) {};
    CHECK(map.for_each(no_op) == 0);
    INFO(stats.describe());
    CHECK(stats.allocations() == 0);  // API.md: an empty rcu_map holds nothing

    for (std::uint64_t k = 0; k < 100; ++k)
      map.store(k, k);
    map.clear();
    const std::uint64_t after_clear = stats.allocations();
    CHECK(map.for_each(no_op) == 0);
    CHECK(map.for_each([](const std::uint64_t&, const counted&) { return false; }) == 0);
    CHECK(stats.allocations() == after_clear);

    // Not empty, but steady: the first for_each may promote (one table header); the next
    // ones find the read table current and allocate nothing.
    for (std::uint64_t k = 0; k < 100; ++k)
      map.store(k, k);
    CHECK(map.for_each(no_op) == 100);
    const std::uint64_t promoted = stats.allocations();
    CHECK(map.for_each(no_op) == 100);
    CHECK(map.for_each(no_op) == 100);
    CHECK(stats.allocations() == promoted);

    // Emptied by deletes instead of clear(): also nothing once promoted.
    for (std::uint64_t k = 0; k < 100; ++k)
      map.erase(k);
    CHECK(map.for_each(no_op) == 0);
    const std::uint64_t emptied = stats.allocations();
    CHECK(map.for_each(no_op) == 0);
    CHECK(stats.allocations() == emptied);
  }
  CHECK(stats.balanced());
}
