// rcu_map::reserve: the dirty table, where new keys go, is sized once for n entries; the
// reservation outlives promotions and clear() until the map has held n entries, and then
// lapses; forward-iterator range construction sizes its tables once; reserve running while
// other threads store and load loses nothing.
//
// A counting allocator sees every allocation (the value-box cache serves std::allocator
// only), so "no rehash" reads as: each new key allocates exactly its entry and its value box.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "rcu_maps.hpp"
#include "support/allocators.hpp"
#include "support/api_checks.hpp"
#include "support/catch.hpp"
#include "support/concurrency_checks.hpp"
#include "support/stress.hpp"

using namespace syncmap_test;

namespace {

using value_type = std::pair<const std::uint64_t, std::uint64_t>;
using counted_map = syncmap::rcu_map<std::uint64_t, std::uint64_t, std::hash<std::uint64_t>,
                                     std::equal_to<std::uint64_t>, counting_allocator<value_type>>;

// What one new key costs when no table grows: its entry and its value box.
constexpr std::uint64_t allocations_per_new_key = 2;

std::uint64_t spread(std::uint64_t k) {
  return k * 7919 + 3;
}

// Stores keys [from, to) and returns the allocations they made.
std::uint64_t store_new_keys(counted_map& map, const allocation_stats& stats, std::uint64_t from,
                             std::uint64_t to) {
  const std::uint64_t before = stats.allocations();
  for (std::uint64_t k = from; k < to; ++k)
    REQUIRE(map.store(spread(k), k));
  return stats.allocations() - before;
}

}  // namespace

TEST_CASE("rcu_map reserve beyond max_size throws length_error and changes nothing", "[reserve]") {
  check_reserve_beyond_max_size<rcu_maps>();
}

TEST_CASE("after rcu_map reserve(n), n new keys allocate only their entries and values",
          "[reserve]") {
  for (const std::uint64_t n : {std::uint64_t{1}, std::uint64_t{100}, std::uint64_t{20000}}) {
    for (const bool promoted_first : {false, true}) {
      INFO("n = " << n << (promoted_first ? ", over a promoted read table" : ", empty map"));
      allocation_stats stats(3);
      {
        counted_map map{counting_allocator<value_type>(stats)};
        std::uint64_t base = 0;
        if (promoted_first) {
          base = 50;
          store_new_keys(map, stats, 0, base);
          (void)map.snapshot();  // promotes: no dirty table now
        }
        map.reserve(base + n);  // room for base + n entries in all, as std's reserve
        CHECK(store_new_keys(map, stats, base, base + n) == allocations_per_new_key * n);
        CHECK(map.size() == base + n);
        map.reserve(n / 2);  // never shrinks
        for (std::uint64_t k = 0; k < base + n; ++k)
          REQUIRE(map.load(spread(k)) == k);
      }
      INFO(stats.describe());
      CHECK(stats.balanced());
    }
  }
}

// Without the carried reservation, the dirty table rebuilt after the promotion is sized for
// the read table (n / 2 entries) and grows again on the way to n.
TEST_CASE("an rcu_map reservation outlives promotions and clear until the map has held n",
          "[reserve]") {
  constexpr std::uint64_t n = 4096;
  allocation_stats stats(4);
  {
    counted_map map{counting_allocator<value_type>(stats)};
    map.reserve(n);
    CHECK(store_new_keys(map, stats, 0, n / 2) == allocations_per_new_key * (n / 2));
    (void)map.snapshot();  // promotes; the next new key rebuilds the dirty table
    const std::uint64_t rebuild = store_new_keys(map, stats, n / 2, n / 2 + 1);
    CHECK(rebuild > allocations_per_new_key);  // the rebuilt table's storage
    CHECK(store_new_keys(map, stats, n / 2 + 1, n - 1) == allocations_per_new_key * (n / 2 - 2));

    // clear() drops the dirty table but not the reservation: the map has not held n yet.
    map.clear();
    std::uint64_t bytes_before = stats.bytes_allocated();
    store_new_keys(map, stats, 0, 1);
    const std::uint64_t reserved_rebuild_bytes = stats.bytes_allocated() - bytes_before;
    CHECK(reserved_rebuild_bytes >= n * sizeof(void*));  // a table for n entries

    // Once the map has held n entries the reservation has served: after clear() a new key
    // builds a table for what the map holds, not for n.
    CHECK(store_new_keys(map, stats, 1, n) == allocations_per_new_key * (n - 1));
    map.clear();
    bytes_before = stats.bytes_allocated();
    store_new_keys(map, stats, 0, 1);
    const std::uint64_t lapsed_rebuild_bytes = stats.bytes_allocated() - bytes_before;
    INFO("rebuild with the reservation " << reserved_rebuild_bytes << " bytes, after it lapsed "
                                         << lapsed_rebuild_bytes);
    CHECK(lapsed_rebuild_bytes * 8 < reserved_rebuild_bytes);
  }
  INFO(stats.describe());
  CHECK(stats.balanced());
}

// The allocations beyond one entry and one value box per key are the tables' storage, built
// once: the same for 100 keys as for 20000 (growing as they arrive would add a rehash per
// doubling).
TEST_CASE("rcu_map range construction from forward iterators sizes its tables once",
          "[reserve][construct]") {
  auto table_allocations = [](std::uint64_t n) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> pairs;
    for (std::uint64_t k = 0; k < n; ++k)
      pairs.emplace_back(spread(k), k);
    pairs.emplace_back(spread(0), 99);  // a duplicate: the first one wins
    allocation_stats stats(5);
    std::uint64_t tables = 0;
    {
      counted_map map(pairs.begin(), pairs.end(), {}, {}, counting_allocator<value_type>(stats));
      tables = stats.allocations() - allocations_per_new_key * n;
      CHECK(map.size() == n);
      CHECK(map.load(spread(0)) == 0u);
      CHECK(map.load(spread(n - 1)) == n - 1);
      // The construction's pre-size is not a reservation: after clear() a new key builds a
      // small table, not one for n entries.
      map.clear();
      const std::uint64_t bytes_before = stats.bytes_allocated();
      CHECK(map.store(1, 1));
      CHECK(stats.bytes_allocated() - bytes_before < n * sizeof(void*) / 8 + 4096);
    }
    INFO(stats.describe());
    CHECK(stats.balanced());
    return tables;
  };
  CHECK(table_allocations(100) == table_allocations(20000));
}

// reserve() rebuilds and grows the dirty table under the mutex while other threads store new
// keys (into that table), overwrite old ones and load both: no key may go missing or change.
// Guards reserve's use of the mutex; see docs/verification.md.
TEST_CASE("rcu_map reserve racing stores and loads loses no key", "[reserve][concurrency]") {
  constexpr std::uint64_t stable_keys = 256;
  const std::size_t rounds = scaled(10);
  for (std::size_t round = 0; round < rounds; ++round) {
    rcu_maps::map<std::uint64_t, std::uint64_t> map;
    for (std::uint64_t k = 0; k < stable_keys; ++k)
      map.store(k, k + 1);
    std::atomic<std::uint64_t> next_new_key{stable_keys};
    concurrency_detail::run_while_drivers_run(
        1,
        [&](std::size_t) {
          for (std::size_t n = 2 * stable_keys; n <= 64 * stable_keys; n *= 2) {
            (void)map.snapshot();  // promote, so that the next reserve rebuilds dirty_
            map.reserve(n);
          }
        },
        [&](std::size_t thread, std::size_t pass) {
          const std::uint64_t k = (pass * 5 + thread) % stable_keys;
          SYNCMAP_THREAD_CHECK_MSG(map.load(k) == k + 1,
                                   "key " + std::to_string(k) + " wrong during reserve");
          // relaxed: only hands out distinct keys.
          const std::uint64_t fresh = next_new_key.fetch_add(1, std::memory_order_relaxed);
          SYNCMAP_THREAD_CHECK(map.store(fresh, fresh + 1));
          SYNCMAP_THREAD_CHECK_MSG(map.load(fresh) == fresh + 1,
                                   "new key " + std::to_string(fresh) + " lost during reserve");
          SYNCMAP_THREAD_CHECK(!map.store(k, k + 1));  // an overwrite, same value
        });
    const std::uint64_t total = next_new_key.load();
    REQUIRE(map.size() == total);
    for (std::uint64_t k = 0; k < total; ++k)
      REQUIRE(map.load(k) == k + 1);
  }
}
