// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// The workloads, the per-thread operation streams that drive them, and the caches that keep
// setup out of the measurements.
//
// A workload is an initial map state plus a stream of operations per thread. Streams are built
// before timing from seeds that depend only on (workload, key count, thread index), so every
// map sees exactly the same operations, and thread i's stream is the same whether 2 or 8
// threads run. A stream stores the keys themselves, not indices into the key set: the timed
// loop then reads its input sequentially and every cache miss it takes is the map's.
//
// Initial states keep the population steady, so that Google Benchmark's repeated invocations
// (it reruns a benchmark with growing iteration counts) all measure the same thing and the
// prefilled map can be built once and reused:
//   all   every hit key present; loads, overwriting stores and upserts of hit keys keep it so.
//   half  every other hit key present; 25% stores and 25% erases of uniformly drawn hit keys
//         leave each key present with probability 1/2, which is where the map starts.
//   none  the fill workloads, which time filling fresh maps from empty.
//   go    Go's own sync.Map benchmark set (go_*, below): a fresh map per invocation, set up as
//         Go's map_bench_test.go sets it up, because several of them grow or drain the map.
//
// Go's benchmark set. Each go_* workload reproduces one benchmark of Go's
// src/sync/map_bench_test.go: the same loop body, the same setup, and the same key indices.
// There, goroutine g's loop counter i starts at g*b.N and counts up, keys are the ints i,
// i % (hits + misses), or 0, and values are ints too. Here thread t's counter starts at t*N,
// where N is Google Benchmark's iteration count for this invocation (state.max_iterations, the
// same for every thread), and key index i means key_traits<uint64_t>::make(i), the same
// splitmix64 derivation as every other key (so integer keys get no help from an identity hash).
// Before timing, thread 0 builds the 1024 keys of indices 0..1023 (go_small_keys) and, for the
// workloads that touch fresh keys, each thread's N keys of indices t*N .. t*N+N-1; values are
// the indices. One operation is one iteration of Go's loop body (for go_Range, one whole Range
// over 1024 entries), so Mops/s compares with Go's ns/op directly.
//
// Caches. Google Benchmark calls each benchmark function several times, and consecutive
// benchmarks share inputs: all maps run one workload on the same streams, and each map's
// prefilled instance serves the six workloads that start from `all`. A cache_slot holds one
// value and the tag it was built for; asking for a different tag frees the old value before
// building the new one. There is one slot for key sets, one for streams, and one per map for
// prefilled maps (all of them emptied when the key type or count changes), so memory stays
// bounded by one population's worth per map. Only thread 0 touches the slots, before the start
// barrier, and a slot is replaced only by a later benchmark, after every thread of the earlier
// one has been joined.
#ifndef SYNCMAP_BENCH_WORKLOADS_HPP
#define SYNCMAP_BENCH_WORKLOADS_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "keys.hpp"
#include "maps.hpp"  // settle()

namespace syncmap_bench {

// The values seed the streams (make_stream), so new workloads go at the end and earlier ones
// keep theirs; bench/go/main.go uses the same values.
enum class workload_id : std::uint8_t {
  load_hits,
  load_misses,
  load90_store10,
  zipf_upsert,
  load50_store25_erase25,
  fill,
  hot_key_reads,
  load50_store50,
  fill_reserve,
  // Go's sync.Map benchmark set, in map_bench_test.go's order.
  go_load_mostly_hits,
  go_load_mostly_misses,
  go_load_or_store_balanced,
  go_load_or_store_unique,
  go_load_or_store_collision,
  go_load_and_delete_balanced,
  go_load_and_delete_unique,
  go_load_and_delete_collision,
  go_range,
  go_adversarial_alloc,
  go_adversarial_delete,
  go_delete_collision,
  go_swap_collision,
  go_swap_mostly_hits,
  go_swap_mostly_misses,
  go_compare_and_swap_collision,
  go_compare_and_swap_no_existing_key,
  go_compare_and_swap_value_not_equal,
  go_compare_and_swap_mostly_hits,
  go_compare_and_swap_mostly_misses,
  go_compare_and_delete_collision,
  go_compare_and_delete_mostly_hits,
  go_compare_and_delete_mostly_misses,
};

enum class initial_state : std::uint8_t { all, half, none, go };

struct workload_info {
  workload_id which;
  const char* id;  // benchmark-name prefix and report row label
  const char* description;
  initial_state initial;
  bool read_only;  // never writes: the unsynchronized read-only floor runs it too
  bool quick;      // runs in quick mode too (full and smoke modes run every workload)
};

// Registration and report order. Those starting from the same state are adjacent, so one
// prefilled map serves them in turn.
inline constexpr workload_info workloads[] = {
    {workload_id::load_hits, "load_hits", "load of present keys, uniform", initial_state::all, true,
     true},
    {workload_id::load_misses, "load_misses", "load of absent keys, uniform", initial_state::all,
     true, true},
    {workload_id::hot_key_reads, "hot_key_reads",
     "load of the same 16 present keys by every thread, uniform over them", initial_state::all,
     true, true},
    {workload_id::load90_store10, "load90_store10",
     "90% load / 10% store (overwrite) of present keys, uniform", initial_state::all, false, true},
    {workload_id::load50_store50, "load50_store50",
     "50% load / 50% store (overwrite) of present keys, uniform", initial_state::all, false, true},
    {workload_id::zipf_upsert, "zipf_upsert", "upsert(+1) of present keys drawn Zipf(0.99)",
     initial_state::all, false, true},
    {workload_id::load50_store25_erase25, "load50_store25_erase25",
     "50% load / 25% store / 25% erase, uniform over the keys, half present", initial_state::half,
     false, true},
    {workload_id::fill, "fill",
     "store every key into an empty map (no reserve), threads take disjoint slices",
     initial_state::none, false, true},
    {workload_id::fill_reserve, "fill_reserve", "fill after reserve(keys) (untimed)",
     initial_state::none, false, false},
    // Go's set: ids are Go's benchmark names with a go_ prefix.
    {workload_id::go_load_mostly_hits, "go_LoadMostlyHits",
     "Load(i % 1024) with keys 0..1022 present: the read-only fast path", initial_state::go, true,
     true},
    {workload_id::go_load_mostly_misses, "go_LoadMostlyMisses",
     "Load(i % 1024) with only key 0 present: the miss path", initial_state::go, true, false},
    {workload_id::go_load_or_store_balanced, "go_LoadOrStoreBalanced",
     "LoadOrStore: half hit keys 0..127 (must load), half insert fresh keys (must store)",
     initial_state::go, false, false},
    {workload_id::go_load_or_store_unique, "go_LoadOrStoreUnique",
     "LoadOrStore of a fresh key every time: the map grows by one per operation", initial_state::go,
     false, false},
    {workload_id::go_load_or_store_collision, "go_LoadOrStoreCollision",
     "LoadOrStore(0, 0) by every thread on the one present key", initial_state::go, false, false},
    {workload_id::go_load_and_delete_balanced, "go_LoadAndDeleteBalanced",
     "LoadAndDelete: half keys 0..127 (present until deleted once), half fresh absent keys",
     initial_state::go, false, false},
    {workload_id::go_load_and_delete_unique, "go_LoadAndDeleteUnique",
     "LoadAndDelete of a fresh absent key every time, on an empty map", initial_state::go, false,
     false},
    {workload_id::go_load_and_delete_collision, "go_LoadAndDeleteCollision",
     "LoadAndDelete(0), and Store(0, 0) again on success: one contended key", initial_state::go,
     false, true},
    {workload_id::go_range, "go_Range",
     "one whole Range over 1024 entries per operation, by every thread", initial_state::go, true,
     false},
    {workload_id::go_adversarial_alloc, "go_AdversarialAlloc",
     "Load of a fresh absent key; after k loads, LoadOrStore a new key (k = stores so far)",
     initial_state::go, false, true},
    {workload_id::go_adversarial_delete, "go_AdversarialDelete",
     "Load(i) on 1024 keys; every 1024th, delete the first key Range sees and Store(i, i)",
     initial_state::go, false, true},
    {workload_id::go_delete_collision, "go_DeleteCollision",
     "Delete(0) by every thread (absent after the first)", initial_state::go, false, false},
    {workload_id::go_swap_collision, "go_SwapCollision", "Swap(0, 0) by every thread",
     initial_state::go, false, false},
    {workload_id::go_swap_mostly_hits, "go_SwapMostlyHits",
     "Swap(j, j) of present keys 0..1022; every 1024th, Swap then Delete a fresh key",
     initial_state::go, false, false},
    {workload_id::go_swap_mostly_misses, "go_SwapMostlyMisses",
     "Swap(0, 0) every 1024th; otherwise Swap then Delete a fresh key", initial_state::go, false,
     false},
    {workload_id::go_compare_and_swap_collision, "go_CompareAndSwapCollision",
     "CompareAndSwap(0, 0, 42) then back (0, 42, 0) on success, by every thread", initial_state::go,
     false, false},
    {workload_id::go_compare_and_swap_no_existing_key, "go_CompareAndSwapNoExistingKey",
     "CompareAndSwap of a fresh absent key (must fail)", initial_state::go, false, false},
    {workload_id::go_compare_and_swap_value_not_equal, "go_CompareAndSwapValueNotEqual",
     "CompareAndSwap(0, 1, 2) on key 0 holding 0 (must fail)", initial_state::go, false, false},
    {workload_id::go_compare_and_swap_mostly_hits, "go_CompareAndSwapMostlyHits",
     "CompareAndSwap(v, v, v): present keys 0..1022 (succeeds), every 1024th a fresh key",
     initial_state::go, false, false},
    {workload_id::go_compare_and_swap_mostly_misses, "go_CompareAndSwapMostlyMisses",
     "CompareAndSwap(v, v, v): key 0 every 1024th, otherwise a fresh absent key (fails)",
     initial_state::go, false, false},
    {workload_id::go_compare_and_delete_collision, "go_CompareAndDeleteCollision",
     "CompareAndDelete(0, 0), and Store(0, 0) again on success, by every thread", initial_state::go,
     false, false},
    {workload_id::go_compare_and_delete_mostly_hits, "go_CompareAndDeleteMostlyHits",
     "CompareAndDelete(v, v) then Store(v, v) on success: keys 0..1022, every 1024th fresh",
     initial_state::go, false, false},
    {workload_id::go_compare_and_delete_mostly_misses, "go_CompareAndDeleteMostlyMisses",
     "CompareAndDelete(v, v) then Store(v, v) on success: key 0 every 1024th, else fresh",
     initial_state::go, false, false},
};

inline const workload_info& info(workload_id w) {
  return *std::find_if(std::begin(workloads), std::end(workloads),
                       [w](const workload_info& i) { return i.which == w; });
}

// ---------------------------------------------------------------------------------------------
// Go's set: how each benchmark sets its map up (map_bench_test.go's setup functions).

enum class go_setup : std::uint8_t {
  empty,        // no setup
  one_key,      // LoadOrStore(0, 0) (Store(0, 0) for CompareAndSwapValueNotEqual: the same state)
  primed_hits,  // LoadOrStore(i, i) for i < hits, then Load(i % hits) for i < 2 * hits: Go's
                // "prime the map", which promotes sync.Map's (and rcu_map's) dirty table
  all_keys,     // Store(i, i) for i < go_span (Range, AdversarialDelete)
};

// Go's hits + misses, and the population of Range and AdversarialDelete.
inline constexpr std::uint64_t go_span = 1024;

struct go_workload_info {
  workload_id which;
  go_setup setup;
  std::uint64_t hits;  // for the i % go_span workloads: indices below this are present
  bool fresh_keys;     // touches key indices t*N + k, so each thread needs its N keys built
  bool range_writing;  // calls for_each while other threads write (skips unsafe for_each)
  // Stores a fresh key every few operations, so the map ends larger the more iterations run,
  // and each operation gets slower with it. Left to the timer, a fast map runs more iterations
  // and is measured on a larger map than a slow one: one full run timed the mutex map on
  // 2,000 iterations (38 Mops/s, its map stayed in cache) and rcu_map on 10^6 (7 Mops/s), and
  // the report said 0.18x where the same sizes give 2.1x. These run a fixed total operation
  // count, the same for every map and thread count (mode_spec::go_growing_ops; bench/go too).
  bool grows;
};

inline constexpr go_workload_info go_workloads[] = {
    {workload_id::go_load_mostly_hits, go_setup::primed_hits, 1023, false, false, false},
    {workload_id::go_load_mostly_misses, go_setup::primed_hits, 1, false, false, false},
    {workload_id::go_load_or_store_balanced, go_setup::primed_hits, 128, true, false, true},
    {workload_id::go_load_or_store_unique, go_setup::empty, 0, true, false, true},
    {workload_id::go_load_or_store_collision, go_setup::one_key, 0, false, false, false},
    {workload_id::go_load_and_delete_balanced, go_setup::primed_hits, 128, true, false, false},
    {workload_id::go_load_and_delete_unique, go_setup::empty, 0, true, false, false},
    {workload_id::go_load_and_delete_collision, go_setup::one_key, 0, false, false, false},
    {workload_id::go_range, go_setup::all_keys, 0, false, false, false},
    {workload_id::go_adversarial_alloc, go_setup::empty, 0, true, false, true},
    {workload_id::go_adversarial_delete, go_setup::all_keys, 0, true, true, false},
    {workload_id::go_delete_collision, go_setup::one_key, 0, false, false, false},
    {workload_id::go_swap_collision, go_setup::one_key, 0, false, false, false},
    {workload_id::go_swap_mostly_hits, go_setup::primed_hits, 1023, true, false, false},
    {workload_id::go_swap_mostly_misses, go_setup::primed_hits, 1, true, false, false},
    {workload_id::go_compare_and_swap_collision, go_setup::one_key, 0, false, false, false},
    {workload_id::go_compare_and_swap_no_existing_key, go_setup::empty, 0, true, false, false},
    {workload_id::go_compare_and_swap_value_not_equal, go_setup::one_key, 0, false, false, false},
    {workload_id::go_compare_and_swap_mostly_hits, go_setup::primed_hits, 1023, true, false, false},
    {workload_id::go_compare_and_swap_mostly_misses, go_setup::primed_hits, 1, true, false, false},
    {workload_id::go_compare_and_delete_collision, go_setup::one_key, 0, false, false, false},
    {workload_id::go_compare_and_delete_mostly_hits, go_setup::primed_hits, 1023, true, false,
     false},
    {workload_id::go_compare_and_delete_mostly_misses, go_setup::primed_hits, 1, true, false,
     false},
};

inline const go_workload_info& go_info(workload_id w) {
  return *std::find_if(std::begin(go_workloads), std::end(go_workloads),
                       [w](const go_workload_info& i) { return i.which == w; });
}

// Keys of indices 0..go_span-1, built once.
inline const std::vector<std::uint64_t>& go_small_keys() {
  static const std::vector<std::uint64_t> keys = [] {
    std::vector<std::uint64_t> k(go_span);
    for (std::uint64_t i = 0; i < go_span; ++i)
      k[i] = key_traits<std::uint64_t>::make(i);
    return k;
  }();
  return keys;
}

// A fresh map set up as Go's benchmark w sets up its map.
template <class Map>
std::unique_ptr<Map> make_go_map(workload_id w) {
  const std::vector<std::uint64_t>& key = go_small_keys();
  auto map = std::make_unique<Map>();
  const go_workload_info& g = go_info(w);
  switch (g.setup) {
    case go_setup::empty:
      break;
    case go_setup::one_key:
      map->load_or_store(key[0], 0);
      break;
    case go_setup::primed_hits:
      for (std::uint64_t i = 0; i < g.hits; ++i)
        map->load_or_store(key[i], i);
      for (std::uint64_t i = 0; i < 2 * g.hits; ++i)
        map->load(key[i % g.hits]);
      break;
    case go_setup::all_keys:
      for (std::uint64_t i = 0; i < go_span; ++i)
        map->store(key[i], i);
      break;
  }
  return map;
}

// ---------------------------------------------------------------------------------------------
// Streams for the other workloads.

inline constexpr double zipf_exponent = 0.99;

// hot_key_reads draws from the first hot_key_count hit keys. Sixteen entries fit in a few cache
// lines, so the keys and values themselves stay in every core's cache: whatever slows this
// workload down as threads are added is a line the map writes on every read (a lock word, a
// reader count) bouncing between cores.
inline constexpr std::size_t hot_key_count = 16;

enum class op_kind : std::uint8_t { load, store, erase };

template <class Key>
struct op_stream {
  std::vector<Key> keys;
  std::vector<op_kind> ops;  // one per key; empty when the workload has a single kind of op
};

// Long enough that the threads together touch most of a 2^20-key population, short enough
// that eight string streams stay near 140 MiB.
inline std::size_t stream_length(std::size_t key_count) {
  return std::clamp<std::size_t>(16 * key_count, std::size_t{1} << 16, std::size_t{1} << 19);
}

template <class Key>
op_stream<Key> make_stream(workload_id w, const key_set<Key>& keys, std::size_t thread) {
  const std::size_t n = keys.hits.size();
  const std::size_t length = stream_length(n);
  random_source rng(derive_seed(static_cast<std::uint64_t>(w) + 1, n, thread));
  op_stream<Key> s;
  s.keys.reserve(length);
  switch (w) {
    case workload_id::load_hits:
      for (std::size_t i = 0; i < length; ++i)
        s.keys.push_back(keys.hits[rng.below(n)]);
      break;
    case workload_id::load_misses:
      for (std::size_t i = 0; i < length; ++i)
        s.keys.push_back(keys.misses[rng.below(n)]);
      break;
    case workload_id::hot_key_reads:
      for (std::size_t i = 0; i < length; ++i)
        s.keys.push_back(keys.hits[rng.below(std::min(hot_key_count, n))]);
      break;
    case workload_id::zipf_upsert: {
      const zipf_sampler zipf(n, zipf_exponent);
      // Rank 1 is hits[0]; the hit keys are in random order, so hot keys land anywhere.
      for (std::size_t i = 0; i < length; ++i)
        s.keys.push_back(keys.hits[zipf(rng) - 1]);
      break;
    }
    case workload_id::load90_store10:
    case workload_id::load50_store50:
    case workload_id::load50_store25_erase25: {
      const std::uint64_t load_share = w == workload_id::load90_store10 ? 90 : 50;
      const bool erases = w == workload_id::load50_store25_erase25;
      s.ops.reserve(length);
      for (std::size_t i = 0; i < length; ++i) {
        s.keys.push_back(keys.hits[rng.below(n)]);
        const std::uint64_t pct = rng.below(100);
        if (pct < load_share) {
          s.ops.push_back(op_kind::load);
        } else {
          s.ops.push_back(erases && pct >= 75 ? op_kind::erase : op_kind::store);
        }
      }
      break;
    }
    default:
      break;  // the fill workloads walk the key set; Go's set builds its keys per invocation
  }
  return s;
}

// One cached value and the tag it was built for (see the header comment).
class cache_slot {
 public:
  // Returns the value built for tag, building it with make() (returning std::shared_ptr<T>)
  // after freeing the previous value when the tag differs.
  template <class T, class Make>
  T& get(const std::string& tag, Make make) {
    if (tag != tag_ || !value_) {
      value_.reset();
      tag_.clear();
      std::shared_ptr<T> built = make();
      value_ = built;
      tag_ = tag;
    }
    return *static_cast<T*>(value_.get());
  }

  void clear() {
    value_.reset();
    tag_.clear();
  }

 private:
  std::string tag_;
  std::shared_ptr<void> value_;
};

// Filled only by thread 0 (see the header comment).
inline cache_slot key_cache;
inline cache_slot stream_cache;

// One slot per map; all emptied when a different population (key type, key count) is asked for.
class prefilled_map_cache {
 public:
  cache_slot& slot_for(const std::string& map_id, const std::string& population) {
    if (population != population_) {
      clear();
      population_ = population;
    }
    return slots_[map_id];
  }

  void clear() {
    slots_.clear();
    population_.clear();
  }

 private:
  std::string population_;
  std::map<std::string, cache_slot> slots_;
};

inline prefilled_map_cache prefilled_maps;

template <class Key>
std::string tag_of(std::size_t key_count) {
  return std::string(key_traits<Key>::tag) + '/' + std::to_string(key_count);
}

template <class Key>
const key_set<Key>& cached_keys(std::size_t key_count) {
  return key_cache.get<key_set<Key>>(tag_of<Key>(key_count),
                                     [&] { return std::make_shared<key_set<Key>>(key_count); });
}

// Streams for threads 0..threads-1; grown, never rebuilt, when more threads ask.
template <class Key>
const std::vector<op_stream<Key>>& cached_streams(workload_id w, std::size_t key_count,
                                                  std::size_t threads) {
  const key_set<Key>& keys = cached_keys<Key>(key_count);
  auto& streams = stream_cache.get<std::vector<op_stream<Key>>>(
      tag_of<Key>(key_count) + '/' + info(w).id,
      [] { return std::make_shared<std::vector<op_stream<Key>>>(); });
  while (streams.size() < threads)
    streams.push_back(make_stream(w, keys, streams.size()));
  return streams;
}

// A map holding the workload's initial state (never `none`), built once per (map, keys, state).
template <class Map, class Key>
Map& cached_prefilled_map(initial_state initial, std::size_t key_count) {
  const key_set<Key>& keys = cached_keys<Key>(key_count);
  const std::string population = tag_of<Key>(key_count);
  cache_slot& slot = prefilled_maps.slot_for(Map::id(), population);
  return slot.get<Map>(population + (initial == initial_state::all ? "/all" : "/half"), [&] {
    auto map = std::make_shared<Map>();
    const std::size_t step = initial == initial_state::all ? 1 : 2;
    for (std::size_t i = 0; i < key_count; i += step)
      map->store(keys.hits[i], i);
    settle(*map);
    return map;
  });
}

}  // namespace syncmap_bench

#endif  // SYNCMAP_BENCH_WORKLOADS_HPP
