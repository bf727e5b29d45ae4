// sharded_map::stats() with SYNCMAP_STATS=1 (this group is compiled with it, tests/CMakeLists.txt):
// exact lock and rehash counts in single-threaded scenarios, the size figures, and one
// two-thread scenario in which a lock acquisition must wait.
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>

#include <syncmap/sharded_map.hpp>

#include "support/catch.hpp"

static_assert(SYNCMAP_STATS == 1, "tests/stats must be compiled with SYNCMAP_STATS=1");

namespace {

using map_type = syncmap::sharded_map<std::uint64_t, std::uint64_t>;

// Spins (sleeping) until pred() holds or ten seconds pass; returns pred().
template <class Pred>
bool eventually(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!pred() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return pred();
}

}  // namespace

TEST_CASE("a fresh map reports enabled counters at zero", "[stats]") {
  const map_type map(8);
  const auto s = map.stats();
  CHECK(s.counters_enabled);
  CHECK(s.shard_sizes.size() == 8);
  CHECK(s.min_shard_size == 0);
  CHECK(s.max_shard_size == 0);
  CHECK(s.mean_shard_size == 0.0);
  CHECK(s.skew == 1.0);
  CHECK(s.shared_acquisitions == 0);
  CHECK(s.shared_waits == 0);
  CHECK(s.exclusive_acquisitions == 0);
  CHECK(s.exclusive_waits == 0);
  CHECK(s.rehashes == 0);
}

TEST_CASE("n loads take n shared locks and never wait", "[stats]") {
  map_type map(4);
  constexpr std::uint64_t keys = 100;
  for (std::uint64_t k = 0; k < keys; ++k)
    map.store(k, k);
  constexpr std::uint64_t loads = 1000;
  for (std::uint64_t i = 0; i < loads; ++i)
    CHECK(map.load(i % (2 * keys)).has_value() == (i % (2 * keys) < keys));
  const auto s = map.stats();
  CHECK(s.shared_acquisitions == loads);
  CHECK(s.shared_waits == 0);
  CHECK(s.exclusive_acquisitions == keys);
  CHECK(s.exclusive_waits == 0);
}

TEST_CASE("every single-key and whole-map operation counts its lock", "[stats]") {
  map_type map(4);
  map.store(1, 1);                                                  // exclusive
  CHECK(map.contains(1));                                           // shared
  CHECK(map.visit(1, [](const std::uint64_t&) {}));                 // shared
  CHECK(map.update(1, [](std::uint64_t& v) noexcept { ++v; }));     // exclusive
  CHECK(map.erase(2) == 0);                                         // exclusive (a miss)
  map.for_each([](const std::uint64_t&, const std::uint64_t&) {});  // shared, per shard
  CHECK(map.snapshot().size() == 1);                                // shared, per shard
  map.clear();                                                      // exclusive, per shard
  const auto s = map.stats();
  CHECK(s.shared_acquisitions == 2 + 4 + 4);
  CHECK(s.exclusive_acquisitions == 3 + 4);
  CHECK(s.shared_waits == 0);
  CHECK(s.exclusive_waits == 0);
}

TEST_CASE("shard sizes, min, max, mean and skew describe the spread", "[stats]") {
  map_type one(1);
  for (std::uint64_t k = 0; k < 10; ++k)
    one.store(k, k);
  const auto single = one.stats();
  REQUIRE(single.shard_sizes.size() == 1);
  CHECK(single.shard_sizes[0] == 10);
  CHECK(single.min_shard_size == 10);
  CHECK(single.max_shard_size == 10);
  CHECK(single.mean_shard_size == 10.0);
  CHECK(single.skew == 1.0);

  map_type many(16);
  constexpr std::size_t keys = 1000;
  for (std::uint64_t k = 0; k < keys; ++k)
    many.store(k, k);
  const auto s = many.stats();
  REQUIRE(s.shard_sizes.size() == 16);
  std::size_t total = 0;
  std::size_t low = keys;
  std::size_t high = 0;
  for (const std::size_t n : s.shard_sizes) {
    total += n;
    low = n < low ? n : low;
    high = n > high ? n : high;
  }
  CHECK(total == keys);
  CHECK(s.min_shard_size == low);
  CHECK(s.max_shard_size == high);
  CHECK(s.mean_shard_size == static_cast<double>(keys) / 16.0);
  CHECK(s.skew == static_cast<double>(high) / (static_cast<double>(keys) / 16.0));
  CHECK(s.skew >= 1.0);
}

TEST_CASE("growth rehashes are counted, and reserve counts only capacity changes", "[stats]") {
  map_type map(1);
  map.store(0, 0);  // the first insert allocates the table: one rehash
  CHECK(map.stats().rehashes == 1);
  map.store(0, 1);  // an overwrite never rehashes
  CHECK(map.stats().rehashes == 1);
  map.reserve(1000);  // grows the one shard
  CHECK(map.stats().rehashes == 2);
  map.reserve(10);  // already has room: no change, not counted
  CHECK(map.stats().rehashes == 2);
  for (std::uint64_t k = 1; k < 1000; ++k)
    map.store(k, k);  // reserved: no growth
  CHECK(map.stats().rehashes == 2);
  CHECK(map.stats().exclusive_acquisitions == 1000 + 1 + 2);
}

TEST_CASE("inserting until the table grows counts each growth", "[stats]") {
  map_type map(1);
  std::uint64_t previous = 0;
  std::uint64_t growths = 0;
  // Every rehash reported is the result of one insert; inserting 1..4096 keys doubles the
  // table a handful of times, never more than once per insert.
  for (std::uint64_t k = 0; k < 4096; ++k) {
    map.store(k, k);
    const std::uint64_t now = map.stats().rehashes;
    CHECK(now - previous <= 1);
    growths += now - previous;
    previous = now;
  }
  CHECK(growths == map.stats().rehashes);
  CHECK(growths >= 8);  // 4096 elements need at least 2^9 groups' worth of doubling from 1
  CHECK(growths <= 12);
}

TEST_CASE("a load that finds its shard held exclusive counts a shared wait", "[stats][mt]") {
  map_type map(1);
  map.store(7, 7);
  std::atomic<bool> entered{false};
  std::atomic<bool> release{false};
  std::thread holder([&] {
    map.update(7, [&](std::uint64_t& v) noexcept {
      entered.store(true);
      while (!release.load())
        std::this_thread::yield();
      ++v;
    });
  });
  REQUIRE(eventually([&] { return entered.load(); }));
  std::thread reader([&] { CHECK(map.load(7) == std::uint64_t{8}); });
  // The reader counts its wait before it blocks, so it shows while the holder still holds.
  CHECK(eventually([&] { return map.stats().shared_waits == 1; }));
  release.store(true);
  holder.join();
  reader.join();
  const auto s = map.stats();
  CHECK(s.shared_acquisitions == 1);
  CHECK(s.shared_waits == 1);
  CHECK(s.exclusive_acquisitions == 2);
  CHECK(s.exclusive_waits == 0);
}

TEST_CASE("a store that finds its shard held shared counts an exclusive wait", "[stats][mt]") {
  map_type map(1);
  map.store(7, 7);
  std::atomic<bool> entered{false};
  std::atomic<bool> release{false};
  std::thread holder([&] {
    map.visit(7, [&](const std::uint64_t&) {
      entered.store(true);
      while (!release.load())
        std::this_thread::yield();
    });
  });
  REQUIRE(eventually([&] { return entered.load(); }));
  std::thread writer([&] { map.store(7, 9); });
  CHECK(eventually([&] { return map.stats().exclusive_waits == 1; }));
  release.store(true);
  holder.join();
  writer.join();
  CHECK(map.load(7) == std::uint64_t{9});
  const auto s = map.stats();
  CHECK(s.shared_acquisitions == 2);
  CHECK(s.shared_waits == 0);
  CHECK(s.exclusive_acquisitions == 2);
  CHECK(s.exclusive_waits == 1);
}
