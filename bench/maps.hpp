// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// The maps under test, each behind the same small adapter so that one workload loop drives all
// of them. The reference every ratio is taken against is std::unordered_map behind one
// std::mutex: the map a C++ programmer writes first.
//
// An adapter is a class template over the key type with
//   static const char* id()       short, filter-friendly name used in benchmark names
//   static const char* name()     the name printed in reports
//   bool load(const Key&) const   copies the value out when present (as syncmap's load does);
//                                 returns whether the key was there
//   void store(const Key&, value_type)       insert or overwrite
//   void erase(const Key&)
//   void upsert_add(const Key&, value_type d)  atomically: value += d, or insert d
//   void reserve(std::size_t n)   pre-size for n keys (rcu_map: its dirty table, where new keys go)
// the Go-named operations that Go's own sync.Map benchmark set needs (workloads.hpp, go_*),
// each one atomic, each returning Go's `loaded`/`swapped`/`deleted` and copying out (keep())
// whatever value it would return:
//   bool load_or_store(const Key&, value_type v)   true: the key was there (v not stored)
//   bool load_and_delete(const Key&)                true: the key was there (now removed)
//   bool exchange(const Key&, value_type v)         stores v; true: a previous value existed
//   bool compare_and_swap(const Key&, value_type expected, value_type desired)
//   bool compare_and_delete(const Key&, value_type expected)
//   std::size_t for_each(F f)     Go's Range: f(const Key&, const value_type&) returns bool,
//                                 false stops; returns how many times f ran. Non-const
//                                 because libcuckoo's lock_table() is. f never calls the map.
// and, optionally,
//   template <class K> using heap_twin = ...;   the adapter the memory benchmark measures
//                                 instead (see tbb_hash_map)
//   void settle()                 called once after prefilling, before any timing: brings the
//                                 map to the state a long run of reads would (rcu_map promotes
//                                 its dirty table, as Go's Range does), so the first timed
//                                 iterations do not pay for a one-off transition
//   static constexpr bool read_only_floor = true;   no synchronization at all: registered only
//                                 for workloads that never write (see absl_flat_no_lock)
//   static constexpr bool for_each_with_writers = false;   for_each is unsafe while other
//                                 threads write: workloads that do that (go_AdversarialDelete)
//                                 skip this map (see tbb_hash_map)
// Peers without a native operation implement it the obvious way under their own locking:
// one exclusive lock (or accessor, or bucket-pair lock) around a find and the update. Per-peer
// caveats are listed in bench/README.md.
// Each map uses its own default hash: that is what its users get.
//
// Adding a map: write its adapter below and add one line to for_each_map().
// Peers are compiled in only when CMake found them (SYNCMAP_BENCH_HAVE_<PEER>); syncmap's own
// maps only when their header exists, so the harness builds at every stage of the library.
#ifndef SYNCMAP_BENCH_MAPS_HPP
#define SYNCMAP_BENCH_MAPS_HPP

#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <type_traits>
#include <unordered_map>
#include <utility>

#if __has_include(<syncmap/sharded_map.hpp>)
#include <syncmap/sharded_map.hpp>
#define SYNCMAP_BENCH_HAVE_SHARDED_MAP 1
#else
#define SYNCMAP_BENCH_HAVE_SHARDED_MAP 0
#endif
#if __has_include(<syncmap/rcu_map.hpp>)
#include <syncmap/rcu_map.hpp>
#define SYNCMAP_BENCH_HAVE_RCU_MAP 1
#else
#define SYNCMAP_BENCH_HAVE_RCU_MAP 0
#endif

#ifndef SYNCMAP_BENCH_HAVE_ABSL
#define SYNCMAP_BENCH_HAVE_ABSL 0
#endif
#ifndef SYNCMAP_BENCH_HAVE_TBB
#define SYNCMAP_BENCH_HAVE_TBB 0
#endif
#ifndef SYNCMAP_BENCH_HAVE_LIBCUCKOO
#define SYNCMAP_BENCH_HAVE_LIBCUCKOO 0
#endif

#if SYNCMAP_BENCH_HAVE_ABSL
#include <absl/container/flat_hash_map.h>
#endif
#if SYNCMAP_BENCH_HAVE_TBB
#include <oneapi/tbb/concurrent_hash_map.h>
#include <oneapi/tbb/tbb_allocator.h>
#include <oneapi/tbb/version.h>
#endif
#if SYNCMAP_BENCH_HAVE_LIBCUCKOO
#include <libcuckoo/cuckoohash_map.hh>
#endif

namespace syncmap_bench {

// Every map stores uint64 values: the benchmarks measure the maps, not value copies.
using value_type = std::uint64_t;

// A value read out of a map must be observable, or the compiler may drop the read. (By value:
// Google Benchmark 1.8 deprecates DoNotOptimize on a const reference.)
inline void keep(value_type v) {
  benchmark::DoNotOptimize(v);
}

// for_each over anything iterable as (key, value) pairs, Range-style: f returns false to stop.
// Returns how many times f was called (the call that returned false included), as the maps do.
template <class Range, class F>
std::size_t range_for_each(const Range& range, F& f) {
  std::size_t calls = 0;
  for (const auto& [key, value] : range) {
    ++calls;
    if (!f(key, value)) break;
  }
  return calls;
}

// ---------------------------------------------------------------------------------------------
// Single-threaded tables behind one lock: the baselines.

// Table is a std::unordered_map-like type; Mutex a Lockable, also SharedLockable when readers
// should share it.
template <class Table, class Mutex>
class locked_table_map {
  static constexpr bool readers_share = std::is_same_v<Mutex, std::shared_mutex>;
  using read_lock =
      std::conditional_t<readers_share, std::shared_lock<Mutex>, std::lock_guard<Mutex>>;
  using write_lock = std::lock_guard<Mutex>;

 public:
  using key_type = typename Table::key_type;

  bool load(const key_type& k) const {
    value_type v;
    {
      read_lock lock(mutex_);
      const auto it = table_.find(k);
      if (it == table_.end()) return false;
      v = it->second;
    }
    keep(v);
    return true;
  }
  void store(const key_type& k, value_type v) {
    write_lock lock(mutex_);
    table_.insert_or_assign(k, v);
  }
  void erase(const key_type& k) {
    write_lock lock(mutex_);
    table_.erase(k);
  }
  void upsert_add(const key_type& k, value_type d) {
    write_lock lock(mutex_);
    table_[k] += d;  // a new entry is value-initialised to 0, so it ends up holding d
  }
  void reserve(std::size_t n) {
    write_lock lock(mutex_);
    table_.reserve(n);
  }

  // The Go-named operations: each one exclusive lock around the lookup and the change (Go's
  // RWMutexMap in map_reference_test.go does the same).
  bool load_or_store(const key_type& k, value_type v) {
    value_type existing;
    {
      write_lock lock(mutex_);
      const auto [it, inserted] = table_.try_emplace(k, v);
      if (inserted) return false;
      existing = it->second;
    }
    keep(existing);
    return true;
  }
  bool load_and_delete(const key_type& k) {
    value_type v;
    {
      write_lock lock(mutex_);
      const auto it = table_.find(k);
      if (it == table_.end()) return false;
      v = it->second;
      table_.erase(it);
    }
    keep(v);
    return true;
  }
  bool exchange(const key_type& k, value_type v) {
    value_type previous;
    {
      write_lock lock(mutex_);
      const auto [it, inserted] = table_.try_emplace(k, v);
      if (inserted) return false;
      previous = it->second;
      it->second = v;
    }
    keep(previous);
    return true;
  }
  bool compare_and_swap(const key_type& k, value_type expected, value_type desired) {
    write_lock lock(mutex_);
    const auto it = table_.find(k);
    if (it == table_.end() || it->second != expected) return false;
    it->second = desired;
    return true;
  }
  bool compare_and_delete(const key_type& k, value_type expected) {
    write_lock lock(mutex_);
    const auto it = table_.find(k);
    if (it == table_.end() || it->second != expected) return false;
    table_.erase(it);
    return true;
  }
  // The whole walk under one read lock (shared when Mutex allows it), as Go's RWMutexMap.Range
  // would if it did not copy the keys out first.
  template <class F>
  std::size_t for_each(F f) {
    read_lock lock(mutex_);
    return range_for_each(table_, f);
  }

 private:
  mutable Mutex mutex_;  // guards table_: shared by load() when Mutex allows it, else exclusive
  Table table_;
};

template <class Key>
struct unordered_map_mutex : locked_table_map<std::unordered_map<Key, value_type>, std::mutex> {
  static const char* id() { return "unordered_map_mutex"; }
  static const char* name() { return "std::unordered_map + std::mutex"; }
};

template <class Key>
struct unordered_map_shared_mutex
    : locked_table_map<std::unordered_map<Key, value_type>, std::shared_mutex> {
  static const char* id() { return "unordered_map_shared_mutex"; }
  static const char* name() { return "std::unordered_map + std::shared_mutex"; }
};

#if SYNCMAP_BENCH_HAVE_ABSL
template <class Key>
struct absl_flat_mutex : locked_table_map<absl::flat_hash_map<Key, value_type>, std::mutex> {
  static const char* id() { return "absl_flat_mutex"; }
  static const char* name() { return "absl::flat_hash_map + std::mutex"; }
};

// The floor for read-only workloads: with no writer running, readers of a plain table need no
// lock, so this is what a lookup costs when synchronization costs nothing. Registered only for
// workloads that never write (workload_info::read_only); prefilling happens on one thread
// before the start barrier, which orders it before every reader.
template <class Key>
class absl_flat_no_lock {
 public:
  static constexpr bool read_only_floor = true;
  static const char* id() { return "absl_flat_no_lock"; }
  static const char* name() { return "absl::flat_hash_map, no lock (read-only floor)"; }

  bool load(const Key& k) const {
    const auto it = table_.find(k);
    if (it == table_.end()) return false;
    keep(it->second);
    return true;
  }
  // Writers exist for setup and the memory benchmark only, never concurrently.
  void store(const Key& k, value_type v) { table_.insert_or_assign(k, v); }
  void erase(const Key& k) { table_.erase(k); }
  void upsert_add(const Key& k, value_type d) { table_[k] += d; }
  void reserve(std::size_t n) { table_.reserve(n); }
  bool load_or_store(const Key& k, value_type v) { return !table_.try_emplace(k, v).second; }
  bool load_and_delete(const Key& k) { return table_.erase(k) != 0; }
  bool exchange(const Key& k, value_type v) {
    const auto [it, inserted] = table_.try_emplace(k, v);
    it->second = v;
    return !inserted;
  }
  bool compare_and_swap(const Key& k, value_type expected, value_type desired) {
    const auto it = table_.find(k);
    if (it == table_.end() || it->second != expected) return false;
    it->second = desired;
    return true;
  }
  bool compare_and_delete(const Key& k, value_type expected) {
    const auto it = table_.find(k);
    if (it == table_.end() || it->second != expected) return false;
    table_.erase(it);
    return true;
  }
  // Readers only (go_Range): plain iteration of a table nobody writes.
  template <class F>
  std::size_t for_each(F f) {
    return range_for_each(table_, f);
  }

 private:
  absl::flat_hash_map<Key, value_type> table_;
};
#endif

// ---------------------------------------------------------------------------------------------
// syncmap's maps.

// The operations both syncmap maps share, forwarded one to one.
template <class SyncMap>
class syncmap_adapter {
 public:
  using key_type = typename SyncMap::key_type;

  template <class... Args>
  explicit syncmap_adapter(Args&&... args) : map_(std::forward<Args>(args)...) {}

  bool load(const key_type& k) const {
    const std::optional<value_type> v = map_.load(k);
    if (!v) return false;
    keep(*v);
    return true;
  }
  void store(const key_type& k, value_type v) { map_.store(k, v); }
  void erase(const key_type& k) { map_.erase(k); }
  void upsert_add(const key_type& k, value_type d) {
    // noexcept: sharded_map may then update in place instead of on a copy; rcu_map runs it on
    // a copy published by CAS, perhaps more than once, so it must have no side effects.
    map_.upsert(
        k, [d](value_type& x) noexcept { x += d; }, d);
  }
  bool load_or_store(const key_type& k, value_type v) {
    const std::pair<value_type, bool> result = map_.load_or_store(k, v);
    if (result.second) keep(result.first);
    return result.second;
  }
  bool load_and_delete(const key_type& k) {
    const std::optional<value_type> v = map_.load_and_delete(k);
    if (!v) return false;
    keep(*v);
    return true;
  }
  bool exchange(const key_type& k, value_type v) {
    const std::optional<value_type> previous = map_.exchange(k, v);
    if (!previous) return false;
    keep(*previous);
    return true;
  }
  bool compare_and_swap(const key_type& k, value_type expected, value_type desired) {
    return map_.compare_and_swap(k, expected, desired);
  }
  bool compare_and_delete(const key_type& k, value_type expected) {
    return map_.compare_and_delete(k, expected);
  }
  template <class F>
  std::size_t for_each(F f) {
    return map_.for_each(f);
  }

 protected:
  SyncMap map_;
};

#if SYNCMAP_BENCH_HAVE_SHARDED_MAP
// SYNCMAP_BENCH_SHARDS=<n> replaces the default shard count: the shard-count sweep in
// bench/README.md that chose the default runs the same workloads with several values.
inline std::size_t bench_shard_count() {
  const char* text = std::getenv("SYNCMAP_BENCH_SHARDS");
  if (text == nullptr || *text == '\0') return syncmap::detail::default_shard_count();
  return static_cast<std::size_t>(std::strtoull(text, nullptr, 10));
}

template <class Key, class SharedMutex>
class sharded_map_adapter
    : public syncmap_adapter<
          syncmap::sharded_map<Key, value_type, std::hash<Key>, std::equal_to<Key>,
                               std::allocator<std::pair<const Key, value_type>>, SharedMutex>> {
 public:
  sharded_map_adapter() : sharded_map_adapter::syncmap_adapter(bench_shard_count()) {}

  void reserve(std::size_t n) { this->map_.reserve(n); }
};

template <class Key>
struct sharded_map_rw_spinlock : sharded_map_adapter<Key, syncmap::rw_spinlock> {
  static const char* id() { return "sharded_map"; }
  static const char* name() { return "syncmap::sharded_map<rw_spinlock>"; }
};

template <class Key>
struct sharded_map_shared_mutex : sharded_map_adapter<Key, std::shared_mutex> {
  static const char* id() { return "sharded_map_shared_mutex"; }
  static const char* name() { return "syncmap::sharded_map<std::shared_mutex>"; }
};
#endif

#if SYNCMAP_BENCH_HAVE_RCU_MAP
template <class Key>
class rcu_map_adapter : public syncmap_adapter<syncmap::rcu_map<Key, value_type>> {
 public:
  static const char* id() { return "rcu_map"; }
  static const char* name() { return "syncmap::rcu_map"; }

  void reserve(std::size_t n) { this->map_.reserve(n); }  // sizes the dirty table
  // A for_each that stops at once: like Go's Range it first promotes the dirty table, which
  // prefilling left holding every key, so timed loads start on the read table.
  void settle() {
    this->map_.for_each([](const Key&, const value_type&) { return false; });
  }
};
#endif

// ---------------------------------------------------------------------------------------------
// Concurrent peers.

#if SYNCMAP_BENCH_HAVE_TBB
template <class Key, class Allocator>
class tbb_map_adapter {
  using table = tbb::concurrent_hash_map<Key, value_type, tbb::tbb_hash_compare<Key>, Allocator>;

 public:
  bool load(const Key& k) const {
    typename table::const_accessor entry;  // holds the element's read lock until destroyed
    if (!map_.find(entry, k)) return false;
    keep(entry->second);
    return true;
  }
  void store(const Key& k, value_type v) {
    typename table::accessor entry;  // holds the element's write lock until destroyed
    map_.insert(entry, k);
    entry->second = v;
  }
  void erase(const Key& k) { map_.erase(k); }
  void upsert_add(const Key& k, value_type d) {
    typename table::accessor entry;
    map_.insert(entry, k);  // a new element is value-initialised to 0
    entry->second += d;
  }
  void reserve(std::size_t n) { map_.rehash(n); }

  // The Go-named operations through accessors: each holds the element's lock (read for
  // const_accessor, write for accessor) from the lookup to the change.
  bool load_or_store(const Key& k, value_type v) {
    typename table::const_accessor entry;
    if (map_.insert(entry, typename table::value_type(k, v))) return false;
    keep(entry->second);
    return true;
  }
  bool load_and_delete(const Key& k) {
    typename table::accessor entry;
    if (!map_.find(entry, k)) return false;
    keep(entry->second);
    map_.erase(entry);  // erases the element the accessor holds, and releases it
    return true;
  }
  bool exchange(const Key& k, value_type v) {
    typename table::accessor entry;
    const bool inserted = map_.insert(entry, k);
    if (!inserted) keep(entry->second);
    entry->second = v;
    return !inserted;
  }
  bool compare_and_swap(const Key& k, value_type expected, value_type desired) {
    typename table::accessor entry;
    if (!map_.find(entry, k) || entry->second != expected) return false;
    entry->second = desired;
    return true;
  }
  bool compare_and_delete(const Key& k, value_type expected) {
    typename table::accessor entry;
    if (!map_.find(entry, k) || entry->second != expected) return false;
    map_.erase(entry);
    return true;
  }
  // TBB's iterators take no locks and are not safe while other threads insert or erase (its
  // documentation says so), so for_each_with_writers is false: go_Range (readers only) runs,
  // go_AdversarialDelete skips this map.
  static constexpr bool for_each_with_writers = false;
  template <class F>
  std::size_t for_each(F f) {
    return range_for_each(map_, f);
  }

 private:
  table map_;
};

// TBB's default allocator (tbbmalloc when installed, as on Debian): what TBB users get.
template <class Key>
struct tbb_hash_map : tbb_map_adapter<Key, tbb::tbb_allocator<std::pair<const Key, value_type>>> {
  static const char* id() { return "tbb_hash_map"; }
  static const char* name() { return "tbb::concurrent_hash_map"; }

  // tbbmalloc's pools are invisible to mallinfo2(), so the memory benchmark measures the same
  // table on std::allocator.
  template <class K>
  using heap_twin = tbb_map_adapter<K, std::allocator<std::pair<const K, value_type>>>;
};
#endif

#if SYNCMAP_BENCH_HAVE_LIBCUCKOO
template <class Key>
class libcuckoo_map {
 public:
  static const char* id() { return "libcuckoo"; }
  static const char* name() { return "libcuckoo::cuckoohash_map"; }

  bool load(const Key& k) const {
    value_type v;
    if (!map_.find(k, v)) return false;
    keep(v);
    return true;
  }
  void store(const Key& k, value_type v) { map_.insert_or_assign(k, v); }
  void erase(const Key& k) { map_.erase(k); }
  void upsert_add(const Key& k, value_type d) {
    map_.upsert(
        k, [d](value_type& x) { x += d; }, d);
  }
  void reserve(std::size_t n) { map_.reserve(n); }

  // The Go-named operations: each runs its functor under the key's two bucket locks.
  bool load_or_store(const Key& k, value_type v) {
    value_type existing = 0;
    const bool inserted = map_.uprase_fn(
        k,
        [&existing](value_type& x) {
          existing = x;
          return false;  // keep the entry
        },
        v);
    if (inserted) return false;
    keep(existing);
    return true;
  }
  bool load_and_delete(const Key& k) {
    value_type v = 0;
    if (!map_.erase_fn(k, [&v](value_type& x) {
          v = x;
          return true;  // erase it
        })) {
      return false;
    }
    keep(v);
    return true;
  }
  bool exchange(const Key& k, value_type v) {
    value_type previous = 0;
    const bool inserted = map_.uprase_fn(
        k,
        [&previous, v](value_type& x) {
          previous = x;
          x = v;
          return false;
        },
        v);
    if (inserted) return false;
    keep(previous);
    return true;
  }
  bool compare_and_swap(const Key& k, value_type expected, value_type desired) {
    bool swapped = false;
    map_.update_fn(k, [&](value_type& x) {
      if (x != expected) return;
      x = desired;
      swapped = true;
    });
    return swapped;
  }
  bool compare_and_delete(const Key& k, value_type expected) {
    bool deleted = false;
    map_.erase_fn(k, [&](value_type& x) {
      deleted = x == expected;
      return deleted;  // erase only a match
    });
    return deleted;
  }
  // lock_table() takes every bucket lock (exclusively) for the whole walk: safe against
  // writers, but two concurrent for_each calls run one after the other.
  template <class F>
  std::size_t for_each(F f) {
    const auto locked = map_.lock_table();
    return range_for_each(locked, f);
  }

 private:
  libcuckoo::cuckoohash_map<Key, value_type> map_;
};
#endif

// ---------------------------------------------------------------------------------------------
// Optional adapter members, with their defaults.

template <class Map, class = void>
struct is_read_only_floor : std::false_type {};
template <class Map>
struct is_read_only_floor<Map, std::void_t<decltype(Map::read_only_floor)>>
    : std::bool_constant<Map::read_only_floor> {};

template <class Map, class = void>
struct has_settle : std::false_type {};
template <class Map>
struct has_settle<Map, std::void_t<decltype(std::declval<Map&>().settle())>> : std::true_type {};

template <class Map>
void settle(Map& map) {
  if constexpr (has_settle<Map>::value) map.settle();
}

template <class Map, class = void>
struct for_each_with_writers : std::true_type {};
template <class Map>
struct for_each_with_writers<Map, std::void_t<decltype(Map::for_each_with_writers)>>
    : std::bool_constant<Map::for_each_with_writers> {};

// The adapter the memory benchmark measures for Adapter: its heap_twin if it names one.
template <template <class> class Adapter, class Key, class = void>
struct heap_measured {
  using type = Adapter<Key>;
};
template <template <class> class Adapter, class Key>
struct heap_measured<Adapter, Key, std::void_t<typename Adapter<Key>::template heap_twin<Key>>> {
  using type = typename Adapter<Key>::template heap_twin<Key>;
};

template <template <class> class Adapter>
struct map_tag {
  template <class Key>
  using type = Adapter<Key>;
  template <class Key>
  using heap_type = typename heap_measured<Adapter, Key>::type;
};

// The list. Calls f(map_tag<Adapter>{}) for every map compiled in; the order is the column
// order in reports: the reference first, then syncmap's maps, then the rest.
template <class F>
void for_each_map(F&& f) {
  f(map_tag<unordered_map_mutex>{});
#if SYNCMAP_BENCH_HAVE_SHARDED_MAP
  f(map_tag<sharded_map_rw_spinlock>{});
  f(map_tag<sharded_map_shared_mutex>{});
#endif
#if SYNCMAP_BENCH_HAVE_RCU_MAP
  f(map_tag<rcu_map_adapter>{});
#endif
  f(map_tag<unordered_map_shared_mutex>{});
#if SYNCMAP_BENCH_HAVE_ABSL
  f(map_tag<absl_flat_mutex>{});
  f(map_tag<absl_flat_no_lock>{});
#endif
#if SYNCMAP_BENCH_HAVE_TBB
  f(map_tag<tbb_hash_map>{});
#endif
#if SYNCMAP_BENCH_HAVE_LIBCUCKOO
  f(map_tag<libcuckoo_map>{});
#endif
}

}  // namespace syncmap_bench

#endif  // SYNCMAP_BENCH_MAPS_HPP
