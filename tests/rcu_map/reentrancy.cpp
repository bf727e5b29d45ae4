// rcu_map callbacks that call the map they run in. for_each runs its callback with no lock
// and no read section held (API.md: "they may call the map"); visit and erase_if(pred) run
// theirs inside a read section but with no lock, so calls back into the map cannot
// deadlock either. Every operation is called from inside each callback: nothing may
// deadlock, abort (sharded_map's debug re-entrancy check has no counterpart here) or
// corrupt the map, and the results must make sense.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "rcu_maps.hpp"
#include "support/catch.hpp"
#include "support/counted.hpp"
#include "support/random_ops.hpp"
#include "support/stress.hpp"
#include "support/thread_runner.hpp"

using namespace syncmap_test;

namespace {

using map_type = syncmap::rcu_map<std::uint64_t, counted>;

// Calls every operation on `map` for key `key` (present or not) and a fresh key, checking
// each result against what the calls before it did. Works from any callback.
void call_everything(map_type& map, std::uint64_t key, std::uint64_t fresh) {
  const auto bump = [](counted& value) { value = counted(value.value() + 1); };
  (void)map.load(key);
  (void)map.contains(key);
  map.visit(key, [](const counted& value) { (void)value.value(); });
  REQUIRE(map.store(fresh, 1));
  REQUIRE(map.load(fresh) == counted(1));
  REQUIRE(map.load_or_store(fresh, 5) == std::make_pair(counted(1), true));
  REQUIRE(map.exchange(fresh, 2) == counted(1));
  REQUIRE(map.update(fresh, bump));
  REQUIRE_FALSE(map.upsert(fresh, bump, std::uint64_t{0}));
  REQUIRE(map.compare_and_swap(fresh, 4, 40));
  REQUIRE_FALSE(map.compare_and_delete(fresh, 4));
  REQUIRE(map.load_and_delete(fresh) == counted(40));
  REQUIRE(map.try_emplace(fresh, std::uint64_t{7}));
  REQUIRE(map.erase_if(fresh, [](const counted& value) { return value.value() == 7; }));
  REQUIRE(map.load_or_store_with(fresh, [] { return counted(8); }).second == false);
  REQUIRE(map.erase(fresh) == 1);
  (void)map.size();
  (void)map.snapshot();
  (void)map.pending_reclamation();
}

}  // namespace

TEST_CASE("a for_each callback may call every operation on the same map", "[reentrancy]") {
  const instance_check instances;
  {
    map_type map;
    for (std::uint64_t k = 0; k < 50; ++k)
      map.store(k, k);
    std::size_t calls = 0;
    const std::size_t visited = map.for_each([&](const std::uint64_t& key, const counted& value) {
      REQUIRE(value.value() == key);
      call_everything(map, key, 1000 + key);  // a new key each time: rebuilds, promotions
      // A nested for_each sees every original key (none is erased yet) and no fresh one.
      std::size_t nested = 0;
      map.for_each([&](const std::uint64_t& inner, const counted&) {
        REQUIRE(inner < 50);
        ++nested;
      });
      REQUIRE(nested == 50);
      ++calls;
    });
    CHECK(visited == 50);
    CHECK(calls == 50);
    CHECK(map.size() == 50);

    // Erasing while iterating: every entry present for the whole call is visited once.
    std::vector<unsigned> seen(50, 0);
    map.for_each([&](const std::uint64_t& key, const counted&) {
      ++seen[key];
      REQUIRE(map.erase(key) == 1);
      REQUIRE(map.erase((key + 25) % 50) <= 1);  // later entries may be gone when reached
    });
    for (std::uint64_t k = 0; k < 50; ++k)
      CHECK(seen[k] <= 1);
    CHECK(map.empty());

    // clear() from inside: the walk finishes on its own pinned table.
    for (std::uint64_t k = 0; k < 50; ++k)
      map.store(k, k);
    std::size_t after_clear = 0;
    map.for_each([&](const std::uint64_t&, const counted& value) {
      map.clear();
      (void)value.value();  // the callback's own copy stays valid
      ++after_clear;
    });
    CHECK(after_clear >= 1);
    CHECK(map.empty());
    CHECK(map.for_each([](const std::uint64_t&, const counted&) {}) == 0);
  }
  CHECK(instances.leaked() == 0);
}

TEST_CASE("a visit callback may call the map", "[reentrancy]") {
  const instance_check instances;
  {
    map_type map;
    for (std::uint64_t k = 0; k < 20; ++k)
      map.store(k, k);
    for (std::uint64_t k = 0; k < 20; ++k) {
      CHECK(map.visit(k, [&](const counted& value) {
        call_everything(map, k, 500 + k);
        // Replace and erase the very entry being visited: the value seen stays valid.
        map.store(k, k + 100);
        REQUIRE(value.value() == k);
        REQUIRE(map.erase(k) == 1);
        REQUIRE(value.value() == k);
        std::size_t calls = 0;
        map.for_each([&](const std::uint64_t&, const counted&) { ++calls; });
        REQUIRE(calls == map.size());
      }));
    }
    CHECK(map.empty());
  }
  CHECK(instances.leaked() == 0);
}

// The lookups' read section (epoch.hpp [L]) closes with a bare store, so it must not open
// when a section is already open: a lookup nested in a visit callback would otherwise close
// the visit's section under it, and the value the callback holds could be freed.
template <class Map>
void check_lookups_nested_in_visit_keep_its_section(Map& map) {
  const syncmap::detail::epoch_domain& domain = syncmap::detail::default_epoch_domain();
  REQUIRE_FALSE(domain.in_section());
  for (std::uint64_t k = 0; k < 20; ++k)
    map.store(k, k);
  for (int round = 0; round < 3; ++round) {
    for (std::uint64_t k = 0; k < 20; ++k)
      (void)map.load(k);  // the misses promote: these keys are in the read table now
  }
  map.store(99, 99);  // amended: lookups of 99 go to the dirty table
  for (std::uint64_t k = 0; k < 20; ++k) {
    CHECK(map.visit(k, [&](const auto&) {
      REQUIRE(domain.in_section());
      CHECK(map.load(k + 1 == 20 ? 0 : k + 1));
      REQUIRE(domain.in_section());
      CHECK(map.contains(k));
      REQUIRE(domain.in_section());
      CHECK_FALSE(map.load(1000 + k));  // a miss
      REQUIRE(domain.in_section());
      CHECK(map.load(99));  // the slow path
      REQUIRE(domain.in_section());
    }));
    REQUIRE_FALSE(domain.in_section());
  }
}

TEST_CASE("a lookup nested in a visit callback leaves the visit's read section open",
          "[reentrancy]") {
  SECTION("read table with value copies") {
    syncmap::rcu_map<std::uint64_t, std::uint64_t> map;
    check_lookups_nested_in_visit_keep_its_section(map);
  }
  SECTION("the visit is the first section of its thread") {
    // The thread's record is found (and not yet cached) as the visit opens its section.
    syncmap::rcu_map<std::uint64_t, std::uint64_t> map;
    for (std::uint64_t k = 0; k < 20; ++k)
      map.store(k, k);
    for (int round = 0; round < 3; ++round) {
      for (std::uint64_t k = 0; k < 20; ++k)
        (void)map.load(k);
    }
    for (int t = 0; t < 4; ++t) {
      bool open_after_nested_load = false;
      std::thread thread([&] {
        const auto& domain = syncmap::detail::default_epoch_domain();
        map.visit(3, [&](std::uint64_t) {
          (void)map.load(4);
          (void)map.load(4);
          open_after_nested_load = domain.in_section();
        });
      });
      thread.join();
      CHECK(open_after_nested_load);
    }
  }
  SECTION("read table of entries") {
    const instance_check instances;
    {
      map_type map;
      check_lookups_nested_in_visit_keep_its_section(map);
    }
    CHECK(instances.leaked() == 0);
  }
}

TEST_CASE("an erase_if predicate may call the map", "[reentrancy]") {
  const instance_check instances;
  {
    map_type map;
    for (std::uint64_t k = 0; k < 40; ++k)
      map.store(k, k);
    const std::size_t erased = map.erase_if([&](const std::uint64_t& key, const counted& value) {
      call_everything(map, key, 700 + key);
      REQUIRE(map.load(key) == value);
      return key % 2 == 0;
    });
    CHECK(erased == 20);
    CHECK(map.size() == 20);
    for (std::uint64_t k = 0; k < 40; ++k)
      CHECK(map.contains(k) == (k % 2 == 1));
  }
  CHECK(instances.leaked() == 0);
}

TEST_CASE("re-entrant callbacks on several threads while others write: no deadlock",
          "[reentrancy][concurrency]") {
  const instance_check instances;
  {
    map_type map;
    for (std::uint64_t k = 0; k < 64; ++k)
      map.store(k, k);
    const std::size_t rounds = scaled(1500);
    run_threads(4, [&](std::size_t thread) {
      seeded_random random(thread + 900);
      for (std::size_t round = 0; round < rounds; ++round) {
        if (thread < 2) {
          // Writes from inside callbacks, on keys only this thread uses.
          const std::uint64_t mine = 10000 * (thread + 1) + round % 32;
          map.for_each([&](const std::uint64_t& key, const counted& value) {
            SYNCMAP_THREAD_CHECK(key >= 64 || value.value() % 64 == key);
            if (key % 16 == 0) {
              map.store(mine, key);
              map.erase(mine);
            }
            return random.chance(8) == false;
          });
          map.visit(random.below(64), [&](const counted&) {
            map.store(mine, round);
            (void)map.load_and_delete(mine);
          });
        } else {
          const std::uint64_t k = random.below(64);
          map.store(k, k + 64 * random.below(4));  // value % 64 == key stays true
          (void)map.load(k);
          map.store(20000 + thread * 1000 + round % 50, round);  // new keys: rebuilds
          map.erase(20000 + thread * 1000 + (round + 25) % 50);
        }
      }
    });
    for (std::uint64_t k = 0; k < 64; ++k) {
      const auto value = map.load(k);
      REQUIRE(value.has_value());
      REQUIRE(value->value() % 64 == k);
    }
  }
  CHECK(instances.leaked() == 0);
}
