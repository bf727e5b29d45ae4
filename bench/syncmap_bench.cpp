// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// syncmap_bench: every map in maps.hpp on every workload in workloads.hpp, plus bytes per
// entry. Run it through scripts/bench.sh, which builds it, stores the JSON and prints the
// ratios; `syncmap_bench --help` lists the modes.
//
// Benchmark names are <workload>/<key type>/<key count>/<map id>, then Google Benchmark's
// /real_time/threads:<n>; memory benchmarks are memory/u64/<key count>/<map id> (key count 0:
// an empty map). Go's sync.Map benchmark set (go_* workloads) is named
// go_<Go's name>/u64/1024/<map id>/min_time:<s>/real_time/threads:<n> (no min_time part when
// the command line sets --benchmark_min_time).
// scripts/bench_report.py parses exactly that, and reads the map and workload lists (in
// column and row order) from the JSON context this program writes.
//
// Timing. Throughput runs use real time: with threads, CPU time would hide every microsecond a
// thread spends descheduled, which is the cost being measured when 4 or 8 threads share 2 cores.
// items_per_second is the sum over threads of operations per second of wall time.
//
// Thread 0 prepares shared inputs before the loop; the other threads read them only after the
// loop has started, because the loop's first step is Google Benchmark's start barrier (a mutex
// handshake, so thread 0's writes happen-before every thread's reads). Reading them before
// the loop crashes the smoke test: the pointers are still null, or left from an earlier run.
#include <benchmark/benchmark.h>

#include <sys/utsname.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <syncmap/version.hpp>

#include "handoff_probe.hpp"
#include "heap.hpp"
#include "keys.hpp"
#include "maps.hpp"
#include "syncmap_bench_build_info.hpp"
#include "workloads.hpp"

namespace syncmap_bench {
namespace {

// ---------------------------------------------------------------------------------------------
// Modes.

struct mode_spec {
  const char* name;
  std::vector<std::size_t> key_counts;         // uint64 keys
  std::vector<std::size_t> string_key_counts;  // string keys (Go's set is uint64 only)
  std::vector<int> threads;
  bool throughput;                        // false: memory benchmarks only
  bool all_workloads;                     // false: only the workloads marked quick in workloads.hpp
  std::vector<std::size_t> memory_sizes;  // entries in the memory benchmark's maps; 0 = empty
  // Defaults for Google Benchmark's flags, used unless the command line sets them. Several
  // short repetitions rather than one long run: bench_report.py keeps the best repetition,
  // which filters out the moments other processes took the CPU.
  double min_time;     // seconds per repetition
  double go_min_time;  // the same for Go's set (its 1024-key maps stay in cache and steady
                       // sooner), when the command line does not set --benchmark_min_time
  int repetitions;
  bool verify;  // check results too (smoke mode, the ctest)
  // Operations, summed over threads, of each run of Go's workloads that grow the map
  // (go_workload_info::grows); 0: timed like the others.
  std::uint64_t go_growing_ops;
  const char* description;
};

constexpr std::size_t k2_10 = std::size_t{1} << 10;
constexpr std::size_t k2_16 = std::size_t{1} << 16;
constexpr std::size_t k2_18 = std::size_t{1} << 18;
constexpr std::size_t k2_20 = std::size_t{1} << 20;

// clang-format off
const mode_spec modes[] = {
  // name    uint64 keys     string keys  threads       tput   all    memory sizes
  //   min_t  go_min_t reps verify go_growing_ops
  {"quick",  {k2_20},        {},          {1, 2, 4},    true,  false, {0, k2_10, k2_16, k2_20},
     0.07,  0.05,  3,  false, k2_18,
   "2^20 uint64 keys, 1/2/4 threads, every map; the workloads marked quick (ours but "
   "fill_reserve, 4 of Go's set); memory (~2.5 min; bench.sh with Go ~3 min)"},
  {"full",   {k2_10, k2_20}, {k2_20},     {1, 2, 4, 8}, true,  true,  {0, k2_10, k2_16, k2_20},
     0.15,  0.05,  3,  false, k2_18,
   "2^10 and 2^20 uint64 keys, 2^20 string keys, 1/2/4/8 threads, every workload and map, "
   "memory (< 30 min)"},
  {"memory", {},             {},          {},           false, false, {0, k2_10, k2_16, k2_20},
     0,     0,     1,  false, 0,
   "heap bytes of an empty map, and per entry at 2^10, 2^16 and 2^20 uint64 entries"},
  {"smoke",  {k2_10},        {k2_10},     {1, 2},       true,  true,  {0, k2_10},
     0.001, 0.001, 1,  true,  0,
   "every benchmark once, briefly, on 2^10 keys, checking results (the ctest)"},
};
// clang-format on

// The fill workload times at least this many inserts per iteration (several fresh maps when the
// key count is small), so the two barriers per iteration stay a small part of what is timed.
constexpr std::size_t fill_inserts_per_iteration = std::size_t{1} << 16;

// Smoke mode checks results, not only that benchmarks run: each check that fails marks its
// benchmark as errored and makes main() return 1, so the ctest smoke test fails.
bool verify_results = false;

// Whether thread 0 times a cache line's trip between two CPUs around each run (handoff_probe.hpp).
// Off in smoke mode, which checks results and runs beside other tests.
bool probe_handoffs = true;

// Whether the command line set --benchmark_min_time, which then applies to every benchmark
// (the modes' go_min_time would otherwise override it for Go's set).
bool min_time_given = false;
std::atomic<bool> verification_failed{false};

void fail_check(benchmark::State& state, const char* what) {
  // relaxed: main() reads it only after every benchmark thread has been joined, and the join
  // orders this store before that load.
  verification_failed.store(true, std::memory_order_relaxed);
  state.SkipWithError(what);
}

// ---------------------------------------------------------------------------------------------
// A reusable barrier that blocks instead of spinning: with 8 threads on 2 cores a spinning
// waiter would steal the CPU from the thread it is waiting for.
class thread_barrier {
 public:
  explicit thread_barrier(int count) : count_(count) {}

  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    const unsigned long generation = generation_;
    if (++arrived_ == count_) {
      arrived_ = 0;
      ++generation_;
      released_.notify_all();
      return;
    }
    released_.wait(lock, [&] { return generation_ != generation; });
  }

 private:
  std::mutex mutex_;  // guards arrived_ and generation_
  std::condition_variable released_;
  const int count_;
  int arrived_ = 0;
  unsigned long generation_ = 0;  // bumped each time the last thread arrives
};

// ---------------------------------------------------------------------------------------------
// Runners.

// Workloads on a prefilled map whose population stays steady.
template <class Map, class Key>
void run_steady(benchmark::State& state, workload_id w, std::size_t key_count) {
  // Written by thread 0 before the start barrier, read by every thread after it.
  static Map* map = nullptr;
  static const std::vector<op_stream<Key>>* streams = nullptr;
  if (state.thread_index() == 0) {
    map = &cached_prefilled_map<Map, Key>(info(w).initial, key_count);
    streams = &cached_streams<Key>(w, key_count, static_cast<std::size_t>(state.threads()));
  }

  auto it = state.begin();  // the start barrier: thread 0's setup is visible from here on
  const auto end = state.end();
  const op_stream<Key>& stream = (*streams)[static_cast<std::size_t>(state.thread_index())];
  const std::size_t length = stream.keys.size();
  std::size_t i = 0;
  std::size_t loads = 0;
  std::size_t hits = 0;

  switch (w) {
    case workload_id::load_hits:
    case workload_id::load_misses:
    case workload_id::hot_key_reads:
      for (; it != end; ++it) {
        hits += map->load(stream.keys[i]);
        if (++i == length) i = 0;
      }
      loads = static_cast<std::size_t>(state.iterations());
      break;
    case workload_id::zipf_upsert:
      for (; it != end; ++it) {
        map->upsert_add(stream.keys[i], 1);
        if (++i == length) i = 0;
      }
      break;
    default:
      for (; it != end; ++it) {
        const Key& key = stream.keys[i];
        switch (stream.ops[i]) {
          case op_kind::load:
            ++loads;
            hits += map->load(key);
            break;
          case op_kind::store:
            map->store(key, i);
            break;
          case op_kind::erase:
            map->erase(key);
            break;
        }
        if (++i == length) i = 0;
      }
      break;
  }

  state.SetItemsProcessed(state.iterations());
  if (verify_results) {
    // Every load of a present key hits, and no load of an absent key does.
    if ((w == workload_id::load_hits || w == workload_id::hot_key_reads ||
         w == workload_id::load90_store10) &&
        hits != loads) {
      fail_check(state, "a load of a present key missed");
    }
    if (w == workload_id::load_misses && hits != 0) {
      fail_check(state, "a load of an absent key hit");
    }
  }
  if (loads != 0) {
    // A harness self-check: ~1 for load_hits, 0 for load_misses, ~0.5 for the 50/25/25 mix.
    state.counters["hit_ratio"] =
        benchmark::Counter(static_cast<double>(hits) / loads, benchmark::Counter::kAvgThreads);
  }
}

// Filling fresh maps from empty; each thread inserts its own slice of the keys. With reserve,
// each fresh map is first reserve()d for every key, untimed: what is timed is the inserts into
// a table sized for them.
template <class Map, class Key>
void run_fill(benchmark::State& state, std::size_t key_count, bool reserve) {
  static const std::vector<Key>* keys = nullptr;
  static std::vector<std::unique_ptr<Map>> maps;
  static std::optional<thread_barrier> barrier;
  const std::size_t maps_per_iteration =
      std::max<std::size_t>(1, fill_inserts_per_iteration / key_count);
  const int threads = state.threads();
  if (state.thread_index() == 0) {
    prefilled_maps.clear();  // prefilled maps left by earlier benchmarks only cost memory now
    keys = &cached_keys<Key>(key_count).hits;
    maps.clear();
    maps.resize(maps_per_iteration);
    barrier.emplace(threads);
  }

  auto it = state.begin();  // the start barrier: thread 0's setup is visible from here on
  const auto end = state.end();
  const auto thread = static_cast<std::size_t>(state.thread_index());
  const std::size_t first = key_count * thread / static_cast<std::size_t>(threads);
  const std::size_t last = key_count * (thread + 1) / static_cast<std::size_t>(threads);
  for (; it != end; ++it) {
    state.PauseTiming();
    // Every thread has passed the previous iteration's closing barrier: the maps are idle.
    if (thread == 0) {
      for (auto& map : maps) {
        map = std::make_unique<Map>();
        if (reserve) map->reserve(key_count);
      }
    }
    if (threads > 1) barrier->arrive_and_wait();  // the fresh maps are visible to all
    state.ResumeTiming();
    for (auto& map : maps) {
      for (std::size_t i = first; i < last; ++i)
        map->store((*keys)[i], i);
    }
    // Timed: a fill ends when its slowest thread does.
    if (threads > 1) barrier->arrive_and_wait();
  }
  if (thread == 0) {
    // Everyone passed the last closing barrier: the maps are complete and idle.
    if (verify_results) {
      for (const auto& map : maps) {
        for (const Key& key : *keys) {
          if (!map->load(key)) {
            fail_check(state, "fill lost a key");
            break;
          }
        }
      }
    }
    for (auto& map : maps)
      map.reset();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(last - first) *
                          static_cast<std::int64_t>(maps_per_iteration));
}

template <class Map, class Key>
void run_workload(benchmark::State& state, workload_id w, std::size_t key_count) {
  if (w == workload_id::fill || w == workload_id::fill_reserve) {
    run_fill<Map, Key>(state, key_count, w == workload_id::fill_reserve);
  } else {
    run_steady<Map, Key>(state, w, key_count);
  }
}

// ---------------------------------------------------------------------------------------------
// Go's sync.Map benchmark set (see workloads.hpp): a fresh map per invocation, set up as Go
// sets it up, and Go's loop bodies with Go's key indices.

template <class Map>
struct go_inputs {
  std::unique_ptr<Map> map;
  std::vector<std::vector<std::uint64_t>> fresh;  // thread t: keys of indices t*N .. t*N+N-1
};

// The current invocation's go_inputs. Only thread 0 touches it, before the start barrier;
// every thread of the invocation that built the previous one has been joined by then.
inline cache_slot go_cache;

template <class Map>
void run_go(benchmark::State& state, workload_id w) {
  using Key = std::uint64_t;
  static go_inputs<Map>* inputs = nullptr;  // written by thread 0 before the start barrier
  const go_workload_info& g = go_info(w);
  // Go's b.N for this goroutine: Google Benchmark runs max_iterations on every thread.
  const auto n = static_cast<std::uint64_t>(state.max_iterations);
  if (state.thread_index() == 0) {
    // The other workloads' prefilled maps and streams only cost memory from here on.
    prefilled_maps.clear();
    stream_cache.clear();
    key_cache.clear();
    go_cache.clear();  // frees the previous invocation's map before building this one
    const auto threads = static_cast<std::uint64_t>(state.threads());
    inputs = &go_cache.get<go_inputs<Map>>("go", [&] {
      auto built = std::make_shared<go_inputs<Map>>();
      built->map = make_go_map<Map>(w);
      if (g.fresh_keys) {
        built->fresh.resize(threads);
        for (std::uint64_t t = 0; t < threads; ++t) {
          built->fresh[t].reserve(n);
          for (std::uint64_t k = 0; k < n; ++k)
            built->fresh[t].push_back(key_traits<Key>::make(t * n + k));
        }
      }
      return built;
    });
  }

  auto it = state.begin();  // the start barrier: thread 0's setup is visible from here on
  const auto end = state.end();
  Map& map = *inputs->map;
  const auto thread = static_cast<std::uint64_t>(state.thread_index());
  const std::vector<Key>& small = go_small_keys();
  const Key* fresh = inputs->fresh.empty() ? nullptr : inputs->fresh[thread].data();
  std::uint64_t i = thread * n;   // Go's loop counter, starting at id*b.N
  std::uint64_t j = i % go_span;  // i % (hits + misses), kept without a division
  std::size_t k = 0;              // i - thread*n: this thread's fresh key for index i
  const auto step = [&] {
    ++i;
    ++k;
    if (++j == go_span) j = 0;
  };
  std::uint64_t failures = 0;  // results Go's benchmark (or the map's contract) rules out
  std::uint64_t hits = 0;

  switch (w) {
    case workload_id::go_load_mostly_hits:
    case workload_id::go_load_mostly_misses:
      for (; it != end; ++it, step())
        hits += map.load(small[j]);
      break;
    case workload_id::go_load_or_store_balanced:
    case workload_id::go_load_and_delete_balanced: {
      const bool store = w == workload_id::go_load_or_store_balanced;
      for (; it != end; ++it, step()) {
        const std::uint64_t jj = j % (2 * g.hits);  // i % (hits + misses), hits == misses
        if (jj < g.hits) {
          // LoadOrStore(j, i) must load; LoadAndDelete(j) hits until j has gone once.
          if (store) {
            failures += !map.load_or_store(small[jj], i);
          } else {
            map.load_and_delete(small[jj]);
          }
        } else {
          // Index i was never stored: LoadOrStore must store, LoadAndDelete must miss.
          failures += store ? map.load_or_store(fresh[k], i) : map.load_and_delete(fresh[k]);
        }
      }
      break;
    }
    case workload_id::go_load_or_store_unique:
      for (; it != end; ++it, step())
        failures += map.load_or_store(fresh[k], i);
      break;
    case workload_id::go_load_or_store_collision:
      for (; it != end; ++it, step())
        failures += !map.load_or_store(small[0], 0);
      break;
    case workload_id::go_load_and_delete_unique:
      for (; it != end; ++it, step())
        failures += map.load_and_delete(fresh[k]);
      break;
    case workload_id::go_load_and_delete_collision:
      for (; it != end; ++it, step()) {
        if (map.load_and_delete(small[0])) map.store(small[0], 0);
      }
      break;
    case workload_id::go_range:
      for (; it != end; ++it, step()) {
        const std::size_t calls = map.for_each([](const Key&, const value_type&) { return true; });
        failures += calls != go_span;  // no writers: every entry, once
      }
      break;
    case workload_id::go_adversarial_alloc: {
      std::uint64_t stores = 0;
      std::uint64_t loads_since_store = 0;
      for (; it != end; ++it, step()) {
        map.load(fresh[k]);
        if (++loads_since_store > stores) {
          map.load_or_store(fresh[k], stores);
          loads_since_store = 0;
          ++stores;
        }
      }
      break;
    }
    case workload_id::go_adversarial_delete:
      for (; it != end; ++it, step()) {
        map.load(fresh[k]);
        if (j == 0) {
          // Go deletes inside its Range callback; sharded_map's callbacks must not call the
          // map, so the first key is copied out and deleted after the Range returns.
          Key first = 0;
          bool found = false;
          map.for_each([&](const Key& key, const value_type&) {
            first = key;
            found = true;
            return false;
          });
          if (found) map.erase(first);
          map.store(fresh[k], i);
        }
      }
      break;
    case workload_id::go_delete_collision:
      for (; it != end; ++it, step())
        map.erase(small[0]);
      break;
    case workload_id::go_swap_collision:
      for (; it != end; ++it, step())
        map.exchange(small[0], 0);
      break;
    case workload_id::go_swap_mostly_hits:
    case workload_id::go_swap_mostly_misses:
      for (; it != end; ++it, step()) {
        if (j < g.hits) {
          map.exchange(small[j], j);
        } else {
          map.exchange(fresh[k], i);
          map.erase(fresh[k]);
        }
      }
      break;
    case workload_id::go_compare_and_swap_collision:
      for (; it != end; ++it, step()) {
        // Only the thread that swapped 0 for 42 swaps it back, so that must succeed.
        if (map.compare_and_swap(small[0], 0, 42))
          failures += !map.compare_and_swap(small[0], 42, 0);
      }
      break;
    case workload_id::go_compare_and_swap_no_existing_key:
      for (; it != end; ++it, step()) {
        if (map.compare_and_swap(fresh[k], 0, 0)) {  // a missing key never matches
          map.erase(fresh[k]);
          ++failures;
        }
      }
      break;
    case workload_id::go_compare_and_swap_value_not_equal:
      for (; it != end; ++it, step())
        failures += map.compare_and_swap(small[0], 1, 2);
      break;
    case workload_id::go_compare_and_swap_mostly_hits:
    case workload_id::go_compare_and_swap_mostly_misses:
      for (; it != end; ++it, step()) {
        // Present key j always holds j, so CompareAndSwap(j, j, j) succeeds; i is absent.
        if (j < g.hits) {
          failures += !map.compare_and_swap(small[j], j, j);
        } else {
          failures += map.compare_and_swap(fresh[k], i, i);
        }
      }
      break;
    case workload_id::go_compare_and_delete_collision:
      for (; it != end; ++it, step()) {
        if (map.compare_and_delete(small[0], 0)) map.store(small[0], 0);
      }
      break;
    case workload_id::go_compare_and_delete_mostly_hits:
    case workload_id::go_compare_and_delete_mostly_misses:
      for (; it != end; ++it, step()) {
        if (j < g.hits) {
          if (map.compare_and_delete(small[j], j)) map.store(small[j], j);
        } else if (map.compare_and_delete(fresh[k], i)) {  // i is absent: never deleted
          map.store(fresh[k], i);
          ++failures;
        }
      }
      break;
    default:
      break;
  }

  state.SetItemsProcessed(state.iterations());
  if (w == workload_id::go_load_mostly_hits || w == workload_id::go_load_mostly_misses) {
    // A harness self-check: 1023/1024 and 1/1024.
    state.counters["hit_ratio"] =
        benchmark::Counter(static_cast<double>(hits) / static_cast<double>(state.iterations()),
                           benchmark::Counter::kAvgThreads);
  }
  if (verify_results && failures != 0) {
    fail_check(state,
               "an operation returned what Go's benchmark (or the map's contract) rules out");
  }
}

// Heap bytes per entry after filling an empty map with key_count uint64 -> uint64 entries,
// without reserve(): the footprint a map grows to on its own, its fixed part included. With
// key_count 0, the heap bytes of an empty map: the map object itself (allocated here) and
// whatever its constructor allocates.
template <class Map>
void run_memory(benchmark::State& state, std::size_t key_count) {
  prefilled_maps.clear();
  stream_cache.clear();
  go_cache.clear();
  const std::vector<std::uint64_t>& keys = cached_keys<std::uint64_t>(key_count).hits;
  double bytes = 0;
  for (auto _ : state) {
    heap_meter meter;
    auto map = std::make_unique<Map>();
    for (std::size_t i = 0; i < key_count; ++i)
      map->store(keys[i], i);
    // The steady state a reader sees (rcu_map: the dirty table promoted to the read table,
    // with its value copies), not the transient one right after the inserts.
    settle(*map);
    const std::optional<std::size_t> grown = meter.bytes_since();
    if (!grown) {
      state.SkipWithError("heap usage unavailable: needs glibc >= 2.33 (mallinfo2)");
      break;
    }
    bytes = static_cast<double>(*grown);
  }
  if (key_count != 0) state.counters["bytes_per_entry"] = bytes / static_cast<double>(key_count);
  state.counters["heap_bytes"] = bytes;
  state.counters["sizeof"] = static_cast<double>(sizeof(Map));
}

// ---------------------------------------------------------------------------------------------
// Registration.

// Maps innermost: the maps of one table row (workload, threads) run back to back, seconds
// apart, so a ratio compares measurements taken under the same background load; they share
// one set of streams, and each map keeps its prefilled instance across the row's workloads.
bool in_mode(const mode_spec& mode, const workload_info& w) {
  return mode.all_workloads || w.quick;
}

// One invocation between two cache-line handoff probes (handoff_probe.hpp), run by thread 0
// while the others wait at Google Benchmark's barriers; the larger figure is the counter
// handoff_ns. Google Benchmark calls a benchmark several times back to back while it picks
// the iteration count, so the "before" figure is the previous call's "after" when that is
// under 50 ms old: the host moves the vCPUs over seconds, not milliseconds.
// Thread 0's latest figure and when it was taken; one for every benchmark, since thread 0 runs
// them one after another.
struct handoff_figure {
  double ns = 0;
  std::chrono::steady_clock::time_point taken{};
};
inline handoff_figure last_handoff;

template <class Body>
void with_handoff_probe(benchmark::State& state, Body&& body) {
  using clock = std::chrono::steady_clock;
  const bool probes = state.thread_index() == 0 && probe_handoffs;
  if (probes && clock::now() - last_handoff.taken > std::chrono::milliseconds(50)) {
    last_handoff.ns = measure_handoff_ns();
  }
  const double before = last_handoff.ns;
  body();
  if (!probes) return;
  last_handoff = {measure_handoff_ns(), clock::now()};
  const double worst = std::max(before, last_handoff.ns);
  if (worst > 0) state.counters["handoff_ns"] = worst;
}

template <class Key>
void register_throughput(const mode_spec& mode, const std::vector<std::size_t>& key_counts) {
  for (const std::size_t key_count : key_counts) {
    for (const workload_info& w : workloads) {
      if (w.initial == initial_state::go || !in_mode(mode, w)) continue;
      for (const int threads : mode.threads) {
        for_each_map([&](auto tag) {
          using Map = typename decltype(tag)::template type<Key>;
          if (is_read_only_floor<Map>::value && !w.read_only) return;  // it has no lock
          const std::string name = std::string(w.id) + '/' + key_traits<Key>::tag + '/' +
                                   std::to_string(key_count) + '/' + Map::id();
          const workload_id which = w.which;
          benchmark::RegisterBenchmark(
              name.c_str(),
              [which, key_count](benchmark::State& state) {
                with_handoff_probe(state, [&] { run_workload<Map, Key>(state, which, key_count); });
              })
              ->UseRealTime()
              ->Threads(threads);
        });
      }
    }
  }
}

// Go's set: uint64 keys only (Go's are ints), named with the set's 1024-key span.
void register_go_set(const mode_spec& mode) {
  for (const workload_info& w : workloads) {
    if (w.initial != initial_state::go || !in_mode(mode, w)) continue;
    for (const int threads : mode.threads) {
      for_each_map([&](auto tag) {
        using Map = typename decltype(tag)::template type<std::uint64_t>;
        if (is_read_only_floor<Map>::value && !w.read_only) return;  // it has no lock
        if (go_info(w.which).range_writing && !for_each_with_writers<Map>::value) return;
        const std::string name =
            std::string(w.id) + "/u64/" + std::to_string(go_span) + '/' + Map::id();
        const workload_id which = w.which;
        benchmark::internal::Benchmark* b =
            benchmark::RegisterBenchmark(name.c_str(), [which](benchmark::State& state) {
              with_handoff_probe(state, [&] { run_go<Map>(state, which); });
            });
        b->UseRealTime()->Threads(threads);
        if (go_info(w.which).grows && mode.go_growing_ops != 0) {
          // Iterations are per thread; Go's b.N is the total (see go_workload_info::grows).
          b->Iterations(static_cast<benchmark::IterationCount>(mode.go_growing_ops) / threads);
        } else if (!min_time_given && mode.go_min_time != mode.min_time) {
          b->MinTime(mode.go_min_time);
        }
      });
    }
  }
}

void register_memory(std::size_t key_count) {
  for_each_map([&](auto tag) {
    using Map = typename decltype(tag)::template type<std::uint64_t>;
    using Measured = typename decltype(tag)::template heap_type<std::uint64_t>;
    if (is_read_only_floor<Map>::value) return;  // the same table as absl_flat_mutex
    const std::string name =
        std::string("memory/u64/") + std::to_string(key_count) + '/' + Map::id();
    benchmark::RegisterBenchmark(
        name.c_str(),
        [key_count](benchmark::State& state) { run_memory<Measured>(state, key_count); })
        ->Iterations(1)
        ->Repetitions(1);  // deterministic enough; a 2^20 fill per repetition is not cheap
  });
}

void register_mode(const mode_spec& mode) {
  if (mode.throughput) {
    register_throughput<std::uint64_t>(mode, mode.key_counts);
    register_throughput<std::string>(mode, mode.string_key_counts);
    register_go_set(mode);
  }
  for (const std::size_t size : mode.memory_sizes)
    register_memory(size);
}

// ---------------------------------------------------------------------------------------------
// Context: what ran, on what, built how. bench_report.py reads the syncmap.* keys.

std::string first_line_with(const char* path, const char* prefix) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) {
      const auto colon = line.find(':');
      if (colon == std::string::npos) return line;
      const auto start = line.find_first_not_of(" \t", colon + 1);
      return start == std::string::npos ? std::string() : line.substr(start);
    }
  }
  return "unknown";
}

void add_context(const mode_spec& mode) {
  using benchmark::AddCustomContext;
  AddCustomContext("syncmap.version", SYNCMAP_VERSION);
  AddCustomContext("syncmap.mode", mode.name);
  AddCustomContext("syncmap.reference", unordered_map_mutex<std::uint64_t>::id());

  std::string map_ids;
  for_each_map([&](auto tag) {
    using Map = typename decltype(tag)::template type<std::uint64_t>;
    if (!map_ids.empty()) map_ids += ',';
    map_ids += Map::id();
    AddCustomContext(std::string("syncmap.map.") + Map::id(), Map::name());
  });
  AddCustomContext("syncmap.maps", map_ids);
  AddCustomContext("syncmap.maps_skipped", SYNCMAP_BENCH_SKIPPED_PEERS);

  std::string workload_ids;
  for (const workload_info& w : workloads) {
    if (mode.throughput && !in_mode(mode, w)) continue;
    if (!workload_ids.empty()) workload_ids += ',';
    workload_ids += w.id;
    AddCustomContext(std::string("syncmap.workload.") + w.id, w.description);
  }
  AddCustomContext("syncmap.workloads", workload_ids);
  std::string memory_sizes;
  for (const std::size_t size : mode.memory_sizes)
    memory_sizes += (memory_sizes.empty() ? "" : ",") + std::to_string(size);
  AddCustomContext("syncmap.memory_keys", memory_sizes);

  // Map and workload pairs left out on purpose, with the reason (the report lists them).
  std::string not_run;
  for (const go_workload_info& g : go_workloads) {
    if (!g.range_writing) continue;
    for_each_map([&](auto tag) {
      using Map = typename decltype(tag)::template type<std::uint64_t>;
      if (for_each_with_writers<Map>::value || is_read_only_floor<Map>::value) return;
      if (!not_run.empty()) not_run += "; ";
      not_run += std::string(info(g.which).id) + " on " + Map::id() +
                 ": its for_each is unsafe while other threads write";
    });
  }
  AddCustomContext("syncmap.not_run", not_run);

  AddCustomContext("build.compiler", SYNCMAP_BENCH_COMPILER);
  AddCustomContext("build.cxx_flags", SYNCMAP_BENCH_CXX_FLAGS);
  AddCustomContext("build.build_type", SYNCMAP_BENCH_BUILD_TYPE);
  AddCustomContext("build.cplusplus", std::to_string(__cplusplus));
  AddCustomContext("build.google_benchmark", SYNCMAP_BENCH_BENCHMARK_VERSION);
#if SYNCMAP_BENCH_HAVE_ABSL
  AddCustomContext("peer.absl", std::to_string(ABSL_LTS_RELEASE_VERSION));
#endif
#if SYNCMAP_BENCH_HAVE_TBB
  AddCustomContext("peer.tbb", TBB_VERSION_STRING);
  AddCustomContext("peer.tbb_allocator",
                   tbb::tbb_allocator<char>::allocator_type() == tbb::tbb_allocator<char>::scalable
                       ? "scalable (tbbmalloc)"
                       : "standard (malloc)");
#endif
#if SYNCMAP_BENCH_HAVE_LIBCUCKOO
  AddCustomContext("peer.libcuckoo", SYNCMAP_BENCH_LIBCUCKOO_VERSION);
#endif

  AddCustomContext("machine.cpu_model", first_line_with("/proc/cpuinfo", "model name"));
  AddCustomContext("machine.hardware_threads", std::to_string(std::thread::hardware_concurrency()));
  struct utsname uts {};
  if (uname(&uts) == 0) {
    AddCustomContext("machine.kernel", std::string(uts.sysname) + ' ' + uts.release);
  }
  AddCustomContext("machine.mem_total", first_line_with("/proc/meminfo", "MemTotal"));
}

void print_help() {
  std::printf(
      "syncmap_bench [--mode=MODE] [Google Benchmark flags]\n\n"
      "Modes (default quick):\n");
  for (const mode_spec& mode : modes)
    std::printf("  %-8s %s\n", mode.name, mode.description);
  std::printf(
      "\nNames: <workload>/<u64|str>/<keys>/<map>/real_time/threads:<n> and "
      "memory/u64/<keys>/<map>.\nNarrow with --benchmark_filter=REGEX; maps:");
  for_each_map(
      [](auto tag) { std::printf(" %s", decltype(tag)::template type<std::uint64_t>::id()); });
  std::printf("\n\nGoogle Benchmark's own flags follow.\n\n");
}

}  // namespace
}  // namespace syncmap_bench

int main(int argc, char** argv) {
  using namespace syncmap_bench;
  // Take --mode out of argv; the mode's defaults go in front of the caller's flags, so that a
  // flag given on the command line, parsed later, wins.
  const mode_spec* mode = &modes[0];
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i > 0 && arg.rfind("--mode=", 0) == 0) {
      const std::string wanted = arg.substr(7);
      mode = nullptr;
      for (const mode_spec& m : modes) {
        if (wanted == m.name) mode = &m;
      }
      if (mode == nullptr) {
        std::fprintf(stderr, "syncmap_bench: unknown mode '%s' (see --help)\n", wanted.c_str());
        return 2;
      }
      continue;
    }
    if (arg == "--help" || arg == "-h") print_help();
    if (arg.rfind("--benchmark_min_time", 0) == 0) min_time_given = true;
    args.push_back(argv[i]);
  }
  std::vector<std::string> defaults;
  if (mode->min_time > 0) {
    defaults.push_back("--benchmark_min_time=" + std::to_string(mode->min_time));
  }
  if (mode->repetitions > 1) {
    defaults.push_back("--benchmark_repetitions=" + std::to_string(mode->repetitions));
    // The console shows mean/median/stddev/cv; the JSON keeps every repetition.
    defaults.push_back("--benchmark_display_aggregates_only=true");
  }
  for (std::size_t i = 0; i < defaults.size(); ++i) {
    args.insert(args.begin() + 1 + static_cast<std::ptrdiff_t>(i), defaults[i].data());
  }
  int args_count = static_cast<int>(args.size());
  args.push_back(nullptr);

  benchmark::Initialize(&args_count, args.data());
  if (benchmark::ReportUnrecognizedArguments(args_count, args.data())) return 1;
  add_context(*mode);
  register_mode(*mode);
  verify_results = mode->verify;
  probe_handoffs = !mode->verify;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // relaxed: every thread that could store it has been joined (see fail_check).
  if (verification_failed.load(std::memory_order_relaxed)) {
    std::fprintf(stderr, "syncmap_bench: result checks failed (see the errors above)\n");
    return 1;
  }
  return 0;
}
