// syncmap tests: "nothing lost" checks for concurrent maps, one call each.
// SPDX-License-Identifier: MIT
//
// Each check_* function drives a caller-supplied, empty map from default_thread_count (4)
// threads released together, then verifies an exact invariant after joining: sums that must
// come out exact, one winner per key, every stable key visited exactly once, and so on. The
// invariants come from the projects that test concurrent maps best (Go's sync.Map tests,
// oneTBB's conformance tests, Boost.Unordered's cfoa tests, libcuckoo's checked stress
// test; see /work/shared/notes/reliability.md) and hold for any linearizable map with the
// API.md surface, so sharded_map's and rcu_map's tests call the same functions.
//
// Keys come from key_maker<Map::key_type> and values from value_codec<Map::mapped_type>
// (random_ops.hpp), so a check runs with integer, string or colliding keys and integer or
// counted values. Iteration counts are the caller's nominal numbers multiplied by
// stress_scale() (SYNCMAP_STRESS_SCALE); at scale 1 each check takes well under a second,
// also under ThreadSanitizer on two cores.
//
// Worker threads report a broken invariant by throwing (SYNCMAP_THREAD_CHECK); the
// exception reaches the test through run_threads(). Waits on other threads are bounded so a
// worker that threw cannot hang the rest. Final checks run in the calling thread with
// Catch2's REQUIRE.
#ifndef SYNCMAP_TESTS_SUPPORT_CONCURRENCY_CHECKS_HPP
#define SYNCMAP_TESTS_SUPPORT_CONCURRENCY_CHECKS_HPP

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "catch.hpp"
#include "random_ops.hpp"
#include "stress.hpp"
#include "thread_runner.hpp"

namespace syncmap_test {

namespace concurrency_detail {

template <class Map>
using key_of = key_maker<typename Map::key_type>;
template <class Map>
using codec_of = value_codec<typename Map::mapped_type>;

template <class Map>
typename Map::mapped_type value(std::uint64_t n) {
  return codec_of<Map>::make(n);
}
template <class Map>
std::uint64_t number(const typename Map::mapped_type& value) {
  return codec_of<Map>::number(value);
}

// Sets a flag when destroyed, so threads waiting for it stop even if its owner threw.
class done_on_exit {
 public:
  explicit done_on_exit(std::atomic<bool>& done) noexcept : done_(done) {}
  ~done_on_exit() {
    // relaxed: the flag only tells waiters to stop; it publishes no data.
    done_.store(true, std::memory_order_relaxed);
  }
  done_on_exit(const done_on_exit&) = delete;
  done_on_exit& operator=(const done_on_exit&) = delete;

 private:
  std::atomic<bool>& done_;
};

inline bool is_done(const std::atomic<bool>& done) noexcept {
  return done.load(std::memory_order_relaxed);  // relaxed: see done_on_exit
}

// A bound on loops that wait for another thread: far above what a healthy run needs.
inline std::size_t wait_bound(std::size_t nominal) {
  return 1000 * scaled(nominal) + 1000000;
}

// Compares the whole contents of `map` with `expected` (key index -> value number).
template <class Map>
void require_contents(const Map& map, const std::vector<std::optional<std::uint64_t>>& expected) {
  std::size_t present = 0;
  std::string problems;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto loaded = map.load(key_of<Map>::make(i));
    const std::optional<std::uint64_t> actual =
        loaded ? std::optional<std::uint64_t>(number<Map>(*loaded)) : std::nullopt;
    if (actual != expected[i] && problems.size() < 2000) {
      problems +=
          " key " + std::to_string(i) + ": " + show(actual) + " not " + show(expected[i]) + ";";
    }
    if (expected[i]) ++present;
  }
  const auto entries = map.snapshot();
  INFO("mismatches:" << problems);
  REQUIRE(problems.empty());
  REQUIRE(entries.size() == present);
  REQUIRE(map.size() == present);
  REQUIRE(map.empty() == (present == 0));
}

// Runs drive(thread) on threads [0, drivers) and follow(thread, pass) over and over on the
// others (pass = 0, 1, ...) until every driver has returned or thrown; each follower makes at
// least one pass, and at least one follower runs (also with SYNCMAP_STRESS_THREADS=2).
// Followers yield between passes and sleep briefly every 8th.
template <class Drive, class Follow>
void run_while_drivers_run(std::size_t drivers, Drive drive, Follow follow) {
  std::atomic<std::size_t> running{drivers};
  run_threads(std::max(default_thread_count, drivers + 1), [&](std::size_t thread) {
    if (thread < drivers) {
      struct finished {
        std::atomic<std::size_t>& running;
        // relaxed: the count only ends the followers' loops; it publishes no data.
        ~finished() { running.fetch_sub(1, std::memory_order_relaxed); }
      } on_exit{running};
      drive(thread);
      return;
    }
    // relaxed: see `finished`.
    for (std::size_t pass = 0; pass == 0 || running.load(std::memory_order_relaxed) != 0; ++pass) {
      follow(thread, pass);
      // Lets a driver in: a reader-preferring lock (glibc's std::shared_mutex) would otherwise
      // keep a driver that needs it exclusively waiting for as long as followers keep reading.
      if (pass % 8 == 7) {
        std::this_thread::sleep_for(std::chrono::microseconds(1));
      } else {
        std::this_thread::yield();
      }
    }
  });
}

// The churn of check_for_each_under_churn and the checks after it: keys [0, stable) stay
// present and are overwritten with multiples of (index + 1); keys [stable, stable + churn)
// come (with value index + 1) and go. One step does one of each.
template <class Map>
void churn_step(Map& map, seeded_random& random, std::size_t stable, std::size_t churn) {
  const std::size_t c = stable + random.below(churn);
  if (random.chance(2)) {
    map.store(key_of<Map>::make(c), value<Map>(c + 1));
  } else {
    map.erase(key_of<Map>::make(c));
  }
  const std::size_t s = random.below(stable);
  map.store(key_of<Map>::make(s), value<Map>((s + 1) * (1 + random.below(1000))));
}

// Whether `stored` is a value churn_step (or the setup that precedes it) gives key k.
template <class Map>
bool churned_value_fits(std::size_t k, const typename Map::mapped_type& stored) {
  return number<Map>(stored) % (k + 1) == 0;
}

// Stores the stable keys' first values and runs churn_step `steps` times on `writers` threads
// while follow(thread, pass) runs on the others.
template <class Map, class Follow>
void run_under_churn(Map& map, std::size_t stable, std::size_t churn, std::size_t steps,
                     Follow follow) {
  for (std::size_t k = 0; k < stable; ++k)
    map.store(key_of<Map>::make(k), value<Map>(k + 1));
  run_while_drivers_run(
      2,
      [&](std::size_t thread) {
        seeded_random random(thread + 7);
        for (std::size_t i = 0; i < steps; ++i)
          churn_step(map, random, stable, churn);
      },
      follow);
}

}  // namespace concurrency_detail

// Concurrent upsert(+1) on `key_count` keys: every increment lands exactly once. Few keys
// (1-8) make every call contend on the same entries; many keys exercise growth while
// counting. Half of the increments go through update() first and fall back to upsert() when
// the key is not there yet, so update's read-modify-write is counted too.
template <class Map>
void check_upsert_counts(Map& map, std::size_t key_count, std::size_t increments_per_thread) {
  using namespace concurrency_detail;
  using mapped = typename Map::mapped_type;
  const std::size_t threads = default_thread_count;
  const std::size_t increments = scaled(increments_per_thread);
  const auto key_index = [key_count](std::size_t thread, std::size_t i) {
    return (i * 7 + thread * 13) % key_count;
  };
  // Read, dawdle, write: the pause widens the window in which a second writer that is not
  // excluded (a shared lock taken by mistake) would read the same old value.
  const auto increment = [](mapped& stored) {
    const std::uint64_t old = number<Map>(stored);
    volatile int dawdle = 0;
    for (int spin = 0; spin < 64; ++spin)
      dawdle = spin;  // volatile: not optimized away
    (void)dawdle;
    stored = value<Map>(old + 1);
  };
  run_threads(threads, [&](std::size_t thread) {
    for (std::size_t i = 0; i < increments; ++i) {
      const std::size_t k = key_index(thread, i);
      if (i % 2 == 0 && map.update(key_of<Map>::make(k), increment)) continue;
      map.upsert(key_of<Map>::make(k), increment, std::uint64_t{1});
    }
  });
  std::vector<std::optional<std::uint64_t>> expected(key_count);
  for (std::size_t thread = 0; thread < threads; ++thread) {
    for (std::size_t i = 0; i < increments; ++i) {
      auto& count = expected[key_index(thread, i)];
      count = count.value_or(0) + 1;
    }
  }
  require_contents(map, expected);
}

// Each thread inserts its own keys, rotating through every inserting operation, and each
// insert must report "new key"; afterwards size and contents are exact.
template <class Map>
void check_disjoint_inserts(Map& map, std::size_t keys_per_thread) {
  using namespace concurrency_detail;
  const std::size_t threads = default_thread_count;
  const std::size_t per_thread = scaled(keys_per_thread);
  run_threads(threads, [&](std::size_t thread) {
    for (std::size_t i = 0; i < per_thread; ++i) {
      const std::size_t k = i * threads + thread;
      const auto key = key_of<Map>::make(k);
      const std::uint64_t v = k % 1000;
      bool inserted = false;
      switch (i % 6) {
        case 0:
          inserted = map.store(key, value<Map>(v));
          break;
        case 1:
          inserted = map.try_emplace(key, v);
          break;
        case 2:
          inserted = !map.load_or_store(key, value<Map>(v)).second;
          break;
        case 3:
          inserted = !map.load_or_store_with(key, [v] { return value<Map>(v); }).second;
          break;
        case 4:
          inserted = !map.exchange(key, value<Map>(v)).has_value();
          break;
        default:
          inserted = map.upsert(
              key, [](typename Map::mapped_type&) {}, v);
          break;
      }
      SYNCMAP_THREAD_CHECK_MSG(inserted, "key " + std::to_string(k) + " reported present");
      const auto loaded = map.load(key);
      SYNCMAP_THREAD_CHECK_MSG(loaded && number<Map>(*loaded) == v,
                               "key " + std::to_string(k) + " not readable after its insert");
    }
  });
  std::vector<std::optional<std::uint64_t>> expected(threads * per_thread);
  for (std::size_t k = 0; k < expected.size(); ++k)
    expected[k] = k % 1000;
  require_contents(map, expected);
}

// Growth under concurrent inserts, starting from an empty map (pass one with the smallest
// configuration, e.g. a single shard). Each thread publishes how many of its keys it has
// inserted; the others keep loading keys below that mark, which must be there: an insert
// that completed before the load began must never be missed, even while a rehash moves it.
template <class Map>
void check_growth_keeps_everything(Map& map, std::size_t keys_per_thread) {
  using namespace concurrency_detail;
  const std::size_t threads = default_thread_count;
  const std::size_t per_thread = scaled(keys_per_thread);
  std::vector<std::atomic<std::size_t>> progress(threads);
  for (auto& p : progress)
    p.store(0, std::memory_order_relaxed);  // relaxed: before start
  run_threads(threads, [&](std::size_t thread) {
    seeded_random random(thread + 1);
    for (std::size_t i = 0; i < per_thread; ++i) {
      const std::size_t k = i * threads + thread;
      SYNCMAP_THREAD_CHECK(map.try_emplace(key_of<Map>::make(k), k % 1000));
      // release: whoever acquires this count also sees the completed insert of key k.
      progress[thread].store(i + 1, std::memory_order_release);
      const std::size_t other = random.below(threads);
      // acquire: pairs with the release above in thread `other`.
      const std::size_t done = progress[other].load(std::memory_order_acquire);
      if (done == 0) continue;
      const std::size_t j = done - 1 - random.below(done < 64 ? done : 64);
      const std::size_t other_key = j * threads + other;
      const auto loaded = map.load(key_of<Map>::make(other_key));
      SYNCMAP_THREAD_CHECK_MSG(loaded && number<Map>(*loaded) == other_key % 1000,
                               "key " + std::to_string(other_key) + " lost during growth");
    }
  });
  std::vector<std::optional<std::uint64_t>> expected(threads * per_thread);
  for (std::size_t k = 0; k < expected.size(); ++k)
    expected[k] = k % 1000;
  require_contents(map, expected);
}

// Every thread load_or_store()s (or load_or_store_with()s) every key with its own id, in
// the same order, so they collide on each key at about the same moment. Exactly one call
// per key reports loaded == false, and every call returns that winner's value.
template <class Map>
void check_load_or_store_race(Map& map, std::size_t key_count) {
  using namespace concurrency_detail;
  const std::size_t threads = default_thread_count;
  const std::size_t keys = scaled(key_count);
  // results[thread][k] = (value number seen, loaded)
  std::vector<std::vector<std::pair<std::uint64_t, bool>>> results(threads);
  run_threads(threads, [&](std::size_t thread) {
    auto& mine = results[thread];
    mine.reserve(keys);
    for (std::size_t k = 0; k < keys; ++k) {
      const auto key = key_of<Map>::make(k);
      if (k % 2 == 0) {
        const auto [seen, loaded] = map.load_or_store(key, value<Map>(thread));
        mine.emplace_back(number<Map>(seen), loaded);
      } else {
        int makes = 0;
        const auto [seen, loaded] = map.load_or_store_with(key, [&] {
          ++makes;
          return value<Map>(thread);
        });
        SYNCMAP_THREAD_CHECK_MSG(makes <= 1, "make() ran " + std::to_string(makes) + " times");
        SYNCMAP_THREAD_CHECK(loaded || makes == 1);
        mine.emplace_back(number<Map>(seen), loaded);
      }
    }
  });
  std::string problems;
  std::vector<std::optional<std::uint64_t>> expected(keys);
  for (std::size_t k = 0; k < keys; ++k) {
    std::size_t winners = 0;
    std::uint64_t winner = 0;
    for (std::size_t thread = 0; thread < threads; ++thread) {
      if (!results[thread][k].second) {
        ++winners;
        winner = thread;
      }
    }
    for (std::size_t thread = 0; thread < threads; ++thread) {
      if (winners == 1 && results[thread][k].first != winner && problems.size() < 2000) {
        problems += " key " + std::to_string(k) + ": thread " + std::to_string(thread) + " saw " +
                    std::to_string(results[thread][k].first) + ", winner stored " +
                    std::to_string(winner) + ";";
      }
    }
    if (winners != 1 && problems.size() < 2000) {
      problems += " key " + std::to_string(k) + ": " + std::to_string(winners) + " winners;";
    }
    expected[k] = winner;
  }
  INFO("problems:" << problems);
  REQUIRE(problems.empty());
  require_contents(map, expected);
}

// compare_and_swap counters: every thread increments keys with load + CAS(v, v+1) retry
// loops; no increment may be lost or doubled.
template <class Map>
void check_cas_counters(Map& map, std::size_t key_count, std::size_t increments_per_thread) {
  using namespace concurrency_detail;
  const std::size_t threads = default_thread_count;
  const std::size_t increments = scaled(increments_per_thread);
  for (std::size_t k = 0; k < key_count; ++k)
    map.store(key_of<Map>::make(k), value<Map>(0));
  const std::size_t bound = wait_bound(increments_per_thread);
  run_threads(threads, [&](std::size_t thread) {
    for (std::size_t i = 0; i < increments; ++i) {
      const auto key = key_of<Map>::make((i + thread) % key_count);
      for (std::size_t attempt = 0;; ++attempt) {
        SYNCMAP_THREAD_CHECK_MSG(attempt < bound, "CAS never succeeded");
        const auto current = map.load(key);
        SYNCMAP_THREAD_CHECK(current.has_value());
        if (map.compare_and_swap(key, *current, value<Map>(number<Map>(*current) + 1))) break;
      }
    }
  });
  std::vector<std::optional<std::uint64_t>> expected(key_count, std::uint64_t{0});
  for (std::size_t thread = 0; thread < threads; ++thread) {
    for (std::size_t i = 0; i < increments; ++i) {
      auto& count = expected[(i + thread) % key_count];
      count = *count + 1;
    }
  }
  require_contents(map, expected);
}

// Rounds of: fill the map, then all threads race to remove every key (load_and_delete, or
// load + compare_and_delete), each from a different starting point. Every value must be
// taken exactly once: the sum and count of what the threads got equal what was stored, and
// the map ends empty.
template <class Map>
void check_delete_race(Map& map, std::size_t key_count, std::size_t rounds) {
  using namespace concurrency_detail;
  const std::size_t threads = default_thread_count;
  const std::size_t round_count = scaled(rounds);
  for (std::size_t round = 0; round < round_count; ++round) {
    std::uint64_t stored_sum = 0;
    for (std::size_t k = 0; k < key_count; ++k) {
      const std::uint64_t v = (k * 31 + round) % 1000 + 1;
      map.store(key_of<Map>::make(k), value<Map>(v));
      stored_sum += v;
    }
    std::atomic<std::uint64_t> taken_sum{0};
    std::atomic<std::size_t> taken_count{0};
    run_threads(threads, [&](std::size_t thread) {
      std::uint64_t sum = 0;
      std::size_t count = 0;
      for (std::size_t i = 0; i < key_count; ++i) {
        const auto key = key_of<Map>::make((i + thread * key_count / threads) % key_count);
        if ((i + thread) % 2 == 0) {
          if (const auto taken = map.load_and_delete(key)) {
            sum += number<Map>(*taken);
            ++count;
          }
        } else if (const auto seen = map.load(key)) {
          if (map.compare_and_delete(key, *seen)) {
            sum += number<Map>(*seen);
            ++count;
          }
        }
      }
      taken_sum.fetch_add(sum, std::memory_order_relaxed);      // relaxed: read after join
      taken_count.fetch_add(count, std::memory_order_relaxed);  // relaxed: read after join
    });
    INFO("round " << round);
    // A key a thread skipped (its compare_and_delete lost to a concurrent remover, or its
    // load came after) was removed by someone else, so the totals must still be exact.
    REQUIRE(taken_count.load() == key_count);
    REQUIRE(taken_sum.load() == stored_sum);
    REQUIRE(map.empty());
    REQUIRE(map.size() == 0);
    REQUIRE(map.snapshot().empty());
  }
}

// Go's TestConcurrentRange, extended: stable keys [0, stable) are present throughout while
// two writers churn other keys [stable, stable + churn) in and out and overwrite stable
// values with multiples of (key index + 1). Two readers run for_each (and snapshot) over and
// over: each pass visits every stable key exactly once with a value that is a multiple of
// its index + 1, and every churn key at most once.
template <class Map>
void check_for_each_under_churn(Map& map, std::size_t stable, std::size_t churn,
                                std::size_t passes) {
  using namespace concurrency_detail;
  using key_type = typename Map::key_type;
  using mapped = typename Map::mapped_type;
  const std::size_t reader_passes = scaled(passes);
  for (std::size_t k = 0; k < stable; ++k)
    map.store(key_of<Map>::make(k), value<Map>(k + 1));
  std::atomic<bool> readers_done[2] = {false, false};
  const std::size_t bound = wait_bound(passes * (stable + churn));
  run_threads(4, [&](std::size_t thread) {
    if (thread < 2) {  // writer
      seeded_random random(thread + 7);
      for (std::size_t i = 0; i < bound; ++i) {
        if (is_done(readers_done[0]) && is_done(readers_done[1])) return;
        churn_step(map, random, stable, churn);
      }
      return;
    }
    done_on_exit done(readers_done[thread - 2]);
    std::vector<unsigned> visits(stable + churn);
    for (std::size_t pass = 0; pass < reader_passes; ++pass) {
      std::fill(visits.begin(), visits.end(), 0u);
      const auto record = [&](const key_type& key, const mapped& stored) {
        const std::size_t k = key_of<Map>::index(key);
        SYNCMAP_THREAD_CHECK_MSG(k < stable + churn, "unknown key " + std::to_string(k));
        SYNCMAP_THREAD_CHECK_MSG(churned_value_fits<Map>(k, stored),
                                 "key " + std::to_string(k) + " holds a value it never had");
        ++visits[k];
      };
      if (pass % 4 == 3) {
        for (const auto& [key, stored] : map.snapshot())
          record(key, stored);
      } else {
        const std::size_t calls = map.for_each(record);
        SYNCMAP_THREAD_CHECK(calls >= stable && calls <= stable + churn);
      }
      for (std::size_t k = 0; k < stable + churn; ++k) {
        SYNCMAP_THREAD_CHECK_MSG(k < stable ? visits[k] == 1 : visits[k] <= 1,
                                 "key " + std::to_string(k) + " visited " +
                                     std::to_string(visits[k]) + " times in pass " +
                                     std::to_string(pass));
      }
    }
  });
}

// Copy construction while two writers churn (run_under_churn): every copy holds each stable
// key exactly once and only values its keys were given. A copy reads the whole source, so
// it must exclude the writers from each part while it reads it (sharded_map: the shared
// lock on every source shard).
template <class Map>
void check_copy_under_churn(Map& map, std::size_t stable, std::size_t churn, std::size_t steps) {
  using namespace concurrency_detail;
  using key_type = typename Map::key_type;
  using mapped = typename Map::mapped_type;
  run_under_churn(map, stable, churn, scaled(steps), [&](std::size_t, std::size_t) {
    const Map copy(map);
    std::size_t stable_seen = 0;
    const std::size_t calls = copy.for_each([&](const key_type& key, const mapped& stored) {
      const std::size_t k = key_of<Map>::index(key);
      SYNCMAP_THREAD_CHECK_MSG(k < stable + churn && churned_value_fits<Map>(k, stored),
                               "the copy holds key " + std::to_string(k) + " with a wrong value");
      stable_seen += k < stable;
    });
    SYNCMAP_THREAD_CHECK_MSG(stable_seen == stable && calls == copy.size(),
                             std::to_string(stable_seen) + " stable keys, " +
                                 std::to_string(calls) + " entries in a copy of size " +
                                 std::to_string(copy.size()));
  });
}

// contains() and visit() while two writers churn (run_under_churn): every stable key is
// always found, and visit() sees only values its key was given.
template <class Map>
void check_lookups_under_churn(Map& map, std::size_t stable, std::size_t churn, std::size_t steps) {
  using namespace concurrency_detail;
  run_under_churn(map, stable, churn, scaled(steps), [&](std::size_t thread, std::size_t pass) {
    const std::size_t k = (pass * 31 + thread) % (stable + churn);
    const auto key = key_of<Map>::make(k);
    const bool present = map.contains(key);
    SYNCMAP_THREAD_CHECK_MSG(present || k >= stable,
                             "stable key " + std::to_string(k) + " missing");
    const bool visited = map.visit(key, [&](const typename Map::mapped_type& stored) {
      SYNCMAP_THREAD_CHECK_MSG(churned_value_fits<Map>(k, stored),
                               "key " + std::to_string(k) + " holds a value it never had");
    });
    SYNCMAP_THREAD_CHECK(visited || k >= stable);
  });
}

// Whole-map erase_if(pred) that keeps finding entries to erase, while lookups run: one
// thread erases every odd value over and over, another keeps overwriting the stable keys
// (even values) and storing odd values under the other keys, the rest load() and contains()
// stable keys, which must always be there with an even value. pred reads each value in full,
// also one that a writer has just stored. With the erases racing lookups of the same entries,
// erase_if must hold each part of the map exclusively (sharded_map's exclusive shard lock);
// with values overwritten under it, it must see each one fully built (rcu_map's acquire load
// of an entry's value).
template <class Map>
void check_erase_if_during_lookups(Map& map, std::size_t stable, std::size_t doomed,
                                   std::size_t passes) {
  using namespace concurrency_detail;
  using key_type = typename Map::key_type;
  using mapped = typename Map::mapped_type;
  const std::size_t pass_count = scaled(passes);
  for (std::size_t k = 0; k < stable + doomed; ++k)
    map.store(key_of<Map>::make(k), value<Map>(k < stable ? 2 * k : 2 * k + 1));
  const auto odd = [](const key_type&, const mapped& stored) {
    return number<Map>(stored) % 2 == 1;
  };
  run_while_drivers_run(
      2,
      [&](std::size_t thread) {
        for (std::size_t pass = 0; pass < pass_count; ++pass) {
          if (thread == 0) {
            map.erase_if(odd);
            continue;
          }
          for (std::size_t k = 0; k < stable + doomed; ++k) {
            const std::uint64_t v = k < stable ? 2 * (k + pass) : 2 * (k + pass) + 1;
            map.store(key_of<Map>::make(k), value<Map>(v));
          }
        }
      },
      [&](std::size_t thread, std::size_t pass) {
        const std::size_t k = (pass * 7 + thread) % stable;
        const auto key = key_of<Map>::make(k);
        const auto loaded = map.load(key);
        SYNCMAP_THREAD_CHECK_MSG(loaded && number<Map>(*loaded) % 2 == 0 && map.contains(key),
                                 "stable key " + std::to_string(k) + " lost or odd");
      });
  map.erase_if(odd);
  std::vector<std::optional<std::uint64_t>> expected(stable + doomed);
  for (std::size_t k = 0; k < stable; ++k)
    expected[k] = 2 * (k + pass_count - 1);
  require_contents(map, expected);
}

// clear() racing lookups: one thread fills keys [0, keys) and clears the map, `rounds` times;
// the others load() and contains() those keys meanwhile, finding each absent or with the
// value it was stored with. clear must hold each part of the map exclusively against the
// shared lookups (sharded_map: clear's exclusive shard lock; pass a map with one shard, so
// every lookup meets the clear).
template <class Map>
void check_clear_during_lookups(Map& map, std::size_t keys, std::size_t rounds) {
  using namespace concurrency_detail;
  const std::size_t round_count = scaled(rounds);
  run_while_drivers_run(
      1,
      [&](std::size_t) {
        for (std::size_t round = 0; round < round_count; ++round) {
          for (std::size_t k = 0; k < keys; ++k)
            map.store(key_of<Map>::make(k), value<Map>(k + 1));
          map.clear();
        }
      },
      [&](std::size_t thread, std::size_t pass) {
        const std::size_t k = (pass * 5 + thread) % keys;
        const auto loaded = map.load(key_of<Map>::make(k));
        SYNCMAP_THREAD_CHECK_MSG(!loaded || number<Map>(*loaded) == k + 1,
                                 "key " + std::to_string(k) + " holds a value it never had");
        (void)map.contains(key_of<Map>::make(k));
      });
  REQUIRE(map.empty());
  REQUIRE(map.size() == 0);
  REQUIRE(map.snapshot().empty());
}

// Whole-map erase_if concurrently with inserts of keys it must not match: prefilled keys
// with odd values are all erased (by one or more erase_if passes), the even-valued keys
// inserted meanwhile all survive.
template <class Map>
void check_erase_if_during_inserts(Map& map, std::size_t matching, std::size_t inserts_per_thread) {
  using namespace concurrency_detail;
  using key_type = typename Map::key_type;
  using mapped = typename Map::mapped_type;
  const std::size_t inserters = default_thread_count - 1;
  const std::size_t per_thread = scaled(inserts_per_thread);
  for (std::size_t k = 0; k < matching; ++k)
    map.store(key_of<Map>::make(k), value<Map>(2 * k + 1));
  std::atomic<std::size_t> erased{0};
  std::atomic<std::size_t> inserters_done{0};
  run_threads(default_thread_count, [&](std::size_t thread) {
    if (thread == 0) {
      const auto odd = [](const key_type&, const mapped& stored) {
        return number<Map>(stored) % 2 == 1;
      };
      // Keep erasing while the inserters run, and once more after they finished. (Every
      // matching key is there from the start, so the first pass already gets them all.)
      std::size_t total = 0;
      // relaxed: the count only ends the loop; no data is read through it.
      while (inserters_done.load(std::memory_order_relaxed) < inserters) {
        total += map.erase_if(odd);
        std::this_thread::yield();
      }
      total += map.erase_if(odd);
      erased.store(total, std::memory_order_relaxed);  // relaxed: read after join
      return;
    }
    for (std::size_t i = 0; i < per_thread; ++i) {
      const std::size_t k = matching + i * inserters + (thread - 1);
      SYNCMAP_THREAD_CHECK(map.store(key_of<Map>::make(k), value<Map>(2 * k)));
    }
    inserters_done.fetch_add(1, std::memory_order_relaxed);  // relaxed: see the eraser's loop
  });
  REQUIRE(erased.load() == matching);
  std::vector<std::optional<std::uint64_t>> expected(matching + inserters * per_thread);
  for (std::size_t k = matching; k < expected.size(); ++k)
    expected[k] = 2 * k;
  require_contents(map, expected);
}

// size() is never torn and never impossible: while three threads insert and erase keys of a
// space of `key_space`, a fourth samples size() and empty(), which must stay within
// [0, key_space]. Once the writers stop, size() is exact.
template <class Map>
void check_size_bounds(Map& map, std::size_t key_space, std::size_t ops_per_thread) {
  using namespace concurrency_detail;
  const std::size_t ops = scaled(ops_per_thread);
  std::atomic<std::size_t> writers_done{0};
  std::atomic<std::size_t> samples{0};
  run_threads(default_thread_count, [&](std::size_t thread) {
    if (thread == 0) {
      std::size_t taken = 0;
      // At least one sample, also when a lone writer (SYNCMAP_STRESS_THREADS=2) finishes first.
      // relaxed: the count only ends the loop; no data is read through it.
      do {
        const std::size_t size = map.size();
        SYNCMAP_THREAD_CHECK_MSG(size <= key_space, "size() returned " + std::to_string(size));
        const bool empty = map.empty();
        (void)empty;
        ++taken;
      } while (writers_done.load(std::memory_order_relaxed) < default_thread_count - 1);
      samples.store(taken, std::memory_order_relaxed);  // relaxed: read after join
      return;
    }
    seeded_random random(thread);
    for (std::size_t i = 0; i < ops; ++i) {
      const auto key = key_of<Map>::make(random.below(key_space));
      if (random.chance(3)) {
        map.erase(key);
      } else {
        map.store(key, value<Map>(i % 1000));
      }
    }
    writers_done.fetch_add(1, std::memory_order_relaxed);  // relaxed: see the sampler
  });
  std::size_t present = 0;
  for (std::size_t k = 0; k < key_space; ++k)
    present += map.contains(key_of<Map>::make(k));
  REQUIRE(samples.load() > 0);
  REQUIRE(map.size() == present);
  REQUIRE(map.snapshot().size() == present);
}

// oneTBB's InsertErase on a few hot keys: threads try_emplace and erase (or
// load_and_delete) the same keys over and over, counting their successes per key. At the
// end successful inserts - successful erases == 1 exactly for the keys still present.
template <class Map>
void check_insert_erase_net_effect(Map& map, std::size_t key_count, std::size_t ops_per_thread) {
  using namespace concurrency_detail;
  const std::size_t ops = scaled(ops_per_thread);
  std::vector<std::atomic<long long>> net(key_count);
  for (auto& n : net)
    n.store(0, std::memory_order_relaxed);  // relaxed: before start
  run_threads(default_thread_count, [&](std::size_t thread) {
    seeded_random random(thread + 100);
    std::vector<long long> mine(key_count, 0);
    for (std::size_t i = 0; i < ops; ++i) {
      const std::size_t k = random.below(key_count);
      const auto key = key_of<Map>::make(k);
      switch (random.below(3)) {
        case 0:
          mine[k] += map.try_emplace(key, k) ? 1 : 0;
          break;
        case 1:
          mine[k] -= static_cast<long long>(map.erase(key));
          break;
        default:
          mine[k] -= map.load_and_delete(key).has_value() ? 1 : 0;
          break;
      }
    }
    for (std::size_t k = 0; k < key_count; ++k) {
      net[k].fetch_add(mine[k], std::memory_order_relaxed);  // relaxed: read after join
    }
  });
  std::vector<std::optional<std::uint64_t>> expected(key_count);
  for (std::size_t k = 0; k < key_count; ++k) {
    const long long n = net[k].load();
    INFO("key " << k << " net inserts " << n);
    REQUIRE((n == 0 || n == 1));
    if (n == 1) expected[k] = k;
  }
  require_contents(map, expected);
}

// A value whose two halves must always be equal. Writers change both halves in one
// operation (store, update, upsert, exchange); a reader that ever sees them differ saw a
// write half done: a value read without the lock that orders it against writers.
struct twin_value {
  std::uint64_t first = 0;
  std::uint64_t second = 0;

  twin_value() = default;
  twin_value(std::uint64_t n) noexcept : first(n), second(n) {}
  std::uint64_t value() const noexcept { return first; }
  bool consistent() const noexcept { return first == second; }

  friend bool operator==(const twin_value& a, const twin_value& b) noexcept {
    return a.first == b.first && a.second == b.second;
  }
  friend bool operator!=(const twin_value& a, const twin_value& b) noexcept { return !(a == b); }
};

inline std::string describe(const twin_value& value) {
  return "twin(" + std::to_string(value.first) + ", " + std::to_string(value.second) + ")";
}

// Two writers update a few keys holding twin_value (mapped_type must be twin_value) in place
// through update() and upsert(), and replace them with store()/exchange(); two readers
// visit(), load() and for_each() them. Readers must never see a half-written value, and the
// in-place increments must add up.
template <class Map>
void check_no_torn_values(Map& map, std::size_t key_count, std::size_t ops_per_thread) {
  using namespace concurrency_detail;
  using key_type = typename Map::key_type;
  const std::size_t ops = scaled(ops_per_thread);
  for (std::size_t k = 0; k < key_count; ++k)
    map.store(key_of<Map>::make(k), twin_value(0));
  const auto bump = [](twin_value& stored) {
    ++stored.first;
    std::atomic_signal_fence(std::memory_order_seq_cst);  // keep the two writes apart
    ++stored.second;
  };
  std::atomic<std::uint64_t> increments{0};
  run_threads(default_thread_count, [&](std::size_t thread) {
    seeded_random random(thread + 55);
    if (thread < 2) {
      std::uint64_t mine = 0;
      for (std::size_t i = 0; i < ops; ++i) {
        const auto key = key_of<Map>::make(random.below(key_count));
        if (i % 2 == 0) {
          mine += map.update(key, bump) ? 1 : 0;
        } else {
          mine += map.upsert(key, bump, twin_value(0)) ? 0 : 1;
        }
      }
      increments.fetch_add(mine, std::memory_order_relaxed);  // relaxed: read after join
      return;
    }
    for (std::size_t i = 0; i < ops; ++i) {
      const auto key = key_of<Map>::make(random.below(key_count));
      switch (i % 3) {
        case 0:
          map.visit(key, [](const twin_value& stored) {
            SYNCMAP_THREAD_CHECK_MSG(stored.consistent(), describe(stored));
          });
          break;
        case 1: {
          const auto loaded = map.load(key);
          SYNCMAP_THREAD_CHECK_MSG(loaded && loaded->consistent(),
                                   loaded ? describe(*loaded) : std::string("missing"));
          break;
        }
        default:
          map.for_each([](const key_type&, const twin_value& stored) {
            SYNCMAP_THREAD_CHECK_MSG(stored.consistent(), describe(stored));
          });
          break;
      }
    }
  });
  std::uint64_t total = 0;
  map.for_each([&](const key_type&, const twin_value& stored) {
    REQUIRE(stored.consistent());
    total += stored.first;
  });
  REQUIRE(total == increments.load());
}

// Exclusive callbacks (lock-based maps only: rcu_map's update runs on private copies): two
// update() or upsert() callbacks on the same key never run at the same time.
template <class Map>
void check_update_callbacks_exclusive(Map& map, std::size_t ops_per_thread) {
  using namespace concurrency_detail;
  using mapped = typename Map::mapped_type;
  const std::size_t ops = scaled(ops_per_thread);
  const auto key = key_of<Map>::make(0);
  map.store(key, value<Map>(0));
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};
  const auto guarded_bump = [&](mapped& stored) {
    // relaxed: the counter observes overlap; the lock under test provides the ordering.
    const int now = inside.fetch_add(1, std::memory_order_relaxed) + 1;
    int seen = max_inside.load(std::memory_order_relaxed);
    while (now > seen && !max_inside.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
    }
    std::this_thread::yield();  // widen the window for an overlapping callback
    stored = value<Map>(number<Map>(stored) + 1);
    inside.fetch_sub(1, std::memory_order_relaxed);  // relaxed: as above
  };
  run_threads(default_thread_count, [&](std::size_t thread) {
    for (std::size_t i = 0; i < ops; ++i) {
      if ((i + thread) % 2 == 0) {
        map.update(key, guarded_bump);
      } else {
        map.upsert(key, guarded_bump, std::uint64_t{0});
      }
    }
  });
  REQUIRE(max_inside.load() == 1);
  REQUIRE(map.load(key).has_value());
  REQUIRE(number<Map>(*map.load(key)) == default_thread_count * ops);
}

// Publication: a writer builds a value with a payload it writes before the insert; readers
// that find the key must see the whole payload (mapped_type constructible from and
// comparable with std::string). Under ThreadSanitizer this is also a happens-before check.
template <class Map>
void check_publication(Map& map, std::size_t keys) {
  using namespace concurrency_detail;
  const std::size_t key_count = scaled(keys);
  const auto payload = [](std::size_t k) {
    return std::string(40 + k % 50, static_cast<char>('a' + k % 26));
  };
  std::atomic<std::size_t> published{0};
  const std::size_t bound = wait_bound(keys);
  run_threads(default_thread_count, [&](std::size_t thread) {
    if (thread == 0) {
      for (std::size_t k = 0; k < key_count; ++k) {
        map.store(key_of<Map>::make(k), payload(k));
        published.store(k + 1, std::memory_order_relaxed);  // relaxed: only a hint for readers
      }
      return;
    }
    for (std::size_t k = thread - 1; k < key_count; k += 3) {
      for (std::size_t spins = 0;; ++spins) {
        SYNCMAP_THREAD_CHECK_MSG(spins < bound, "key never published");
        if (const auto loaded = map.load(key_of<Map>::make(k))) {
          SYNCMAP_THREAD_CHECK(*loaded == payload(k));
          break;
        }
        if (published.load(std::memory_order_relaxed) <= k) std::this_thread::yield();
      }
    }
  });
  REQUIRE(map.size() == key_count);
}

}  // namespace syncmap_test

#endif  // SYNCMAP_TESTS_SUPPORT_CONCURRENCY_CHECKS_HPP
