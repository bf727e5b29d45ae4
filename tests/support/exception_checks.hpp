// syncmap tests: the strong exception guarantee, checked by sweeping every throw point.
// SPDX-License-Identifier: MIT
//
// API.md: if a hash, equality, constructor, assignment, allocator or callback throws, a
// single-key operation has no effect, the exception propagates and the map stays usable;
// bulk operations stop at the throw, keeping what they did.
//
// sweep() makes that checkable. It takes a fault_source (a fault_point from throwing.hpp
// or an allocation_stats from allocators.hpp) and an operation, and runs the operation with
// the source armed to fail at its 1st, 2nd, 3rd, ... event until the operation gets
// through. Every time it throws, the map's contents must equal what they were before (the
// strong guarantee), and the map must still work, including the lock of the key's shard
// (a lock left held would hang the next exclusive operation on it). Every throw point inside
// the operation is thus visited once, deterministically, and a failure names its n.
//
// The maps here are keyed by std::uint64_t (so contents compare as ordered std::maps) and
// hold any value type value_codec handles (counted, throwing_value, integers).
#ifndef SYNCMAP_TESTS_SUPPORT_EXCEPTION_CHECKS_HPP
#define SYNCMAP_TESTS_SUPPORT_EXCEPTION_CHECKS_HPP

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <new>
#include <string>
#include <utility>

#include "allocators.hpp"
#include "api_checks.hpp"
#include "catch.hpp"
#include "random_ops.hpp"
#include "thread_runner.hpp"
#include "throwing.hpp"

namespace syncmap_test {

// Something that can be told "fail at your n-th event from now" and asked whether that
// failure is still pending.
struct fault_source {
  std::string name;
  std::function<void(std::int64_t)> arm;  // arm(0) disarms
  std::function<bool()> pending;
};

inline fault_source faults_of(fault_point& point) {
  return {point.name(), [&point](std::int64_t n) { point.arm(n); },
          [&point] { return point.armed(); }};
}

inline fault_source faults_of(allocation_stats& stats) {
  return {"allocation " + std::to_string(stats.id()),
          [&stats](std::int64_t n) { stats.fail_at(n); },
          [&stats] { return stats.failure_pending(); }};
}

// Disarms a fault_source on scope exit, also when a REQUIRE throws out of the scope.
class disarm_on_exit {
 public:
  explicit disarm_on_exit(const fault_source& source) : source_(source) {}
  ~disarm_on_exit() { source_.arm(0); }
  disarm_on_exit(const disarm_on_exit&) = delete;
  disarm_on_exit& operator=(const disarm_on_exit&) = delete;

 private:
  const fault_source& source_;
};

namespace exception_detail {

template <class Map>
using contents_t = std::map<std::uint64_t, typename Map::mapped_type>;

// Exercises the map after a throw: the key's shard (exclusive and shared), a fresh key,
// and a whole-map pass, leaving the contents as they were.
template <class Map>
void require_usable(Map& map, std::uint64_t key) {
  using codec = value_codec<typename Map::mapped_type>;
  const std::uint64_t fresh = 0xF00D'0000'0000ull + key;
  REQUIRE(map.store(fresh, codec::make(1)));
  REQUIRE(map.contains(fresh));
  REQUIRE(map.erase(fresh) == 1);
  map.update(key, [](typename Map::mapped_type&) noexcept {});  // exclusive lock of key's shard
  (void)map.contains(key);                                      // shared lock of key's shard
  std::size_t calls = 0;
  map.for_each([&calls](const std::uint64_t&, const typename Map::mapped_type&) { ++calls; });
  REQUIRE(calls == map.size());
}

}  // namespace exception_detail

// Runs op(map) with `source` failing at its 1st, 2nd, ... event until op completes; after
// each throw requires unchanged contents and a usable map. `key` is the key op works on.
// Returns how many throws were checked.
// Runs op() with `source` armed to fail at its n-th event; returns whether it threw, and
// requires that a fault which fired inside op came out of it (was not swallowed).
template <class Op>
bool run_with_fault_at(const fault_source& source, std::int64_t n, Op&& op) {
  bool threw = false;
  source.arm(n);
  try {
    op();
  } catch (const injected_fault&) {
    threw = true;
  } catch (const std::bad_alloc&) {
    threw = true;
  }
  const bool fired = !source.pending();
  source.arm(0);
  REQUIRE(fired == threw);
  return threw;
}

template <class Map, class Op>
std::size_t sweep(Map& map, const fault_source& source, const std::string& what, std::uint64_t key,
                  Op op) {
  const disarm_on_exit disarm(source);
  for (std::int64_t n = 1;; ++n) {
    INFO(what << " with " << source.name << " failing at its event #" << n);
    REQUIRE(n < 100000);  // an operation that never completes
    const auto before = ordered_contents(map);
    const bool threw = run_with_fault_at(source, n, [&] { op(map); });
    if (!threw) return static_cast<std::size_t>(n - 1);
    REQUIRE(ordered_contents(map) == before);  // strong guarantee
    exception_detail::require_usable(map, key);
    REQUIRE(ordered_contents(map) == before);
  }
}

// Every single-key operation, swept against `source`, on a map of `prefill` keys
// (0..prefill-1, value = key). Returns the number of throws checked in total.
template <class Map>
std::size_t check_single_key_strong_guarantee(Map& map, const fault_source& source,
                                              std::uint64_t prefill = 40) {
  using mapped = typename Map::mapped_type;
  using codec = value_codec<mapped>;
  for (std::uint64_t k = 0; k < prefill; ++k)
    map.store(k, codec::make(k));
  std::uint64_t next_new = 1000;  // keys never present before their operation
  std::size_t throws = 0;
  const auto bump = [](mapped& value) { value = codec::make(codec::number(value) + 1); };

  std::uint64_t k = next_new++;
  throws += sweep(map, source, "store(new key)", k, [&](Map& m) { m.store(k, codec::make(k)); });
  throws +=
      sweep(map, source, "store(existing key)", 1, [&](Map& m) { m.store(1, codec::make(77)); });
  k = next_new++;
  throws += sweep(map, source, "load_or_store(new key)", k,
                  [&](Map& m) { (void)m.load_or_store(k, codec::make(k)); });
  throws += sweep(map, source, "load_or_store(existing key)", 2,
                  [&](Map& m) { (void)m.load_or_store(2, codec::make(5)); });
  k = next_new++;
  throws += sweep(map, source, "load_or_store_with(new key)", k,
                  [&](Map& m) { (void)m.load_or_store_with(k, [k] { return codec::make(k); }); });
  k = next_new++;
  throws += sweep(map, source, "try_emplace(new key)", k, [&](Map& m) { m.try_emplace(k, k); });
  throws += sweep(map, source, "exchange(existing key)", 3,
                  [&](Map& m) { (void)m.exchange(3, codec::make(33)); });
  k = next_new++;
  throws += sweep(map, source, "exchange(new key)", k,
                  [&](Map& m) { (void)m.exchange(k, codec::make(k)); });
  throws += sweep(map, source, "upsert(existing key)", 4,
                  [&](Map& m) { m.upsert(4, bump, std::uint64_t{0}); });
  k = next_new++;
  throws += sweep(map, source, "upsert(new key)", k, [&](Map& m) { m.upsert(k, bump, k); });
  throws += sweep(map, source, "update", 5, [&](Map& m) { m.update(5, bump); });
  throws += sweep(map, source, "compare_and_swap(equal)", 6,
                  [&](Map& m) { m.compare_and_swap(6, codec::make(6), codec::make(60)); });
  throws += sweep(map, source, "compare_and_swap(unequal)", 7,
                  [&](Map& m) { m.compare_and_swap(7, codec::make(8), codec::make(70)); });
  throws += sweep(map, source, "compare_and_delete", 8,
                  [&](Map& m) { m.compare_and_delete(8, codec::make(8)); });
  throws += sweep(map, source, "load_and_delete", 9, [&](Map& m) { (void)m.load_and_delete(9); });
  throws += sweep(map, source, "erase", 10, [&](Map& m) { m.erase(10); });
  throws += sweep(map, source, "erase_if(key)", 11,
                  [&](Map& m) { m.erase_if(11, [](const mapped&) { return true; }); });
  throws += sweep(map, source, "load", 12, [&](Map& m) { (void)m.load(12); });
  throws += sweep(map, source, "load(absent)", 999, [&](Map& m) { (void)m.load(999); });
  throws += sweep(map, source, "contains", 13, [&](Map& m) { (void)m.contains(13); });
  throws += sweep(map, source, "visit", 14, [&](Map& m) { m.visit(14, [](const mapped&) {}); });
  throws += sweep(map, source, "snapshot", 0, [&](Map& m) { (void)m.snapshot(); });
  throws += sweep(map, source, "copy construction", 0, [&](Map& m) { Map copy(m); });
  return throws;
}

// Bulk operations stop at a throw and keep what they did (API.md), so each is swept like a
// single-key operation but checked for consistency instead of "unchanged": after a throw the
// map holds nothing it did not hold before, has lost only what the operation may remove,
// changed no value, and stays usable. Each sweep first stores a new key (so rcu_map's dirty
// table is amended and the bulk operation must promote it: an allocation and a rehash that
// can fail inside the bulk operation) and then runs:
//   erase_if(pred) removing odd keys, for_each visiting everything, clear(), and reserve()
//   where the map has one. Returns the number of throws checked.
template <class Map>
std::size_t check_bulk_consistency(Map& map, const fault_source& source,
                                   std::uint64_t prefill = 60) {
  using mapped = typename Map::mapped_type;
  using codec = value_codec<mapped>;
  for (std::uint64_t k = 0; k < prefill; ++k)
    map.store(k, codec::make(k));
  std::size_t throws = 0;
  std::uint64_t extra = 2000;  // even, so erase_if(odd) keeps it
  const auto run = [&](const std::string& what, auto may_remove, auto bulk) {
    const disarm_on_exit disarm(source);
    for (std::int64_t n = 1;; ++n) {
      INFO(what << " with " << source.name << " failing at its event #" << n);
      REQUIRE(n < 100000);
      // The previous iteration's key goes, so the map does not grow with n: a promotion
      // hashes every key, and a map growing by one key per iteration would keep the op's
      // number of events ahead of n forever.
      (void)map.erase(extra - 2);
      const auto before = ordered_contents(map);
      const std::uint64_t added = extra;
      extra += 2;
      const bool threw = run_with_fault_at(source, n, [&] {
        map.store(added, codec::make(added));
        bulk(map);
      });
      const auto after = ordered_contents(map);
      for (const auto& [key, value] : after) {
        INFO("key " << key);
        if (key == added) {
          REQUIRE(value == codec::make(added));
          continue;
        }
        const auto old = before.find(key);
        REQUIRE(old != before.end());   // nothing appeared
        REQUIRE(old->second == value);  // nothing changed
      }
      for (const auto& [key, value] : before) {
        INFO("key " << key);
        if (!may_remove(key)) REQUIRE(after.count(key) == 1);  // nothing lost it may not lose
      }
      exception_detail::require_usable(map, 0);
      if (!threw) return;
      ++throws;
    }
  };
  run(
      "erase_if(odd keys)", [](std::uint64_t key) { return key % 2 == 1; },
      [](Map& m) {
        (void)m.erase_if([](const std::uint64_t& key, const mapped&) { return key % 2 == 1; });
      });
  run(
      "for_each", [](std::uint64_t) { return false; },
      [](Map& m) {
        std::size_t calls = 0;
        m.for_each([&calls](const std::uint64_t&, const mapped&) { ++calls; });
        (void)calls;
      });
  if constexpr (has_reserve<Map>::value) {
    run(
        "reserve", [](std::uint64_t) { return false; }, [&](Map& m) { m.reserve(4 * prefill); });
  }
  run(
      "clear", [](std::uint64_t) { return true; }, [](Map& m) { m.clear(); });
  return throws;
}

// Inserts keys 0..count-1 one by one with `source` swept for each insert, so that every
// growth step (allocation, rehash, moving values) fails at each of its throw points once.
template <class Map>
std::size_t check_growth_strong_guarantee(Map& map, const fault_source& source,
                                          std::uint64_t count) {
  using codec = value_codec<typename Map::mapped_type>;
  std::size_t throws = 0;
  for (std::uint64_t k = 0; k < count; ++k) {
    throws += sweep(map, source, "insert #" + std::to_string(k) + " (growing)", k, [&](Map& m) {
      if (k % 2 == 0) {
        m.store(k, codec::make(k));
      } else {
        m.try_emplace(k, k);
      }
    });
  }
  REQUIRE(map.size() == count);
  for (std::uint64_t k = 0; k < count; ++k)
    REQUIRE(map.load(k) == codec::make(k));
  return throws;
}

// Copy assignment that throws leaves the destination as it was. Returns the throws checked.
template <class Map>
std::size_t check_copy_assignment_strong_guarantee(Map& source_map, Map& target,
                                                   const fault_source& source) {
  return sweep(target, source, "copy assignment", 0, [&](Map& t) { t = source_map; });
}

// Callbacks that throw: the single-key operation has no effect, the exception propagates
// with the callback's own type, and the map stays usable.
template <class Map>
void check_throwing_callbacks(Map& map) {
  using mapped = typename Map::mapped_type;
  using codec = value_codec<mapped>;
  struct callback_error {};
  for (std::uint64_t k = 0; k < 50; ++k)
    map.store(k, codec::make(k));
  const auto before = ordered_contents(map);
  const auto modify_then_throw = [](mapped& value) {
    value = codec::make(12345);
    throw callback_error();
  };
  CHECK_THROWS_AS(map.update(1, modify_then_throw), callback_error);
  CHECK_THROWS_AS(map.upsert(2, modify_then_throw, std::uint64_t{0}), callback_error);
  CHECK_THROWS_AS(map.load_or_store_with(100, []() -> mapped { throw callback_error(); }),
                  callback_error);
  CHECK_THROWS_AS(map.visit(3, [](const mapped&) { throw callback_error(); }), callback_error);
  CHECK_THROWS_AS(map.erase_if(4, [](const mapped&) -> bool { throw callback_error(); }),
                  callback_error);
  CHECK(ordered_contents(map) == before);
  for (std::uint64_t k : {1, 2, 3, 4, 100})
    exception_detail::require_usable(map, k);

  // for_each stops at the throw; nothing changes.
  std::size_t calls = 0;
  CHECK_THROWS_AS(map.for_each([&](const std::uint64_t&, const mapped&) {
    if (++calls == 10) throw callback_error();
  }),
                  callback_error);
  CHECK(calls == 10);
  CHECK(ordered_contents(map) == before);

  // erase_if(pred) stops at the throw and keeps what it erased: everything missing now
  // matched the predicate, everything left is unchanged.
  std::size_t seen = 0;
  std::size_t matched = 0;
  CHECK_THROWS_AS(map.erase_if([&](const std::uint64_t& key, const mapped&) {
    if (++seen == 20) throw callback_error();
    if (key % 2 == 0) ++matched;
    return key % 2 == 0;
  }),
                  callback_error);
  const auto after = ordered_contents(map);
  CHECK(after.size() == before.size() - matched);
  for (const auto& [key, value] : before) {
    const auto it = after.find(key);
    if (it == after.end()) {
      CHECK(key % 2 == 0);
    } else {
      CHECK(it->second == value);
    }
  }
  exception_detail::require_usable(map, 0);
  CHECK(map.erase_if([](const std::uint64_t& key, const mapped&) { return key % 2 == 0; }) ==
        25 - matched);
}

// Four threads upsert(+1) a few keys while value copies fail now and then (the fault is
// re-armed whenever it fired). Each thread counts the increments that returned normally;
// those, and only those, must be in the map at the end.
template <class Map>
void check_exceptions_under_concurrency(Map& map, std::size_t ops_per_thread) {
  using mapped = typename Map::mapped_type;
  using codec = value_codec<mapped>;
  const std::size_t ops = scaled(ops_per_thread);
  const std::uint64_t key_count = 8;
  for (std::uint64_t k = 0; k < key_count; ++k)
    map.store(k, codec::make(0));
  std::atomic<std::uint64_t> applied{0};
  std::atomic<std::uint64_t> failed{0};
  const auto bump = [](mapped& value) { value = codec::make(codec::number(value) + 1); };
  const armed_fault fault(value_faults, 7);
  run_threads(default_thread_count, [&](std::size_t thread) {
    std::uint64_t mine = 0;
    std::uint64_t lost = 0;
    for (std::size_t i = 0; i < ops; ++i) {
      const std::uint64_t k = (i + thread) % key_count;
      try {
        if (i % 2 == 0) {
          map.upsert(k, bump, std::uint64_t{0});
        } else {
          map.update(k, bump);
        }
        ++mine;
      } catch (const injected_fault&) {
        ++lost;
        if (thread == 0 || i % 3 == 0) value_faults.arm(5 + static_cast<std::int64_t>(i % 11));
      }
    }
    applied.fetch_add(mine, std::memory_order_relaxed);  // relaxed: read after join
    failed.fetch_add(lost, std::memory_order_relaxed);   // relaxed: read after join
  });
  value_faults.disarm();
  std::uint64_t total = 0;
  for (const auto& [key, value] : ordered_contents(map))
    total += codec::number(value);
  CHECK(failed.load() > 0);
  CHECK(total == applied.load());
  CHECK(map.size() == key_count);
}

}  // namespace syncmap_test

#endif  // SYNCMAP_TESTS_SUPPORT_EXCEPTION_CHECKS_HPP
