// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
/// \file
/// syncmap::rcu_map: the read-optimized concurrent map in the shape of Go's sync.Map.
#ifndef SYNCMAP_RCU_MAP_HPP
#define SYNCMAP_RCU_MAP_HPP

#include <cstddef>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>
#include <vector>

#include "detail/allocator_rules.hpp"
#include "detail/config.hpp"
#include "detail/hash.hpp"
#include "detail/map_equality.hpp"
#include "detail/rcu_core.hpp"

SYNCMAP_NAMESPACE_BEGIN

/// A read-optimized concurrent map in the shape of Go's sync.Map (the read/dirty design Go
/// used up to 1.23): lookups of keys in the published read table take no lock, write nothing
/// shared, and execute no atomic read-modify-write and no fence on x86-64; writers to keys
/// already in the read table change the entry with one CAS; new keys go through a mutex-guarded
/// dirty table that is promoted to be the read table after enough lookups miss it.
///
/// When to use it (and when not): tables written rarely and read constantly by many threads,
/// or whose threads touch disjoint keys — configuration, routing tables, feature flags,
/// interned symbols, caches filled once. It is a poor fit for tables that keep gaining new keys
/// (every new key takes the one mutex, and the first one after a promotion copies the read
/// table: O(n)) and for update-heavy values (every store allocates a new value box). For mixed
/// read/write workloads choose sharded_map.
///
/// Concurrency contract (README.md, "API"): every member may be called concurrently with
/// every other except construction, destruction, assignment and swap(). Every single-key
/// operation is linearizable. Values are returned by copy. clear() removes keys one at a time
/// (each removal linearizable); for_each, snapshot and erase_if(pred) are weakly consistent.
///
/// Synchronization: a value is published into its entry with a release CAS and read with an
/// acquire load, the read table is published with a release store and read with an acquire
/// load, and everything else goes through the one mutex; so an operation that observes a
/// value synchronizes with the operation that stored it, as with a map behind one mutex.
/// size(), empty() and pending_reclamation() read counters and synchronize with nothing.
///
/// Complexity: a lookup of a key in the read table is O(1) expected with no lock; one that
/// falls through to the dirty table takes the mutex and counts a miss, and so does a write
/// that finds its key only there (Go's Store and Swap count none). A key absent from both
/// takes the mutex only if a key added to the dirty table since the last promotion shares
/// its bucket in the read table's filter of new keys (a bit per two entries, 512 to 65536);
/// Go's takes it for every miss while any new key waits. As many misses as the dirty
/// table has keys promote it to be the read table, in O(1); in O(n) for small trivially
/// copyable Key and T, whose read table keeps a copy of each key and value so that a hit reads
/// one slot. A write to a key in the read table is one CAS, retried while it loses races,
/// plus one allocation for the new value box (and, with those copies, the mutex once per key
/// per promotion, to mark the copy stale). A new key takes the mutex, and the first one after a
/// promotion copies the read table into a new dirty table: O(n). Whole-map operations are
/// O(capacity of the read table).
///
/// Callbacks: no callback (f, pred, make) runs under the mutex; the hash, the key equality,
/// Key's copy or move and the allocator may. for_each runs f with no lock and no read section
/// held, so f may call this map (load, store, erase, for_each, ...) and may block. visit runs f
/// inside a read section (no lock): f may call the map but should not block for long, since a
/// blocked read section holds back memory reclamation for every map (see "Memory"). update
/// and upsert run f, and erase_if its predicate, inside a read section on the current value;
/// update and upsert then publish the result with a CAS, and on a lost race the callback runs
/// again, so it must have no side effects. load_or_store_with's make() runs at most once per
/// call, with no lock held.
///
/// Exceptions: if the hash, the key equality, a constructor, the allocator or a callback of a
/// single-key operation throws, the operation has no effect and the map stays fully usable
/// (strong guarantee: stored values are immutable, and a new value box is published only once
/// complete). erase_if(pred) and for_each stop at the throw with what they had done kept.
///
/// Memory: replaced value boxes and replaced read tables are retired to an epoch-based
/// reclaimer (detail/epoch.hpp) and freed once no thread can still be reading them; entries
/// (key + value pointer) are freed as soon as no table and no running operation holds them.
/// Garbage is bounded: threads retire into one of 4 stripes of the map (by thread), each of
/// which never holds more retired-but-unfreed objects than detail::retire_list::hard_limit
/// (8192) plus one per thread retiring into it at that moment, so a map holds at most 32768
/// plus one per retiring thread; at its stripe's limit any operation that retires an object
/// (a store, an erase, clear, ...) waits for readers to leave their sections (a thread stuck inside
/// a visit callback therefore stalls writers at the limit, never correctness). Lookups that take
/// the slow path also collect, so garbage is freed even when only reads follow a delete. Deleted
/// keys keep their entry (not their value) until the next dirty-table rebuild and promotion, as in
/// Go, or until the dirty table would have to grow: an insert that would rehash it first drops
/// its deleted entries (when they are an eighth of it or more), so keys stored and erased
/// between promotions cannot pile up. Destruction,
/// swap and assignment free everything at once: they are not concurrent with the map's own
/// operations, so nothing the map retired can still be read. With std::allocator, a freed value box
/// is kept for the next write on the thread that freed it, up to 32 KiB (at most 1024 boxes) per
/// thread and map type, released when the thread exits (detail/box_cache.hpp; off under
/// AddressSanitizer, or with SYNCMAP_NO_BOX_CACHE defined in every translation unit); other
/// allocators see every allocation and deallocation.
template <class Key, class T, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>,
          class Allocator = std::allocator<std::pair<const Key, T>>>
class rcu_map {
  using core_type = detail::rcu_core<Key, T, Hash, KeyEqual, Allocator>;
  using box = typename core_type::box;
  using rmw = typename core_type::rmw;

  template <class K>
  using enable_if_transparent_t =
      std::enable_if_t<detail::is_transparent_v<Hash, KeyEqual> &&
                           !std::is_same_v<std::remove_cv_t<std::remove_reference_t<K>>, Key>,
                       int>;

  static_assert(std::is_copy_constructible_v<T>, "syncmap::rcu_map returns values by copy");

 public:
  using key_type = Key;                        ///< The key type, Key.
  using mapped_type = T;                       ///< The value type, T (copy constructible).
  using value_type = std::pair<const Key, T>;  ///< What initializer lists hold.
  using size_type = std::size_t;               ///< Counts and sizes.
  using hasher = Hash;                         ///< The hash function type, Hash.
  using key_equal = KeyEqual;                  ///< The key equality type, KeyEqual.
  using allocator_type = Allocator;            ///< Rebound for tables, entries and values.

  // ---- construction ----

  /// An empty map; allocates nothing until the first insert.
  rcu_map() : rcu_map(Hash()) {}
  /// An empty map with the given hash, key equality and allocator; allocates nothing.
  explicit rcu_map(const Hash& hash, const KeyEqual& eq = KeyEqual(),
                   const Allocator& alloc = Allocator())
      : core_(hash, eq, alloc) {}
  /// An empty map allocating through `alloc`; allocates nothing yet.
  explicit rcu_map(const Allocator& alloc) : core_(Hash(), KeyEqual(), alloc) {}

  /// Inserts each pair of [first, last) straight into one read table; for duplicate keys the
  /// first one wins. O(n) expected; forward iterators size the tables once.
  template <class InputIt, class = std::enable_if_t<!std::is_integral_v<InputIt>>>
  rcu_map(InputIt first, InputIt last, const Hash& hash = Hash(), const KeyEqual& eq = KeyEqual(),
          const Allocator& alloc = Allocator())
      : core_(hash, eq, alloc) {
    core_.insert_unshared(first, last);
  }
  /// Inserts each pair of `init`; for duplicate keys the first one wins.
  rcu_map(std::initializer_list<value_type> init, const Hash& hash = Hash(),
          const KeyEqual& eq = KeyEqual(), const Allocator& alloc = Allocator())
      : rcu_map(init.begin(), init.end(), hash, eq, alloc) {}

  /// Copies the contents of one read table of `other` (after promoting it), through
  /// other.snapshot(): `other` may be in concurrent use, and the copy is then weakly
  /// consistent as snapshot() is, not a point-in-time copy. O(n).
  rcu_map(const rcu_map& other)
      : core_(other.core_.hash_function(), other.core_.key_eq(),
              std::allocator_traits<Allocator>::select_on_container_copy_construction(
                  other.core_.allocator())) {
    const auto entries = other.snapshot();
    core_.insert_unshared(entries.begin(), entries.end());
  }

  /// Copies the contents of one read table of `other` into storage from `alloc`.
  rcu_map(const rcu_map& other, const Allocator& alloc)
      : core_(other.core_.hash_function(), other.core_.key_eq(), alloc) {
    const auto entries = other.snapshot();
    core_.insert_unshared(entries.begin(), entries.end());
  }

  /// Takes other's contents; `other` is left empty and usable. Frees what `other` had retired
  /// at once. Allocates nothing.
  rcu_map(rcu_map&& other)
      : core_(other.core_.hash_function(), other.core_.key_eq(), other.core_.allocator()) {
    core_.swap_storage(other.core_);
  }

  /// Copies one read table of `other`, as the copy constructor does; strong guarantee. The
  /// allocator follows propagate_on_container_copy_assignment.
  rcu_map& operator=(const rcu_map& other) {
    if (this != &other) {
      rcu_map copy(other, detail::allocator_after_copy_assignment(core_.allocator(),
                                                                  other.core_.allocator()));
      core_.swap_all(copy.core_);
    }
    return *this;
  }

  /// Takes other's storage when the allocator propagates or compares equal; otherwise copies
  /// the entries into storage from this map's allocator (value boxes are immutable, so they
  /// cannot be moved from). `other` is left empty. Strong guarantee: on a throw (only on the
  /// copying path) neither map changed.
  rcu_map& operator=(rcu_map&& other) {
    if (this != &other) {
      if (detail::move_assignment_takes_storage(core_.allocator(), other.core_.allocator())) {
        rcu_map taken(std::move(other));
        if constexpr (std::allocator_traits<
                          Allocator>::propagate_on_container_move_assignment::value) {
          core_.swap_all(taken.core_);
        } else {
          core_.swap_storage(taken.core_);  // equal allocators: keep ours
        }
      } else {
        rcu_map copy(other, core_.allocator());
        core_.swap_all(copy.core_);
        other.clear();
      }
    }
    return *this;
  }
  /// Frees everything, including what the map retired, at once: no operation on the map (not
  /// even another thread's visit or for_each callback) may still be running.
  ~rcu_map() = default;

  /// Exchanges contents and functors in O(1), plus freeing what both maps had retired; the
  /// allocators only if they propagate on swap (otherwise they must compare equal). Not
  /// concurrent with other operations on either map.
  void swap(rcu_map& other) noexcept { core_.swap(other.core_); }
  /// Same as a.swap(b).
  friend void swap(rcu_map& a, rcu_map& b) noexcept { a.swap(b); }

  // ---- lookup: no lock for keys in the read table ----

  /// A copy of the value, if present (Go: Load). For a key in the read table, and for any
  /// key while the dirty table holds no new key: no lock, no atomic read-modify-write, no
  /// store but to the thread's own epoch record (wait-free once the thread is registered with
  /// the epoch domain, which its first rcu_map operation does). So is an absent key unless a
  /// key added since the last promotion shares its filter bucket (see "Complexity"). Any
  /// other key takes the mutex and counts a miss. O(1) expected. Strong guarantee.
  // Always inline (the slow path stays out of line): returned from a call, std::optional<T>
  // is assembled on the stack and reloaded, a store-forwarding stall that g++ 12 made cost
  // as much as the whole lookup of a hot key.
  SYNCMAP_ALWAYS_INLINE std::optional<T> load(const key_type& key) const { return core_.load(key); }
  /// load() for a key of any type `K` that the transparent Hash and KeyEqual accept.
  template <class K, enable_if_transparent_t<K> = 0>
  SYNCMAP_ALWAYS_INLINE std::optional<T> load(const K& key) const {
    return core_.load(key);
  }

  /// Whether `key` is present; the same path and cost as load(), without the copy.
  bool contains(const key_type& key) const { return core_.contains(key); }
  /// contains() for a key of any type `K` that the transparent Hash and KeyEqual accept.
  template <class K, enable_if_transparent_t<K> = 0>
  bool contains(const K& key) const {
    return core_.contains(key);
  }

  /// f(const T&) on the current value inside a read section (no lock); returns whether the
  /// key was found. The value is an immutable snapshot: it cannot change or vanish while f
  /// runs (a concurrent store publishes a new value instead). f may call this map but should
  /// not block (see "Memory"). The same path and cost as load(), without the copy.
  template <class F>
  bool visit(const key_type& key, F f) const {
    return core_.visit(key, f);
  }
  /// visit() for a key of any type `K` that the transparent Hash and KeyEqual accept.
  template <class K, class F, enable_if_transparent_t<K> = 0>
  bool visit(const K& key, F f) const {
    return core_.visit(key, f);
  }

  // ---- insertion ----

  /// Inserts or overwrites; returns true if the key was absent (Go: Store). Builds the new
  /// value box first (one allocation), then publishes it with one CAS, no lock, for a key in
  /// the read table (storing to a deleted key may need the mutex); with the mutex otherwise
  /// (a new key after a promotion also copies the read table: O(n)). The replaced value is
  /// retired. Strong guarantee.
  bool store(const key_type& key, T value) { return core_.store(key, std::move(value), nullptr); }
  /// store() taking the key by rvalue; it is moved from only if it is inserted.
  bool store(key_type&& key, T value) {
    return core_.store(std::move(key), std::move(value), nullptr);
  }

  /// The existing value and true, or `value` stored and false (Go: LoadOrStore). An existing
  /// value of a key in the read table is copied with no lock and no write; storing costs as
  /// store(). Strong guarantee.
  std::pair<T, bool> load_or_store(const key_type& key, T value) {
    return load_or_store_impl(key, std::move(value));
  }
  /// load_or_store() taking the key by rvalue; it is moved from only if it is inserted.
  std::pair<T, bool> load_or_store(key_type&& key, T value) {
    return load_or_store_impl(std::move(key), std::move(value));
  }

  /// Like load_or_store, but make() builds the value only once the key was seen absent, at
  /// most once per call, with no lock and no read section held. If another thread inserts
  /// the key meanwhile, its value is returned with true and make()'s value is discarded. If
  /// make throws, nothing changed.
  template <class F>
  std::pair<T, bool> load_or_store_with(const key_type& key, F make) {
    return load_or_store_with_impl(key, make);
  }
  /// load_or_store_with() taking the key by rvalue; it is moved from only if it is inserted.
  template <class F>
  std::pair<T, bool> load_or_store_with(key_type&& key, F make) {
    return load_or_store_with_impl(std::move(key), make);
  }

  /// Constructs T(args...) only once the key was seen absent, at most once per call; returns
  /// true if inserted. If a racing insert wins, the value built is destroyed and false is
  /// returned, so `args` may have been moved from even then. Costs as store().
  template <class... Args>
  bool try_emplace(const key_type& key, Args&&... args) {
    return try_emplace_impl(key, std::forward<Args>(args)...);
  }
  /// try_emplace() taking the key by rvalue; it is moved from only if it is inserted.
  template <class... Args>
  bool try_emplace(key_type&& key, Args&&... args) {
    return try_emplace_impl(std::move(key), std::forward<Args>(args)...);
  }

  /// Stores `value`, returning the previous value if there was one (Go: Swap). The previous
  /// value is copied before the new one is published (again after each lost race), so a
  /// throwing copy changes nothing. Costs as store().
  std::optional<T> exchange(const key_type& key, T value) {
    std::optional<T> previous;  // the one returned object: never moved after the store
    core_.store(key, std::move(value), &previous);
    return previous;
  }
  /// exchange() taking the key by rvalue; it is moved from only if it is inserted.
  std::optional<T> exchange(key_type&& key, T value) {
    std::optional<T> previous;
    core_.store(std::move(key), std::move(value), &previous);
    return previous;
  }

  /// Atomically: if present, publishes f applied to a copy of the value; else constructs
  /// T(args...). Returns true if inserted. f may run more than once (copy-on-write + CAS, as
  /// update()), so it must have no side effects; T(args...) is built at most once, and
  /// discarded if the key appears meanwhile. Costs as update() or store().
  template <class F, class... Args>
  bool upsert(const key_type& key, F f, Args&&... args) {
    return upsert_impl(key, f, std::forward<Args>(args)...);
  }
  /// upsert() taking the key by rvalue; it is moved from only if it is inserted.
  template <class F, class... Args>
  bool upsert(key_type&& key, F f, Args&&... args) {
    return upsert_impl(std::move(key), f, std::forward<Args>(args)...);
  }

  // ---- read-modify-write and erasure: one CAS on the entry ----

  /// f(T&) on a copy of the value, published with a CAS; returns whether the key was
  /// present. On a lost race f runs again on a copy of the newer value, so f must have no side
  /// effects. f runs inside a read section, no lock. One allocation per attempt; a key only in
  /// the dirty table is found under the mutex.
  template <class F>
  bool update(const key_type& key, F f) {
    return core_.update(key, f);
  }
  /// update() for a key of any type `K` that the transparent Hash and KeyEqual accept.
  template <class K, class F, enable_if_transparent_t<K> = 0>
  bool update(const K& key, F f) {
    return core_.update(key, f);
  }

  /// Replaces the value with `desired` if it equals `expected` (Go: CompareAndSwap); returns
  /// whether it did. A missing key never matches (golang/go#51972). One CAS, retried with a
  /// fresh comparison while it loses races; T's operator== runs inside a read section.
  bool compare_and_swap(const key_type& key, const T& expected, T desired) {
    static_assert(detail::is_equality_comparable<T>::value,
                  "syncmap: compare_and_swap needs a value type with operator==");
    return core_.compare_and_swap(key, expected, desired);
  }
  /// compare_and_swap() for a key of any type `K` that the transparent Hash and KeyEqual accept.
  template <class K, enable_if_transparent_t<K> = 0>
  bool compare_and_swap(const K& key, const T& expected, T desired) {
    static_assert(detail::is_equality_comparable<T>::value,
                  "syncmap: compare_and_swap needs a value type with operator==");
    return core_.compare_and_swap(key, expected, desired);
  }

  /// Removes the entry if its value equals `expected` (Go: CompareAndDelete); returns whether
  /// it did. One CAS, as compare_and_swap().
  bool compare_and_delete(const key_type& key, const T& expected) {
    static_assert(detail::is_equality_comparable<T>::value,
                  "syncmap: compare_and_delete needs a value type with operator==");
    return core_.compare_and_delete(key, expected);
  }
  /// compare_and_delete() for a key of any type `K` that the transparent Hash and KeyEqual accept.
  template <class K, enable_if_transparent_t<K> = 0>
  bool compare_and_delete(const K& key, const T& expected) {
    static_assert(detail::is_equality_comparable<T>::value,
                  "syncmap: compare_and_delete needs a value type with operator==");
    return core_.compare_and_delete(key, expected);
  }

  /// Removes the entry and returns its value (Go: LoadAndDelete). One CAS, no lock for a key
  /// in the read table; the value is copied first, so a throwing copy changes nothing.
  std::optional<T> load_and_delete(const key_type& key) { return core_.load_and_delete(key); }
  /// load_and_delete() for a key of any type `K` that the transparent Hash and KeyEqual accept.
  template <class K, enable_if_transparent_t<K> = 0>
  std::optional<T> load_and_delete(const K& key) {
    return core_.load_and_delete(key);
  }

  /// Removes the entry; returns 1 if it was there, else 0 (Go: Delete). One CAS, no lock for
  /// a key in the read table. The removed value is retired.
  size_type erase(const key_type& key) { return core_.erase(key); }
  /// erase() for a key of any type `K` that the transparent Hash and KeyEqual accept.
  template <class K, enable_if_transparent_t<K> = 0>
  size_type erase(const K& key) {
    return core_.erase(key);
  }

  /// Removes the entry if present and pred(const T&) is true; returns whether it did. pred
  /// runs inside a read section and may run more than once (on a lost race), so it must have
  /// no side effects. One CAS, as erase().
  template <class Pred>
  bool erase_if(const key_type& key, Pred pred) {
    return core_.erase_if(key, pred);
  }
  /// erase_if() for a key of any type `K` that the transparent Hash and KeyEqual accept.
  template <class K, class Pred, enable_if_transparent_t<K> = 0>
  bool erase_if(const K& key, Pred pred) {
    return core_.erase_if(key, pred);
  }

  // ---- whole map ----

  /// Removes every entry with pred(const K&, const T&), walking one read table (promoted
  /// first, as for_each does) with no lock held while pred runs; returns how many were
  /// removed. Each entry is tested inside a read section and removed with a CAS; on a lost
  /// race pred runs again, so it must have no side effects. Weakly consistent: every entry
  /// present for the whole call is tested, a key added during it may be missed. If pred
  /// throws, what was removed stays removed. O(capacity of the read table).
  template <class Pred>
  size_type erase_if(Pred pred) {
    return core_.erase_if_all(pred);
  }

  /// Go's Range: promotes the dirty table if it holds new keys, then calls f(const K&,
  /// const T&) for each entry of that read table with no lock held; f may call this map. If f
  /// returns bool, false stops early. Returns how many times f was called. Weakly consistent:
  /// an entry present for the whole call is visited exactly once, one added or removed during
  /// it at most once; f sees a copy of each value, taken when its entry is reached. Allocates
  /// nothing on an empty map (golang/go#62404). If f throws, for_each stops there and the
  /// exception propagates. O(capacity of the read table).
  template <class F>
  size_type for_each(F f) const {
    return core_.for_each(f);
  }

  /// A copy of the contents of one read table, to iterate with no lock held: the entries
  /// for_each would visit, each value as it was when reached. Weakly consistent while writers
  /// run, not a point-in-time copy. O(capacity of the read table).
  std::vector<std::pair<Key, T>> snapshot() const { return core_.snapshot(); }

  /// Entries holding a value: a counter, no scan, no lock, O(1). Exact when no writer runs;
  /// while writers run, an approximation (never negative). Synchronizes with nothing.
  size_type size() const noexcept { return core_.size(); }
  /// size() == 0, with the same caveats.
  bool empty() const noexcept { return size() == 0; }

  /// The largest entry count reserve() accepts.
  size_type max_size() const noexcept { return core_type::max_size(); }

  /// Sizes the dirty table, where new keys go, so that n entries fit without a rehash: builds
  /// it now if there is none (as the first new key after a promotion would, copying the read
  /// table: O(size())) or grows it, under the mutex. The reservation also sizes the dirty
  /// tables rebuilt after later promotions (and after clear()), until the dirty table has
  /// held n entries; then it lapses, so rebuilds go back to costing the read table's size. It
  /// does not size the read table: a promotion builds that for the entries it holds. Throws
  /// std::length_error if n > max_size(); on std::bad_alloc nothing changed.
  void reserve(size_type n) { core_.reserve(n); }

  /// Removes every entry (Go: Clear); each removal is linearizable, the whole is not atomic:
  /// under the mutex it publishes an empty read table, then empties the old entries one by
  /// one, so a reader still probing the old table may briefly find one. O(n); the old tables
  /// and values are retired, not freed at once.
  void clear() { core_.clear(); }

  /// A copy of the hash function.
  hasher hash_function() const { return core_.hash_function(); }
  /// A copy of the key equality.
  key_equal key_eq() const { return core_.key_eq(); }
  /// A copy of the allocator.
  allocator_type get_allocator() const { return core_.allocator(); }

  /// Objects this map retired that are not yet freed (value boxes and read tables). Bounded;
  /// see "Memory" above. A relaxed counter: exact only when no operation runs.
  size_type pending_reclamation() const noexcept { return core_.pending_reclamation(); }

  /// What stats() returns (a plain struct; see its members for what each counts).
  using stats_type = rcu_map_stats;

  /// Opt-in statistics for production monitoring: read-table hits (lookups answered on the
  /// lock-free path), misses (operations that fell through to the dirty table under the
  /// lock), promotions of the dirty table, entries expunged when the dirty table was rebuilt,
  /// objects retired to epoch reclamation, and pending_reclamation().
  ///
  /// The counters exist only when SYNCMAP_STATS is defined to 1; by default (0) they cost
  /// nothing (no member, no instruction on any path) and stats() returns
  /// pending_reclamation with counters_enabled == false and every counter zero. SYNCMAP_STATS
  /// changes the map's layout, so define it identically in every translation unit of the
  /// program (ODR), on the consuming target: target_compile_definitions(app PRIVATE
  /// SYNCMAP_STATS=1).
  ///
  /// Enabled, a read-table hit adds one relaxed increment to one of 16 cache-line-padded
  /// counters picked per thread (round-robin), so readers do not share one hot counter; the
  /// other counters are bumped on paths that already take the mutex or retire. No lock is
  /// taken: values are exact when no operation runs, otherwise recent values, not one
  /// snapshot; it synchronizes with nothing. The counters stay with the map object (a copy
  /// or a moved-to map starts at zero; swap() does not exchange them). O(1).
  stats_type stats() const noexcept { return core_.stats(); }

  /// Equal when both hold the same keys with equal values (needs T == T). Compares a
  /// snapshot of `a` against lookups in `b`; exact only while neither map is being written.
  /// O(size) expected.
  friend bool operator==(const rcu_map& a, const rcu_map& b) { return detail::maps_equal(a, b); }
  /// !(a == b).
  friend bool operator!=(const rcu_map& a, const rcu_map& b) { return !(a == b); }

 private:
  using owned_box = typename core_type::owned_box;

  // The result of load_or_store and load_or_store_with is one named object, built before
  // anything is published and returned on every path (so it is never copied or moved after
  // the insert takes effect): a throwing copy or move of T then leaves the map unchanged.
  template <class KeyArg>
  std::pair<T, bool> load_or_store_impl(KeyArg&& key, T&& value) {
    std::pair<T, bool> result(std::move(value), false);
    owned_box fresh{core_};
    auto [existing, inserted] = core_.insert_if_absent(
        std::forward<KeyArg>(key), fresh, [&] { return core_.make_box(result.first); },
        [](const box* b) { return b->value; });
    if (!inserted) {
      result.first = std::move(*existing);  // no effect happened: a throw here is harmless
      result.second = true;
    }
    return result;
  }

  template <class KeyArg, class F>
  std::pair<T, bool> load_or_store_with_impl(KeyArg&& key, F& make) {
    owned_box fresh{core_};
    const auto copy_value = [](const box* b) { return b->value; };
    // First look without building anything (make() runs only for an absent key)...
    std::optional<T> existing =
        core_
            .insert_if_absent(
                key, fresh, [] { return static_cast<box*>(nullptr); }, copy_value)
            .first;
    std::pair<T, bool> result = existing ? std::pair<T, bool>(std::move(*existing), true)
                                         : std::pair<T, bool>(make(), false);
    if (!result.second) {
      // ...then publish the made value unless a racing writer got there first.
      fresh.ptr = core_.make_box(result.first);
      auto [raced, inserted] = core_.insert_if_absent(
          std::forward<KeyArg>(key), fresh, [] { return static_cast<box*>(nullptr); }, copy_value);
      if (!inserted) {
        result.first = std::move(*raced);
        result.second = true;
      }
    }
    return result;
  }

  template <class KeyArg, class... Args>
  bool try_emplace_impl(KeyArg&& key, Args&&... args) {
    owned_box fresh{core_};
    return core_
        .insert_if_absent(
            std::forward<KeyArg>(key), fresh,
            [&] { return core_.make_box(std::forward<Args>(args)...); },
            [](const box*) { return true; })
        .second;
  }

  // Present: copy-on-write f (update). Absent: insert T(args...). Retries between the two
  // when a racing writer changes which case holds.
  template <class KeyArg, class F, class... Args>
  bool upsert_impl(KeyArg&& key, F& f, Args&&... args) {
    owned_box fresh{core_};  // built at most once, kept across retries
    for (;;) {
      if (core_.update(key, f)) return false;
      const bool inserted =
          core_
              .insert_if_absent(
                  key, fresh, [&] { return core_.make_box(std::forward<Args>(args)...); },
                  [](const box*) { return true; })
              .second;
      if (inserted) return true;
      // The key appeared between the two steps: apply f to it.
    }
  }

  core_type core_;
};

SYNCMAP_NAMESPACE_END

#endif  // SYNCMAP_RCU_MAP_HPP
