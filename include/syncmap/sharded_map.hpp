// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
/// \file
/// syncmap::sharded_map: the hash-sharded concurrent map, one reader-writer lock per shard.
#ifndef SYNCMAP_SHARDED_MAP_HPP
#define SYNCMAP_SHARDED_MAP_HPP

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
#include "detail/sharded_core.hpp"
#include "rw_spinlock.hpp"

SYNCMAP_NAMESPACE_BEGIN

/// A concurrent hash map split into a power-of-two number of shards, each an open-addressing
/// table with inline slots behind its own reader-writer lock, alone on its cache line.
///
/// Use it when many threads read *and* write: operations on different shards never wait for
/// each other, lookups on the same shard share its lock, and the single-thread cost of an
/// operation is one uncontended lock round trip plus a flat-table probe. For tables that are
/// written rarely and read constantly by many threads, rcu_map reads without any lock.
///
/// Concurrency contract (README.md, "API"): every member may be called concurrently with
/// every other except construction, destruction, assignment and swap(). Every single-key
/// operation is linearizable: it takes its key's shard lock once and takes effect while holding
/// it. Values are returned by copy; no reference or iterator into the map escapes.
///
/// Synchronization: a single-key operation holds its key's shard lock, shared for lookups
/// (load, contains, visit) and exclusive for everything else, so it synchronizes with every
/// earlier exclusive holder of that shard: a thread that loads a value sees everything the
/// storing thread wrote before the store, as with a map behind one mutex. size() and empty()
/// take no lock and synchronize with nothing. Whole-map operations (erase_if(pred), for_each,
/// snapshot, clear, reserve) lock one shard at a time, never two at once, so each shard's part
/// is atomic and the whole is not. Only copy construction and copy assignment hold every shard
/// of the source at once, for a consistent copy.
///
/// Complexity: single-key operations are O(1) expected. An insert that finds its shard full
/// rehashes that shard alone (about 1/shard_count() of the elements) under its exclusive lock
/// while the other shards keep serving. Whole-map operations are O(shard_count() + capacity),
/// where capacity is the slot count of all shards (it does not shrink on erase or clear).
///
/// Callbacks (visit, update, upsert, erase_if, for_each, load_or_store_with) run while the
/// shard lock is held — shared for visit and for_each, exclusive otherwise — so they must be
/// short and must not call this map (debug builds abort with a message naming the operation;
/// in release builds such a call may deadlock). Calling *another* map is fine.
///
/// Exceptions: if the hash, the key equality, a constructor, the allocator or a callback of a
/// single-key operation throws, the operation has no effect and the map stays fully usable
/// (strong guarantee; an assignment of T that throws leaves the stored value as that assignment
/// left it). update/upsert run a callback that is not noexcept on a copy of the value, then
/// move the copy back: declare the callback noexcept to mutate in place and skip the copy.
/// erase_if(pred) and for_each stop at the throw with what they had done kept.
///
/// SharedMutex: any type meeting the standard SharedMutex requirements;
/// the default rw_spinlock is one 32-bit word that spins briefly, then parks.
template <class Key, class T, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>,
          class Allocator = std::allocator<std::pair<const Key, T>>,
          class SharedMutex = rw_spinlock>
class sharded_map {
  using core_type = detail::sharded_core<Key, T, Hash, KeyEqual, Allocator, SharedMutex>;
  // The default shard is one cache line (lock, table, size); SYNCMAP_STATS=0 must keep it so.
  static_assert(detail::stats_enabled || !std::is_same_v<SharedMutex, rw_spinlock> ||
                    sizeof(typename core_type::shard) == detail::cache_line_size,
                "sharded_map: a default shard must fit one cache line");

  // Lookup overloads taking another key type exist only for transparent Hash and KeyEqual.
  template <class K>
  using enable_if_transparent_t =
      std::enable_if_t<detail::is_transparent_v<Hash, KeyEqual> &&
                           !std::is_same_v<std::remove_cv_t<std::remove_reference_t<K>>, Key>,
                       int>;

 public:
  using key_type = Key;                        ///< The key type, Key.
  using mapped_type = T;                       ///< The value type, T.
  using value_type = std::pair<const Key, T>;  ///< What initializer lists hold.
  using size_type = std::size_t;               ///< Counts and sizes.
  using hasher = Hash;                         ///< The hash function type, Hash.
  using key_equal = KeyEqual;                  ///< The key equality type, KeyEqual.
  using allocator_type = Allocator;            ///< Rebound for slots and shard headers.
  using mutex_type = SharedMutex;              ///< The lock type of each shard.

  // ---- construction ----

  /// An empty map with the default shard count (32 per hardware thread, 32..4096). Allocates
  /// the shard headers only (may throw std::bad_alloc); no slot storage until the first insert.
  sharded_map() : sharded_map(detail::default_shard_count()) {}

  /// An empty map with `shard_count` shards and the given hash, key equality and allocator.
  /// Throws std::invalid_argument unless shard_count is a power of two in [1, 65536].
  explicit sharded_map(size_type shard_count, const Hash& hash = Hash(),
                       const KeyEqual& eq = KeyEqual(), const Allocator& alloc = Allocator())
      : core_(shard_count, hash, eq, alloc) {}

  /// An empty map with the default shard count, allocating through `alloc`.
  explicit sharded_map(const Allocator& alloc)
      : core_(detail::default_shard_count(), Hash(), KeyEqual(), alloc) {}

  /// Inserts each pair of [first, last); for duplicate keys the first one wins (as with
  /// try_emplace). O(n) expected. Throws what the shard-count check or an insert throws.
  template <class InputIt, class = std::enable_if_t<!std::is_integral_v<InputIt>>>
  sharded_map(InputIt first, InputIt last, size_type shard_count = detail::default_shard_count(),
              const Hash& hash = Hash(), const KeyEqual& eq = KeyEqual(),
              const Allocator& alloc = Allocator())
      : core_(shard_count, hash, eq, alloc) {
    for (; first != last; ++first)
      core_.try_emplace(first->first, first->second);
  }

  /// Inserts each pair of `init`; for duplicate keys the first one wins.
  sharded_map(std::initializer_list<value_type> init,
              size_type shard_count = detail::default_shard_count(), const Hash& hash = Hash(),
              const KeyEqual& eq = KeyEqual(), const Allocator& alloc = Allocator())
      : sharded_map(init.begin(), init.end(), shard_count, hash, eq, alloc) {}

  /// Copies a consistent snapshot of `other`, which may be in concurrent use: every shard of
  /// `other` is held shared (in index order) while copying, so its writers wait for the copy.
  /// O(shard_count() + capacity).
  sharded_map(const sharded_map& other)
      : core_(other.core_, std::allocator_traits<Allocator>::select_on_container_copy_construction(
                               other.core_.allocator())) {}

  /// As the copy constructor, with storage from `alloc`.
  sharded_map(const sharded_map& other, const Allocator& alloc) : core_(other.core_, alloc) {}

  /// Takes other's contents; `other` is left empty and usable, with as many shards. Allocates
  /// fresh shard headers for `other`, so it may throw std::bad_alloc (and is not noexcept);
  /// `other` is then unchanged. O(shard_count()).
  sharded_map(sharded_map&& other)
      : core_(other.core_.shard_count(), other.core_.hash_function(), other.core_.key_eq(),
              other.core_.allocator()) {
    core_.swap(other.core_);
  }

  /// Copies a consistent snapshot of `other`, as the copy constructor does; strong guarantee.
  /// The allocator follows propagate_on_container_copy_assignment.
  sharded_map& operator=(const sharded_map& other) {
    if (this != &other) {
      sharded_map copy(other, detail::allocator_after_copy_assignment(core_.allocator(),
                                                                      other.core_.allocator()));
      core_.swap_all(copy.core_);
    }
    return *this;
  }

  /// Takes other's storage when the allocator propagates or compares equal; otherwise moves
  /// the elements one by one into storage from this map's allocator. `other` is left empty.
  /// On a throw (std::bad_alloc, or a throwing move of an element) this map is unchanged and
  /// `other` keeps its elements, though some may have been moved from.
  sharded_map& operator=(sharded_map&& other) {
    if (this != &other) {
      if (detail::move_assignment_takes_storage(core_.allocator(), other.core_.allocator())) {
        sharded_map taken(std::move(other));
        if constexpr (std::allocator_traits<
                          Allocator>::propagate_on_container_move_assignment::value) {
          core_.swap_all(taken.core_);
        } else {
          core_.swap_storage(taken.core_);  // equal allocators: keep ours
        }
      } else {
        core_type moved(typename core_type::move_elements_t{}, other.core_, core_.allocator());
        core_.swap_all(moved);
        other.clear();
      }
    }
    return *this;
  }

  /// Destroys every element and frees all storage. Not concurrent with any other operation.
  ~sharded_map() = default;

  /// Exchanges contents, functors and shard arrays in O(1); the allocators only if they
  /// propagate on swap (otherwise they must compare equal). Not concurrent with other
  /// operations on either map.
  void swap(sharded_map& other) noexcept { core_.swap(other.core_); }
  /// Same as a.swap(b).
  friend void swap(sharded_map& a, sharded_map& b) noexcept { a.swap(b); }

  // ---- lookup: shared lock on one shard; O(1) expected ----

  /// A copy of the value for `key`, if present (Go: Load). Takes the key's shard lock
  /// shared, and copies T under it. O(1) expected. Strong guarantee.
  std::optional<T> load(const key_type& key) const { return core_.load(key); }
  /// load() for a key of any type `K` that the transparent Hash and KeyEqual accept.
  template <class K, enable_if_transparent_t<K> = 0>
  std::optional<T> load(const K& key) const {
    return core_.load(key);
  }

  /// Whether `key` is present. Takes the key's shard lock shared. O(1) expected.
  bool contains(const key_type& key) const { return core_.contains(key); }
  /// contains() for a key of any type `K` that the transparent Hash and KeyEqual accept.
  template <class K, enable_if_transparent_t<K> = 0>
  bool contains(const K& key) const {
    return core_.contains(key);
  }

  /// Calls f(const T&) on the value for `key` under the shard's shared lock; returns whether
  /// the key was found. The value cannot change or vanish while f runs, though other readers
  /// of the shard may run beside it; writers to the shard wait. f must not call this map. If
  /// f throws, the exception propagates and nothing changed. O(1) expected, plus f.
  template <class F>
  bool visit(const key_type& key, F f) const {
    return core_.visit(key, f);
  }
  /// visit() for a key of any type `K` that the transparent Hash and KeyEqual accept.
  template <class K, class F, enable_if_transparent_t<K> = 0>
  bool visit(const K& key, F f) const {
    return core_.visit(key, f);
  }

  // ---- insertion: exclusive lock on one shard; O(1) amortized ----

  /// Inserts or overwrites (move-assigning the value); returns true if a new key went in
  /// (Go: Store). Takes the key's shard lock exclusive. O(1) amortized. Strong guarantee.
  bool store(const key_type& key, T value) { return core_.store(key, std::move(value)); }
  /// store() taking the key by rvalue; it is moved from only if it is inserted.
  bool store(key_type&& key, T value) { return core_.store(std::move(key), std::move(value)); }

  /// The existing value and true, or `value` stored and false (Go: LoadOrStore). Takes the
  /// key's shard lock exclusive, and copies the returned value under it. O(1) amortized.
  /// Strong guarantee.
  std::pair<T, bool> load_or_store(const key_type& key, T value) {
    return core_.load_or_store(key, std::move(value));
  }
  /// load_or_store() taking the key by rvalue; it is moved from only if it is inserted.
  std::pair<T, bool> load_or_store(key_type&& key, T value) {
    return core_.load_or_store(std::move(key), std::move(value));
  }

  /// Like load_or_store, but make() builds the value only if the key is absent, at most once
  /// per call, under the shard's exclusive lock: the value it returns is always the one
  /// stored. make must not call this map. If make throws, nothing changed.
  template <class F>
  std::pair<T, bool> load_or_store_with(const key_type& key, F make) {
    return core_.load_or_store_with(key, make);
  }
  /// load_or_store_with() taking the key by rvalue; it is moved from only if it is inserted.
  template <class F>
  std::pair<T, bool> load_or_store_with(key_type&& key, F make) {
    return core_.load_or_store_with(std::move(key), make);
  }

  /// Constructs T(args...) in place only if `key` is absent; returns true if inserted. If the
  /// key is present, `args` are not touched. Takes the key's shard lock exclusive. O(1)
  /// amortized. Strong guarantee.
  template <class... Args>
  bool try_emplace(const key_type& key, Args&&... args) {
    return core_.try_emplace(key, std::forward<Args>(args)...);
  }
  /// try_emplace() taking the key by rvalue; it is moved from only if it is inserted.
  template <class... Args>
  bool try_emplace(key_type&& key, Args&&... args) {
    return core_.try_emplace(std::move(key), std::forward<Args>(args)...);
  }

  /// Stores `value`, returning the previous value if there was one (Go: Swap). Takes the
  /// key's shard lock exclusive. O(1) amortized. Strong guarantee.
  std::optional<T> exchange(const key_type& key, T value) {
    return core_.exchange(key, std::move(value));
  }
  /// exchange() taking the key by rvalue; it is moved from only if it is inserted.
  std::optional<T> exchange(key_type&& key, T value) {
    return core_.exchange(std::move(key), std::move(value));
  }

  /// Atomically: if present, f(T&); else constructs T(args...). Returns true if inserted.
  /// f runs once, under the shard's exclusive lock, and must not call this map; unless it is
  /// noexcept it runs on a copy that is moved back. O(1) amortized. Strong guarantee.
  template <class F, class... Args>
  bool upsert(const key_type& key, F f, Args&&... args) {
    return core_.upsert(key, f, std::forward<Args>(args)...);
  }
  /// upsert() taking the key by rvalue; it is moved from only if it is inserted.
  template <class F, class... Args>
  bool upsert(key_type&& key, F f, Args&&... args) {
    return core_.upsert(std::move(key), f, std::forward<Args>(args)...);
  }

  // ---- read-modify-write and erasure: exclusive lock on one shard; O(1) expected ----

  /// Atomic read-modify-write: f(T&) under the shard's exclusive lock, once, if the key is
  /// present; returns whether it was. f must not call this map. A callback that is not
  /// noexcept runs on a copy that is moved back, so a throw changes nothing. O(1) expected.
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
  /// whether it did. A missing key never matches. Compares (T's operator==) and assigns under
  /// the key's shard lock, held exclusive. O(1) expected. Strong guarantee.
  bool compare_and_swap(const key_type& key, const T& expected, T desired) {
    static_assert(detail::is_equality_comparable<T>::value,
                  "syncmap: compare_and_swap needs a value type with operator==");
    return core_.compare_and_swap(key, expected, std::move(desired));
  }
  /// compare_and_swap() for a key of any type `K` that the transparent Hash and KeyEqual
  /// accept.
  template <class K, enable_if_transparent_t<K> = 0>
  bool compare_and_swap(const K& key, const T& expected, T desired) {
    static_assert(detail::is_equality_comparable<T>::value,
                  "syncmap: compare_and_swap needs a value type with operator==");
    return core_.compare_and_swap(key, expected, std::move(desired));
  }

  /// Removes the entry if its value equals `expected` (Go: CompareAndDelete); returns whether
  /// it did. Takes the key's shard lock exclusive. O(1) expected. Strong guarantee.
  bool compare_and_delete(const key_type& key, const T& expected) {
    static_assert(detail::is_equality_comparable<T>::value,
                  "syncmap: compare_and_delete needs a value type with operator==");
    return core_.compare_and_delete(key, expected);
  }
  /// compare_and_delete() for a key of any type `K` that the transparent Hash and KeyEqual
  /// accept.
  template <class K, enable_if_transparent_t<K> = 0>
  bool compare_and_delete(const K& key, const T& expected) {
    static_assert(detail::is_equality_comparable<T>::value,
                  "syncmap: compare_and_delete needs a value type with operator==");
    return core_.compare_and_delete(key, expected);
  }

  /// Removes the entry and returns its value (Go: LoadAndDelete). Takes the key's shard lock
  /// exclusive. O(1) expected. Strong guarantee.
  std::optional<T> load_and_delete(const key_type& key) { return core_.load_and_delete(key); }
  /// load_and_delete() for a key of any type `K` that the transparent Hash and KeyEqual
  /// accept.
  template <class K, enable_if_transparent_t<K> = 0>
  std::optional<T> load_and_delete(const K& key) {
    return core_.load_and_delete(key);
  }

  /// Removes the entry; returns 1 if it was there, else 0 (Go: Delete). Takes the key's shard
  /// lock exclusive. O(1) expected. Throws only what the hash or key equality throws.
  size_type erase(const key_type& key) { return core_.erase(key); }
  /// erase() for a key of any type `K` that the transparent Hash and KeyEqual accept.
  template <class K, enable_if_transparent_t<K> = 0>
  size_type erase(const K& key) {
    return core_.erase(key);
  }

  /// Removes the entry if present and pred(const T&) is true; returns whether it did. pred
  /// runs once, under the key's shard lock held exclusive, and must not call this map. O(1)
  /// expected. Strong guarantee.
  template <class Pred>
  bool erase_if(const key_type& key, Pred pred) {
    return core_.erase_if(key, pred);
  }
  /// erase_if() for a key of any type `K` that the transparent Hash and KeyEqual accept.
  template <class K, class Pred, enable_if_transparent_t<K> = 0>
  bool erase_if(const K& key, Pred pred) {
    return core_.erase_if(key, pred);
  }

  // ---- whole map: one shard at a time, never two locks at once ----

  /// Removes every entry with pred(const K&, const T&), shard by shard under each shard's
  /// exclusive lock; returns how many were removed. Not atomic across shards: every entry
  /// present for the whole call is tested exactly once, and one inserted meanwhile into a shard
  /// already passed is not. pred must not call this map. If pred throws, what was removed
  /// stays removed. O(shard_count() + capacity).
  template <class Pred>
  size_type erase_if(Pred pred) {
    return core_.erase_if_all(pred);
  }

  /// Calls f(const K&, const T&) for each entry, shard by shard under each shard's shared
  /// lock; if f returns bool, false stops early. Returns how many times f was called (the
  /// call that returned false included). Weakly consistent: an entry present for the whole
  /// call is visited exactly once, one added or removed during it at most once. f must not
  /// call this map; writers to the shard being visited wait for it. If f throws, for_each
  /// stops there and the exception propagates. O(shard_count() + capacity).
  template <class F>
  size_type for_each(F f) const {
    return core_.for_each(f);
  }

  /// A copy of the contents to iterate with no lock held, taken shard by shard under each
  /// shard's shared lock: each shard's part is consistent, the whole is not a point-in-time
  /// copy while writers run (copy-construct the map for that). O(shard_count() + capacity).
  std::vector<std::pair<Key, T>> snapshot() const { return core_.snapshot(); }

  /// Sum of per-shard counts, no lock: exact when no writer runs, never torn. While writers
  /// run it may be a total the map never held at one instant; it synchronizes with nothing.
  /// O(shard_count()).
  size_type size() const noexcept { return core_.size(); }
  /// True if every shard's count reads zero; no lock, O(shard_count()), caveats as size().
  bool empty() const noexcept { return core_.empty(); }
  /// The largest element count reserve() accepts.
  size_type max_size() const noexcept { return core_.max_size(); }

  /// Destroys every entry, shard by shard under each shard's exclusive lock (Go: Clear), and
  /// keeps each shard's storage. Not atomic across shards: a key inserted meanwhile into a
  /// shard already cleared survives. O(shard_count() + capacity).
  void clear() { core_.clear(); }

  /// Sizes each shard for its share of n plus four standard deviations, so that n
  /// well-hashed keys in all insert without a rehash (with high probability). One shard at a
  /// time, under its exclusive lock. Throws std::length_error if n > max_size(); on
  /// std::bad_alloc the contents are unchanged (shards already grown stay grown).
  void reserve(size_type n) { core_.reserve(n); }

  /// What stats() returns (a plain struct; see its members for what each counts).
  using stats_type = sharded_map_stats;

  /// Opt-in statistics for production monitoring: per-shard sizes with min/max/mean and skew
  /// (max/mean), shard-lock acquisitions (shared and exclusive) and how many of them had to
  /// wait (the first try_lock failed, then the lock blocked), and rehashes (growth or
  /// same-size compaction by an insert, and reserve() calls that changed a shard's capacity).
  ///
  /// The counters exist only when SYNCMAP_STATS is defined to 1; by default (0) they cost
  /// nothing (no member, no instruction, the shard stays one cache line) and stats() returns
  /// the sizes with counters_enabled == false and every counter zero. SYNCMAP_STATS changes
  /// the map's layout, so define it identically in every translation unit of the program
  /// (ODR), on the consuming target: target_compile_definitions(app PRIVATE SYNCMAP_STATS=1).
  ///
  /// Counters are relaxed per-shard atomics (statistics only). No lock is taken: values are
  /// exact when no operation runs, otherwise recent per-shard values, not one snapshot; it
  /// synchronizes with nothing. Copy construction's locks and tables are not counted. The
  /// counters live with the shards: a copy starts at zero, move and swap() carry them along.
  /// O(shard_count()); allocates the shard_sizes vector (may throw std::bad_alloc).
  stats_type stats() const { return core_.stats(); }

  /// The number of shards, fixed at construction. No lock.
  size_type shard_count() const noexcept { return core_.shard_count(); }
  /// A copy of the hash function.
  hasher hash_function() const { return core_.hash_function(); }
  /// A copy of the key equality.
  key_equal key_eq() const { return core_.key_eq(); }
  /// A copy of the allocator.
  allocator_type get_allocator() const { return core_.allocator(); }

  /// Equal when both hold the same keys with equal values (needs T == T). Compares a
  /// snapshot of `a` against lookups in `b`, so no two maps' locks are ever held together;
  /// exact only while neither map is being written. O(size) expected.
  friend bool operator==(const sharded_map& a, const sharded_map& b) {
    return detail::maps_equal(a, b);
  }
  /// !(a == b).
  friend bool operator!=(const sharded_map& a, const sharded_map& b) { return !(a == b); }

 private:
  core_type core_;
};

SYNCMAP_NAMESPACE_END

#endif  // SYNCMAP_SHARDED_MAP_HPP
