// rcu_map memory reclamation, seen from the map's side (tests/reclaim/ tests epoch.hpp alone):
// every value the map held is destroyed exactly once by the time the map is gone, garbage
// stays within the documented bound while the map is in use, and nothing is freed under a
// reader, however long it stays inside a read section.
//
// The bound (rcu_map.hpp, "Memory"): each of a map's retire stripes never holds more
// retired-but-unfreed objects than retire_list::hard_limit plus one per thread retiring into
// it at that moment; a single thread uses one stripe. Tests sample pending_reclamation()
// against garbage_bound(threads) (rcu_maps.hpp), or hard_limit + 1 for one thread.
//
// Live counts use counted (values constructed minus destroyed, and a canary checked on every
// copy); allocator balance uses counting_allocator. Both counters are process-wide, so each
// test compares against its own start (instance_check).
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "rcu_maps.hpp"
#include "support/allocators.hpp"
#include "support/catch.hpp"
#include "support/counted.hpp"
#include "support/random_ops.hpp"
#include "support/stress.hpp"
#include "support/thread_runner.hpp"

using namespace syncmap_test;
using syncmap::detail::retire_list;

namespace {

using counted_alloc = counting_allocator<std::pair<const std::uint64_t, counted>>;
using counted_map = syncmap::rcu_map<std::uint64_t, counted, std::hash<std::uint64_t>,
                                     std::equal_to<std::uint64_t>, counted_alloc>;

// One random write or read on keys [0, key_space): every kind of operation that retires a
// value box, a read table or an entry.
template <class Map>
void churn_step(Map& map, seeded_random& random, std::uint64_t key_space) {
  const std::uint64_t key = random.below(key_space);
  const auto bump = [](counted& value) { value = counted(value.value() + 1); };
  switch (random.below(12)) {
    case 0:
    case 1:
      map.store(key, key);
      break;
    case 2:
    case 3:
      map.erase(key);
      break;
    case 4:
      (void)map.exchange(key, key + 1);
      break;
    case 5:
      map.upsert(key, bump, key);
      break;
    case 6:
      map.update(key, bump);
      break;
    case 7:
      (void)map.load_or_store(key, key);
      break;
    case 8:
      (void)map.load_and_delete(key);
      break;
    case 9:
      if (random.chance(64)) {
        map.clear();
      } else if (random.chance(16)) {
        map.erase_if([](const std::uint64_t& k, const counted&) { return k % 7 == 0; });
      } else {
        map.for_each([](const std::uint64_t&, const counted& value) { (void)value.value(); });
      }
      break;
    default:
      (void)map.load(key);
      (void)map.contains(key + key_space);  // absent: a miss while the dirty table is ahead
      break;
  }
}

// Deletes `count` keys the read table holds, then makes a promotion retire the read table
// that still lists them (expunged): when it is freed, `count` entries are retired at once.
template <class Map>
void mass_delete_round(Map& map, std::uint64_t first, std::uint64_t count,
                       std::size_t* peak_pending) {
  const auto sample = [&] { *peak_pending = std::max(*peak_pending, map.pending_reclamation()); };
  const auto no_op = [](const std::uint64_t&, const auto&) {};
  for (std::uint64_t k = first; k < first + count; ++k) {
    map.store(k, k);
    sample();
  }
  map.for_each(no_op);  // promotes: the read table holds every key
  for (std::uint64_t k = first; k < first + count; ++k) {
    map.erase(k);  // retires the value box; the entry stays in the read table
    sample();
  }
  map.store(first + count, 0);  // a new key: the dirty rebuild expunges every deleted entry
  map.for_each(no_op);          // promotes: the old read table, with `count` entries, is retired
  sample();
  map.erase(first + count);
  // More retires, to let the collector free the old table (and so retire its entries).
  for (std::uint64_t i = 0; i < 4 * retire_list::soft_limit; ++i) {
    map.store(first, i);
    sample();
  }
  map.erase(first);
}

}  // namespace

TEST_CASE("live values and allocator bytes return to zero after churn and destruction",
          "[reclaim]") {
  const instance_check instances;
  allocation_stats stats(40);
  {
    counted_map map{counted_alloc(stats)};
    const std::size_t steps = scaled(30000);
    run_threads(4, [&](std::size_t thread) {
      seeded_random random(thread + 400);
      for (std::size_t step = 0; step < steps; ++step)
        churn_step(map, random, 200);
    });
    // At quiescence the map holds its values plus bounded garbage: every value alive is in
    // the map or pending (each pending object holds at most one value).
    INFO("size " << map.size() << ", pending " << map.pending_reclamation() << ", live "
                 << instances.leaked());
    CHECK(map.pending_reclamation() <= garbage_bound(0));
    CHECK(instances.leaked() >= static_cast<long long>(map.size()));
    CHECK(instances.leaked() <= static_cast<long long>(map.size() + map.pending_reclamation()));
  }
  CHECK(instances.leaked() == 0);
  INFO(stats.describe());
  CHECK(stats.balanced());
}

TEST_CASE("a mass delete never leaves more than hard_limit objects pending", "[reclaim][bound]") {
  // Single-threaded, so between operations no thread is retiring: the bound is hard_limit.
  // More deleted keys than hard_limit, all expunged by one rebuild and listed by one retired
  // read table: freeing that table must not push the pending count past the bound.
  const instance_check instances;
  {
    syncmap::rcu_map<std::uint64_t, counted> map;
    std::size_t peak = 0;
    mass_delete_round(map, 0, retire_list::hard_limit + retire_list::hard_limit / 2, &peak);
    INFO("peak pending_reclamation() " << peak << ", bound " << garbage_bound(1));
    CHECK(peak <= garbage_bound(1));
  }
  CHECK(instances.leaked() == 0);
}

TEST_CASE("pending_reclamation() stays within hard_limit + threads throughout churn",
          "[reclaim][bound]") {
  const instance_check instances;
  {
    syncmap::rcu_map<std::uint64_t, counted> map;
    constexpr std::size_t writers = 3;
    const std::size_t steps = scaled(20000);
    std::atomic<std::size_t> writers_done{0};
    std::atomic<std::size_t> peak{0};
    std::atomic<std::size_t> samples{0};
    run_threads(writers + 1, [&](std::size_t thread) {
      if (thread == writers) {  // the sampler
        std::size_t mine = 0;
        std::size_t highest = 0;
        // acquire: pairs with the writers' release increments; only for termination.
        while (writers_done.load(std::memory_order_acquire) < writers) {
          highest = std::max(highest, map.pending_reclamation());
          ++mine;
          if (mine % 64 == 0) std::this_thread::yield();
        }
        peak.store(highest, std::memory_order_relaxed);  // relaxed: read after join
        samples.store(mine, std::memory_order_relaxed);  // relaxed: read after join
        return;
      }
      struct done_on_exit {
        std::atomic<std::size_t>& done;
        // release: pairs with the sampler's acquire load; only for termination.
        ~done_on_exit() { done.fetch_add(1, std::memory_order_release); }
      } done{writers_done};
      seeded_random random(thread + 500);
      for (std::size_t step = 0; step < steps; ++step) {
        churn_step(map, random, 300);
        // Now and then a burst of deletes of keys the read table lists (see mass_delete_round),
        // the case that retires many entries at once. Writers use disjoint key ranges.
        if (step % 5000 == 4999) {
          std::size_t ignored = 0;
          mass_delete_round(map, 100000 * (thread + 1), retire_list::hard_limit / 2, &ignored);
        }
      }
    });
    INFO("peak " << peak.load() << " over " << samples.load() << " samples; bound "
                 << garbage_bound(4));
    CHECK(samples.load() > 0);
    CHECK(peak.load() <= garbage_bound(4));
  }
  CHECK(instances.leaked() == 0);
}

TEST_CASE("threads that exit right after retiring leave nothing behind", "[reclaim][threads]") {
  const instance_check instances;
  allocation_stats stats(41);
  {
    counted_map map{counted_alloc(stats)};
    const std::size_t waves = scaled(50);
    for (std::size_t wave = 0; wave < waves; ++wave) {
      std::vector<std::thread> threads;
      for (std::size_t t = 0; t < 4; ++t) {
        threads.emplace_back([&map, wave, t] {
          seeded_random random(wave * 4 + t + 1);
          for (int i = 0; i < 40; ++i)
            churn_step(map, random, 64);
          // The last thing this thread does is retire: an overwrite and a delete.
          map.store(wave * 4 + t, wave);
          map.erase(wave * 4 + t);
        });
      }
      for (auto& thread : threads)
        thread.join();
    }
    CHECK(map.pending_reclamation() <= garbage_bound(0));
  }
  CHECK(instances.leaked() == 0);
  INFO(stats.describe());
  CHECK(stats.balanced());
}

TEST_CASE("maps created and destroyed concurrently while others read a long-lived map",
          "[reclaim][threads]") {
  const instance_check instances;
  {
    syncmap::rcu_map<std::uint64_t, payload_value> long_lived;
    constexpr std::uint64_t keys = 128;
    for (std::uint64_t k = 0; k < keys; ++k)
      long_lived.store(k, payload_value(k, 0));
    const std::size_t maps_per_thread = scaled(60);
    std::atomic<std::size_t> makers_done{0};
    run_threads(4, [&](std::size_t thread) {
      seeded_random random(thread + 600);
      if (thread < 2) {  // makers: short-lived maps, each used from this thread only
        struct done_on_exit {
          std::atomic<std::size_t>& done;
          // release: pairs with the readers' acquire load; only for termination.
          ~done_on_exit() { done.fetch_add(1, std::memory_order_release); }
        } done{makers_done};
        for (std::size_t m = 0; m < maps_per_thread; ++m) {
          syncmap::rcu_map<std::uint64_t, counted> map;
          for (std::size_t step = 0; step < 300; ++step)
            churn_step(map, random, 50);
          if (m % 2 == 0) {
            syncmap::rcu_map<std::uint64_t, counted> copy(map);  // a second map, destroyed first
            SYNCMAP_THREAD_CHECK(copy == map);
          }
        }
        return;
      }
      // Readers of the long-lived map; one also overwrites values with themselves, so the
      // long-lived map keeps retiring while the short-lived ones are destroyed.
      std::size_t step = 0;
      // acquire: pairs with the makers' release increments; only for termination.
      while (makers_done.load(std::memory_order_acquire) < 2 || step < 1000) {
        const std::uint64_t k = random.below(keys);
        const auto value = long_lived.load(k);
        SYNCMAP_THREAD_CHECK_MSG(value && *value == payload_value(k, 0),
                                 "long-lived key " + std::to_string(k));
        long_lived.visit(
            k, [k](const payload_value& v) { SYNCMAP_THREAD_CHECK(v.well_formed_for(k)); });
        if (thread == 3 && step % 4 == 0) long_lived.store(k, payload_value(k, 0));
        ++step;
      }
    });
    CHECK(long_lived.size() == keys);
  }
  CHECK(instances.leaked() == 0);
}

TEST_CASE("a reader parked in visit() holds back frees; writers wait at the limit",
          "[reclaim][stalled]") {
  // Thread 0 parks inside a visit() callback (a read section) holding a reference to the
  // value box of key 0. Threads 1 and 2 then overwrite key 0 (retiring that very box) and
  // keep overwriting other keys: 2 * hard_limit retires in all, more than the bound allows
  // while nothing can be freed, so they must block. Thread 3 watches: the pending count
  // reaches the limit and stays within the bound, and the writers cannot have finished. It
  // then releases the reader, which re-checks the box it still references: freed under it, the
  // canary reads DEAD (abort) or ASan reports a heap-use-after-free. Then all completes and
  // the map drains. No time is asserted: every wait is on a condition, with a generous bound.
  const instance_check instances;
  {
    syncmap::rcu_map<std::uint64_t, payload_value> map;
    constexpr std::uint64_t keys = 64;
    for (std::uint64_t k = 0; k < keys; ++k)
      map.store(k, payload_value(k, 0));
    (void)map.snapshot();  // promote, so writers take the lock-free path
    const std::size_t retires_per_writer = retire_list::hard_limit;
    const std::size_t wait_bound = 100000000;
    std::atomic<bool> parked{false};
    std::atomic<bool> release{false};
    std::atomic<std::size_t> writers_finished{0};
    std::atomic<bool> reader_saw_intact{false};
    std::atomic<std::size_t> peak_while_parked{0};
    run_threads(4, [&](std::size_t thread) {
      if (thread == 0) {
        const bool found = map.visit(0, [&](const payload_value& value) {
          const payload_value seen = value;
          parked.store(true, std::memory_order_release);  // release: pairs with wait_for_flag
          const bool released = wait_for_flag(release, wait_bound);
          // Still inside the section: the box must be intact even though it was replaced.
          reader_saw_intact.store(released && value.well_formed_for(0) && value == seen,
                                  std::memory_order_relaxed);  // relaxed: read after join
        });
        SYNCMAP_THREAD_CHECK(found);
        return;
      }
      if (thread < 3) {
        SYNCMAP_THREAD_CHECK(wait_for_flag(parked, wait_bound));
        map.store(0, payload_value(0, thread));  // retires the box the reader holds
        for (std::size_t i = 1; i < retires_per_writer; ++i) {
          const std::uint64_t k = 1 + (i * 2 + thread) % (keys - 1);
          map.store(k, payload_value(k, i));
        }
        // release: pairs with the watcher's acquire load.
        writers_finished.fetch_add(1, std::memory_order_release);
        return;
      }
      // The watcher. Releases the reader on every way out, so a failed check cannot hang it.
      struct release_on_exit {
        std::atomic<bool>& release;
        // release: pairs with the reader's acquire in wait_for_flag.
        ~release_on_exit() { release.store(true, std::memory_order_release); }
      } release_reader{release};
      SYNCMAP_THREAD_CHECK(wait_for_flag(parked, wait_bound));
      std::size_t round = 0;
      while (map.pending_reclamation() < retire_list::hard_limit) {
        SYNCMAP_THREAD_CHECK_MSG(++round < wait_bound, "garbage never reached hard_limit");
        // acquire: pairs with the writers' release increments.
        SYNCMAP_THREAD_CHECK_MSG(writers_finished.load(std::memory_order_acquire) == 0,
                                 "a writer finished while the reader was parked");
        std::this_thread::yield();
      }
      // The writers are at the limit. Watch a while longer: they stay blocked and the count
      // stays bounded.
      std::size_t highest = 0;
      for (int i = 0; i < 2000; ++i) {
        highest = std::max(highest, map.pending_reclamation());
        std::this_thread::yield();
      }
      peak_while_parked.store(highest, std::memory_order_relaxed);  // relaxed: read after join
      // acquire: pairs with the writers' release increments.
      SYNCMAP_THREAD_CHECK_MSG(writers_finished.load(std::memory_order_acquire) == 0,
                               "a writer finished while the reader was parked");
    });
    INFO("peak pending while parked " << peak_while_parked.load() << ", bound "
                                      << garbage_bound(4));
    CHECK(reader_saw_intact.load());
    CHECK(peak_while_parked.load() >= retire_list::hard_limit);
    CHECK(peak_while_parked.load() <= garbage_bound(4));
    for (std::uint64_t k = 0; k < keys; ++k) {
      const auto value = map.load(k);
      REQUIRE(value.has_value());
      REQUIRE(value->well_formed_for(k));
    }
  }
  CHECK(instances.leaked() == 0);
}

TEST_CASE("a writer inside its own visit() section retires past the limit without deadlock",
          "[reclaim][stalled]") {
  // A retire from inside a read section never waits (it would wait for itself); the bound
  // slips for that thread instead. Here the writer's own section is the one holding frees
  // back, with a second reader parked as well; the writer must finish anyway.
  const instance_check instances;
  {
    syncmap::rcu_map<std::uint64_t, counted> map;
    for (std::uint64_t k = 0; k < 16; ++k)
      map.store(k, k);
    const std::size_t wait_bound = 100000000;
    std::atomic<bool> parked{false};
    std::atomic<bool> release{false};
    std::atomic<bool> writer_finished{false};
    run_threads(2, [&](std::size_t thread) {
      if (thread == 0) {
        map.visit(1, [&](const counted& value) {
          parked.store(true, std::memory_order_release);  // release: pairs with wait_for_flag
          SYNCMAP_THREAD_CHECK(wait_for_flag(release, wait_bound));
          SYNCMAP_THREAD_CHECK(value.value() == 1);
        });
        return;
      }
      struct release_on_exit {
        std::atomic<bool>& release;
        // release: pairs with the reader's acquire in wait_for_flag.
        ~release_on_exit() { release.store(true, std::memory_order_release); }
      } release_reader{release};
      SYNCMAP_THREAD_CHECK(wait_for_flag(parked, wait_bound));
      map.visit(0, [&](const counted&) {
        for (std::size_t i = 0; i < retire_list::hard_limit + 200; ++i) {
          map.store(2 + i % 14, i);
        }
      });
      writer_finished.store(true, std::memory_order_relaxed);  // relaxed: read after join
    });
    CHECK(writer_finished.load());
  }
  CHECK(instances.leaked() == 0);
}
