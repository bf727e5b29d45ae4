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
//   none  the fill workload, which times filling fresh maps from empty.
//
// Caches. Google Benchmark calls each benchmark function several times, and consecutive
// benchmarks share inputs: all maps run one workload on the same streams, and each map's
// prefilled instance serves the five workloads that start from `all`. A cache_slot holds one
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

enum class workload_id : std::uint8_t {
  load_hits,
  load_misses,
  load90_store10,
  zipf_upsert,
  load50_store25_erase25,
  fill,
  hot_key_reads,  // last: the values seed the streams, so earlier workloads keep theirs
};

enum class initial_state : std::uint8_t { all, half, none };

struct workload_info {
  workload_id which;
  const char* id;  // benchmark-name prefix and report row label
  const char* description;
  initial_state initial;
  bool read_only;  // never writes: the unsynchronized read-only floor runs it too
};

// Registration and report order. Those starting from the same state are adjacent, so one
// prefilled map serves them in turn.
inline constexpr workload_info workloads[] = {
    {workload_id::load_hits, "load_hits", "load of present keys, uniform", initial_state::all,
     true},
    {workload_id::load_misses, "load_misses", "load of absent keys, uniform", initial_state::all,
     true},
    {workload_id::hot_key_reads, "hot_key_reads",
     "load of the same 16 present keys by every thread, uniform over them", initial_state::all,
     true},
    {workload_id::load90_store10, "load90_store10",
     "90% load / 10% store (overwrite) of present keys, uniform", initial_state::all, false},
    {workload_id::zipf_upsert, "zipf_upsert", "upsert(+1) of present keys drawn Zipf(0.99)",
     initial_state::all, false},
    {workload_id::load50_store25_erase25, "load50_store25_erase25",
     "50% load / 25% store / 25% erase, uniform over the keys, half present", initial_state::half,
     false},
    {workload_id::fill, "fill", "store every key into an empty map, threads take disjoint slices",
     initial_state::none, false},
};

inline const workload_info& info(workload_id w) {
  return *std::find_if(std::begin(workloads), std::end(workloads),
                       [w](const workload_info& i) { return i.which == w; });
}

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
    case workload_id::load50_store25_erase25: {
      const bool read_mostly = w == workload_id::load90_store10;
      s.ops.reserve(length);
      for (std::size_t i = 0; i < length; ++i) {
        s.keys.push_back(keys.hits[rng.below(n)]);
        const std::uint64_t pct = rng.below(100);
        if (read_mostly) {
          s.ops.push_back(pct < 90 ? op_kind::load : op_kind::store);
        } else {
          s.ops.push_back(pct < 50 ? op_kind::load : pct < 75 ? op_kind::store : op_kind::erase);
        }
      }
      break;
    }
    case workload_id::fill:
      break;  // fill walks the key set itself
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
