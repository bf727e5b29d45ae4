// rcu_map::stats() with SYNCMAP_STATS=1 (this group is compiled with it, tests/CMakeLists.txt):
// exact counts of read-table hits, misses, promotions, expunged entries and retired objects
// in single-threaded scenarios that walk the read/dirty state machine step by step.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

#include <syncmap/rcu_map.hpp>

#include "support/catch.hpp"

static_assert(SYNCMAP_STATS == 1, "tests/stats must be compiled with SYNCMAP_STATS=1");

namespace {

using map_type = syncmap::rcu_map<std::uint64_t, std::uint64_t>;

// Stores keys [0, n) (all land in the dirty table), then loads each once: n misses, the last of
// which promotes the dirty table.
void fill_and_promote(map_type& map, std::uint64_t n) {
  for (std::uint64_t k = 0; k < n; ++k)
    map.store(k, k);
  for (std::uint64_t k = 0; k < n; ++k)
    REQUIRE(map.load(k) == k);
}

}  // namespace

TEST_CASE("a fresh rcu_map reports enabled counters at zero", "[stats]") {
  const map_type map;
  const auto s = map.stats();
  CHECK(s.counters_enabled);
  CHECK(s.read_hits == 0);
  CHECK(s.read_misses == 0);
  CHECK(s.promotions == 0);
  CHECK(s.expunged == 0);
  CHECK(s.retired == 0);
  CHECK(s.pending_reclamation == 0);
}

TEST_CASE("loads of dirty-only keys count misses until the promotion", "[stats]") {
  map_type map;
  constexpr std::uint64_t n = 10;
  for (std::uint64_t k = 0; k < n; ++k)
    map.store(k, k);
  auto s = map.stats();
  CHECK(s.read_misses == 0);  // new keys go straight to the dirty table: no miss
  CHECK(s.promotions == 0);
  for (std::uint64_t k = 0; k + 1 < n; ++k)
    CHECK(map.load(k) == k);
  s = map.stats();
  CHECK(s.read_misses == n - 1);
  CHECK(s.promotions == 0);  // misses < dirty size
  CHECK(s.read_hits == 0);
  CHECK(map.load(n - 1) == n - 1);  // the n-th miss promotes
  s = map.stats();
  CHECK(s.read_misses == n);
  CHECK(s.promotions == 1);
  CHECK(s.retired == 0);  // there was no read table to replace
}

TEST_CASE("stores and exchanges of a dirty-only key count misses and promote it", "[stats]") {
  // Go's Store and Swap count no miss, so a key written again and again but never loaded
  // stays in its dirty map and every write takes the lock; ours promote it like lookups do.
  map_type map;
  constexpr std::uint64_t n = 4;
  for (std::uint64_t k = 0; k < n; ++k)
    map.store(k, k);
  CHECK(map.stats().read_misses == 0);  // new keys: no miss
  for (std::uint64_t i = 0; i + 1 < n; ++i)
    CHECK_FALSE(map.store(0, 100 + i));  // overwrites of a dirty-only key
  auto s = map.stats();
  CHECK(s.read_misses == n - 1);
  CHECK(s.promotions == 0);                                      // misses < dirty size
  CHECK(map.exchange(1, 7) == std::optional<std::uint64_t>(1));  // the n-th miss promotes
  s = map.stats();
  CHECK(s.read_misses == n);
  CHECK(s.promotions == 1);
  // Promoted with the values just written: later loads hit the read table.
  CHECK(map.load(0) == 100 + n - 2);
  CHECK(map.load(1) == 7);
  CHECK(map.stats().read_hits == 2);
  // Overwrites of keys in the read table take the lock-free path: no miss.
  CHECK_FALSE(map.store(2, 9));
  CHECK(map.stats().read_misses == n);
}

TEST_CASE("loads of promoted keys count read-table hits", "[stats]") {
  map_type map;
  fill_and_promote(map, 10);
  const auto before = map.stats();
  constexpr std::uint64_t loads = 1000;
  for (std::uint64_t i = 0; i < loads; ++i)
    CHECK(map.load(i % 10) == i % 10);
  CHECK(map.contains(3));
  CHECK(map.visit(4, [](const std::uint64_t&) {}));
  const auto after = map.stats();
  CHECK(after.read_hits - before.read_hits == loads + 2);
  CHECK(after.read_misses == before.read_misses);
  CHECK(after.promotions == before.promotions);
  // An absent key while the read table is complete (not amended) is neither hit nor miss.
  CHECK_FALSE(map.load(12345).has_value());
  CHECK(map.stats().read_hits == after.read_hits);
  CHECK(map.stats().read_misses == after.read_misses);
}

TEST_CASE("misses of keys never added take no lock while other new keys wait in the dirty table",
          "[stats]") {
  // Go sends every miss to the mutex while any key is dirty-only (amended), which is what its
  // AdversarialAlloc and AdversarialDelete benchmarks provoke; the read table's filter of new
  // keys (rcu_core.hpp [F1]) sends only misses whose hash bucket a new key shares.
  map_type map;
  constexpr std::uint64_t settled = 1000;
  fill_and_promote(map, settled);
  map.store(settled, 1);  // one new key: the map is amended
  map.store(settled + 1, 2);
  const auto before = map.stats();
  constexpr std::uint64_t absent = 10000;
  for (std::uint64_t k = 0; k < absent; ++k) {
    CHECK_FALSE(map.load(1000000 + k).has_value());
    CHECK(map.erase(2000000 + k) == 0);  // find_entry_counting_miss: the writers' lookup
  }
  const auto after = map.stats();
  // A filter of 2048 buckets with 2 set: ~20 of the 20000 lookups share one. Without the
  // filter every one is a miss (and every 1002nd promotes).
  CHECK(after.read_misses - before.read_misses < 200);
  CHECK(after.promotions == before.promotions);
  // The new keys themselves are still found, under the mutex: misses.
  CHECK(map.load(settled) == std::optional<std::uint64_t>(1));
  CHECK(map.load(settled + 1) == std::optional<std::uint64_t>(2));
  CHECK(map.stats().read_misses - after.read_misses == 2);
}

TEST_CASE("hits from several threads are all counted", "[stats][mt]") {
  map_type map;
  fill_and_promote(map, 4);
  const std::uint64_t before = map.stats().read_hits;
  constexpr std::uint64_t per_thread = 10000;
  constexpr int threads = 4;
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (std::uint64_t i = 0; i < per_thread; ++i)
        static_cast<void>(map.load(i % 4));
    });
  }
  for (std::thread& th : pool)
    th.join();
  CHECK(map.stats().read_hits - before == per_thread * threads);
}

TEST_CASE("erase then rebuild counts retired boxes and expunged entries", "[stats]") {
  map_type map;
  constexpr std::uint64_t n = 10;
  fill_and_promote(map, n);
  CHECK(map.stats().retired == 0);
  CHECK(map.erase(0) == 1);  // read-table entry: its box is retired, the entry stays (nil)
  CHECK(map.erase(1) == 1);
  auto s = map.stats();
  CHECK(s.retired == 2);
  CHECK(s.expunged == 0);
  map.store(n, n);  // a new key rebuilds the dirty table from the read table: 0 and 1 expunged
  s = map.stats();
  CHECK(s.expunged == 2);
  CHECK(s.retired == 2);
  CHECK(s.promotions == 1);
  // The dirty table now holds n - 2 + 1 entries; that many misses promote it again, which
  // retires the replaced read table.
  const std::uint64_t misses_before = s.read_misses;
  for (std::uint64_t i = 0; i < n - 1; ++i)
    CHECK(map.load(n) == n);
  s = map.stats();
  CHECK(s.read_misses - misses_before == n - 1);
  CHECK(s.promotions == 2);
  CHECK(s.retired == 3);
  CHECK(map.load(n) == n);  // now a hit
  CHECK(map.stats().read_misses == s.read_misses);
}

TEST_CASE("overwrites retire the replaced value box", "[stats]") {
  map_type map;
  fill_and_promote(map, 5);
  for (std::uint64_t i = 0; i < 7; ++i)
    map.store(i % 5, i + 100);  // fast path: swaps the box, retires the old one
  const auto s = map.stats();
  CHECK(s.retired == 7);
  CHECK(s.pending_reclamation == map.pending_reclamation());
  CHECK(s.pending_reclamation <= s.retired);
}
