// rcu_map: lock-free readers against writers that keep the read/dirty machinery moving.
//
// Two writers store, erase and re-store a rotating set of keys: keys come and go, so every
// promotion is followed by a dirty rebuild (a new key arrives), deleted entries are expunged
// and later unexpunged or dropped, and read tables, entries and value boxes are retired all
// along. Two readers load, visit, and for_each; their lookups of keys only the dirty table
// holds count the misses that promote it. Meanwhile a set of stable keys is never written.
//
// What a reader checks:
//   - a value is one that was stored for that key: payload_value encodes its key and a
//     version, and must re-render to exactly itself (a value from another key, a torn one or
//     one from freed memory does not), with a version no newer than any writer issued;
//   - stable keys are always present with their first value;
//   - inside visit(), on the value in place: that memory must stay valid for the whole
//     callback even though a writer may retire its box meanwhile. payload_value carries the
//     counted LIVE/DEAD canary and a heap string, so a box freed too early aborts with a
//     canary message in a plain build and is a heap-use-after-free under ASan.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rcu_maps.hpp"
#include "support/catch.hpp"
#include "support/concurrency_checks.hpp"
#include "support/counted.hpp"
#include "support/random_ops.hpp"
#include "support/stress.hpp"
#include "support/thread_runner.hpp"

using namespace syncmap_test;

namespace {

using payload_map = syncmap::rcu_map<std::uint64_t, payload_value>;

constexpr std::uint64_t stable_keys = 64;      // keys 0..63, never written after setup
constexpr std::uint64_t rotating_base = 1000;  // rotating keys start here
constexpr std::uint64_t rotating_keys = 96;    // how many rotating keys exist
constexpr std::uint64_t rotating_window = 24;  // how many a writer works on at a time

bool is_stable(std::uint64_t key) {
  return key < stable_keys;
}

// Versions handed out to writers; a reader never sees one above the count it reads after.
class version_source {
 public:
  std::uint64_t next() noexcept {
    // relaxed: the map's publication (release CAS / acquire load) carries the happens-before
    // from this increment, sequenced before the store, to any reader of the stored value.
    return issued_.fetch_add(1, std::memory_order_relaxed) + 1;
  }
  std::uint64_t issued() const noexcept {
    // relaxed: read after the reader loaded a value; coherence with the writer's increment
    // (which happens-before that load through the map) makes it at least that version.
    return issued_.load(std::memory_order_relaxed);
  }

 private:
  std::atomic<std::uint64_t> issued_{0};
};

// Checks one value a reader got for `key` (thread-safe: throws on failure).
void check_value(std::uint64_t key, const payload_value& value, const version_source& versions) {
  std::uint64_t version = 0;
  SYNCMAP_THREAD_CHECK_MSG(value.well_formed_for(key, &version),
                           "key " + std::to_string(key) + " holds " + describe(value));
  if (is_stable(key)) {
    SYNCMAP_THREAD_CHECK_MSG(
        version == 0, "stable key " + std::to_string(key) + " changed to " + describe(value));
  } else {
    const std::uint64_t issued = versions.issued();
    SYNCMAP_THREAD_CHECK_MSG(version <= issued, "version " + std::to_string(version) +
                                                    " never issued (" + std::to_string(issued) +
                                                    " so far)");
  }
}

// One writer step on a rotating key: store, erase, re-store, swap, update, CAS.
void write_step(payload_map& map, seeded_random& random, std::size_t step,
                version_source& versions) {
  // The window moves every 64 steps, so keys leave (erased, then dropped by a rebuild) and
  // come back as new keys later.
  const std::uint64_t window_start = (step / 64) % rotating_keys;
  const std::uint64_t key =
      rotating_base + (window_start + random.below(rotating_window)) % rotating_keys;
  switch (random.below(8)) {
    case 0:
    case 1:
      map.store(key, payload_value(key, versions.next()));
      break;
    case 2:
    case 3:
      map.erase(key);
      break;
    case 4:
      (void)map.load_or_store(key, payload_value(key, versions.next()));
      break;
    case 5:
      (void)map.exchange(key, payload_value(key, versions.next()));
      break;
    case 6: {
      // Pure callback (it may run more than once): the version is drawn before.
      const payload_value next(key, versions.next());
      map.update(key, [&next](payload_value& value) { value = next; });
      break;
    }
    default:
      if (const auto current = map.load(key)) {
        map.compare_and_swap(key, *current, payload_value(key, versions.next()));
      }
      break;
  }
  // Retire the whole old window now and then, so many keys are deleted at once.
  if (step % 64 == 63) {
    for (std::uint64_t i = 0; i < rotating_window; ++i) {
      map.erase(rotating_base + (window_start + i) % rotating_keys);
    }
  }
}

// One reader step.
void read_step(const payload_map& map, seeded_random& random, std::size_t step,
               const version_source& versions) {
  const std::uint64_t stable = random.below(stable_keys);
  const std::uint64_t rotating = rotating_base + random.below(rotating_keys);
  switch (step % 5) {
    case 0: {
      const auto value = map.load(stable);
      SYNCMAP_THREAD_CHECK_MSG(value.has_value(),
                               "stable key " + std::to_string(stable) + " vanished");
      check_value(stable, *value, versions);
      break;
    }
    case 1:
    case 2: {
      if (const auto value = map.load(rotating)) check_value(rotating, *value, versions);
      (void)map.contains(rotating + 1);
      break;
    }
    case 3: {
      // In place: the box must stay valid while the callback runs, even if a writer replaces
      // or erases it meanwhile.
      map.visit(rotating, [&](const payload_value& value) {
        check_value(rotating, value, versions);
        std::this_thread::yield();  // widen the window for a writer to retire this box
        check_value(rotating, value, versions);
      });
      const bool found = map.visit(
          stable, [&](const payload_value& value) { check_value(stable, value, versions); });
      SYNCMAP_THREAD_CHECK_MSG(found, "stable key " + std::to_string(stable) + " vanished");
      break;
    }
    default: {
      if (step % 50 != 4) break;  // a whole pass is expensive: one in ten of these steps
      std::vector<unsigned> seen(stable_keys, 0);
      map.for_each([&](const std::uint64_t& key, const payload_value& value) {
        check_value(key, value, versions);
        if (is_stable(key)) ++seen[key];
      });
      for (std::uint64_t k = 0; k < stable_keys; ++k) {
        SYNCMAP_THREAD_CHECK_MSG(seen[k] == 1, "for_each saw stable key " + std::to_string(k) +
                                                   " " + std::to_string(seen[k]) + " times");
      }
      break;
    }
  }
}

}  // namespace

TEST_CASE("readers see only stored values while writers force promotions and rebuilds",
          "[readers_writers][promotion]") {
  const instance_check instances;
  {
    payload_map map;
    for (std::uint64_t k = 0; k < stable_keys; ++k)
      map.store(k, payload_value(k, 0));
    version_source versions;
    const std::size_t writer_steps = scaled(80000);
    std::atomic<int> writers_running{2};
    run_threads(4, [&](std::size_t thread) {
      seeded_random random(thread * 7919 + 1);
      if (thread < 2) {
        struct done_on_exit {
          std::atomic<int>& running;
          // release: pairs with the readers' acquire load; only for termination.
          ~done_on_exit() { running.fetch_sub(1, std::memory_order_release); }
        } done{writers_running};
        for (std::size_t step = 0; step < writer_steps; ++step)
          write_step(map, random, step, versions);
        return;
      }
      // Readers run until both writers are done (or one threw), then a little longer.
      std::size_t step = 0;
      // acquire: pairs with done_on_exit's release; only for termination.
      while (writers_running.load(std::memory_order_acquire) > 0)
        read_step(map, random, step++, versions);
      for (std::size_t extra = 0; extra < 100; ++extra)
        read_step(map, random, step++, versions);
    });
    for (std::uint64_t k = 0; k < stable_keys; ++k)
      REQUIRE(map.load(k) == payload_value(k, 0));
    for (const auto& [key, value] : map.snapshot())
      REQUIRE(value.well_formed_for(key));
  }
  CHECK(instances.leaked() == 0);
}

// Promotions racing lock-free writers on a few hot keys whose values are copied inline: three
// threads increment 4 hot keys (two with update(), one with load + compare_and_swap; on
// read-table entries both are lock-free CASes) while the rest keep adding a new key, erasing
// the previous one and running for_each, so that every pass promotes the dirty table and
// re-tags the hot entries. No increment may be lost. Guards the promotion's tag CAS in
// copy_in (acquire: it copies a value a lock-free writer may have just published) and the
// acquire load in untag_locked (an update that waited for the mutex gets a box a lock-free
// writer CASed in); see docs/verification.md.
TEST_CASE("increments on hot keys stay exact while promotions re-tag them",
          "[readers_writers][promotion]") {
  syncmap::rcu_map<std::uint64_t, std::uint64_t> map;
  constexpr std::uint64_t hot = 4;
  for (std::uint64_t k = 0; k < hot; ++k)
    map.store(k, 0);
  const std::size_t increments = scaled(60000);
  const std::size_t bound = concurrency_detail::wait_bound(60000);
  concurrency_detail::run_while_drivers_run(
      3,
      [&](std::size_t thread) {
        for (std::size_t i = 0; i < increments; ++i) {
          const std::uint64_t k = i % hot;
          if (thread != 0) {
            SYNCMAP_THREAD_CHECK(map.update(k, [](std::uint64_t& value) { ++value; }));
            continue;
          }
          for (std::size_t attempt = 0;; ++attempt) {
            SYNCMAP_THREAD_CHECK_MSG(attempt < bound, "compare_and_swap never succeeded");
            const auto current = map.load(k);
            SYNCMAP_THREAD_CHECK(current.has_value());
            if (map.compare_and_swap(k, *current, *current + 1)) break;
          }
        }
      },
      [&](std::size_t, std::size_t pass) {
        map.store(hot + pass + 1, 1);  // a new key amends the read table
        map.erase(hot + pass);
        map.for_each([](const std::uint64_t&, const std::uint64_t&) {});  // promotes
      });
  for (std::uint64_t k = 0; k < hot; ++k) {
    INFO("key " << k);
    REQUIRE(map.load(k) == 3 * ((increments + hot - 1 - k) / hot));
  }
}

// Go's TestConcurrentClear: storers, a loader and a clearer; every value loaded is one that
// was stored for its key, and after the threads stop one more clear() leaves nothing.
TEST_CASE("clear racing stores and loads: values stay whole, the map ends empty",
          "[readers_writers][clear]") {
  const instance_check instances;
  {
    payload_map map;
    version_source versions;
    const std::size_t steps = scaled(40000);
    run_threads(4, [&](std::size_t thread) {
      seeded_random random(thread + 31);
      for (std::size_t step = 0; step < steps; ++step) {
        const std::uint64_t key = rotating_base + random.below(rotating_keys);
        if (thread < 2) {
          map.store(key, payload_value(key, versions.next()));
        } else if (thread == 2) {
          if (const auto value = map.load(key)) check_value(key, *value, versions);
          map.visit(key, [&](const payload_value& value) { check_value(key, value, versions); });
        } else if (step % 64 == 0) {
          map.clear();
        } else {
          (void)map.contains(key);
        }
      }
    });
    map.clear();
    CHECK(map.empty());
    CHECK(map.for_each([](const std::uint64_t&, const payload_value&) {}) == 0);
    CHECK(map.snapshot().empty());
  }
  CHECK(instances.leaked() == 0);
}

// An operation that finds its key only in the dirty table keeps using the entry after it
// releases the mutex (it reads the entry's value pointer, or CASes it). clear() meanwhile
// drops the dirty table, and an entry no table holds is freed at once ([E2] in rcu_core.hpp):
// only the hold such an operation takes under the mutex keeps it alive. Without the hold this
// is a heap-use-after-free under ASan (or a canary abort), within a few thousand rounds.
TEST_CASE("dirty-table lookups racing clear() keep the entry they found alive",
          "[readers_writers][clear]") {
  const instance_check instances;
  {
    payload_map map;
    version_source versions;
    constexpr std::uint64_t keys = 32;
    const std::size_t rounds = scaled(12000);
    std::atomic<bool> done{false};
    run_threads(4, [&](std::size_t thread) {
      if (thread == 0) {  // the writer: new keys go to the dirty table, then all are dropped
        for (std::size_t round = 0; round < rounds; ++round) {
          for (std::uint64_t k = round % 4; k < keys; k += 4) {
            const std::uint64_t key = rotating_base + k;
            map.store(key, payload_value(key, versions.next()));
          }
          map.clear();
        }
        done.store(true, std::memory_order_release);  // release: ends the readers' loop only
        return;
      }
      seeded_random random(thread + 77);
      // acquire: pairs with the writer's release; only for termination.
      while (!done.load(std::memory_order_acquire)) {
        const std::uint64_t key = rotating_base + random.below(keys);
        switch (random.below(4)) {
          case 0:
            if (const auto value = map.load(key)) check_value(key, *value, versions);
            break;
          case 1:
            map.visit(key, [&](const payload_value& value) { check_value(key, value, versions); });
            break;
          case 2:  // modify_existing's slow path: CAS on the entry after the mutex is released
            (void)map.erase_if(key, [](const payload_value&) { return false; });
            break;
          default:
            (void)map.load_and_delete(key);
            break;
        }
      }
    });
    map.clear();
    CHECK(map.empty());
  }
  CHECK(instances.leaked() == 0);
}

// A miss while new keys wait in the dirty table answers "absent" without the mutex when the
// read table's filter has no bit for the key (rcu_core.hpp [F1]). A key stored before a
// release must then still be found by a reader after the matching acquire: the writer stores
// fresh keys one after another (each a new dirty-only key, noted in the filter of whichever
// read table is published), and the readers look up the last announced one and an older one,
// so that their misses keep promoting the dirty table into new tables with empty filters.
// Without the note in add_new_entry_locked the first lookup already fails.
TEST_CASE("a new key stored before a release is found after the acquire while the map is amended",
          "[readers_writers][promotion]") {
  syncmap::rcu_map<std::uint64_t, std::uint64_t> map;
  constexpr std::uint64_t settled = 256;  // a read table to miss in, with a filter
  for (std::uint64_t k = 0; k < settled; ++k)
    map.store(k, k);
  for (std::uint64_t k = 0; k < settled; ++k)
    REQUIRE(map.load(k) == k);  // the settled-th miss promotes
  const std::uint64_t fresh = scaled(20000);
  std::atomic<std::uint64_t> announced{0};  // how many fresh keys are stored
  run_threads(3, [&](std::size_t thread) {
    if (thread == 0) {
      for (std::uint64_t i = 1; i <= fresh; ++i) {
        map.store(settled + i, 3 * (settled + i));
        // release: the reader that acquires i must find key settled + i.
        announced.store(i, std::memory_order_release);
      }
      return;
    }
    seeded_random random(thread + 5);
    for (;;) {
      const std::uint64_t stored = announced.load(std::memory_order_acquire);  // pairs above
      if (stored == 0) continue;
      const std::uint64_t last = settled + stored;
      SYNCMAP_THREAD_CHECK(map.load(last) == std::optional<std::uint64_t>(3 * last));
      const std::uint64_t older = settled + 1 + random.below(stored);
      SYNCMAP_THREAD_CHECK(map.contains(older));
      SYNCMAP_THREAD_CHECK(!map.load(last + fresh + random.below(1000)).has_value());  // absent
      if (stored == fresh) break;
    }
  });
  CHECK(map.size() == settled + fresh);
}
