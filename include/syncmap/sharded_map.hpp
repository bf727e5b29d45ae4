// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
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
/// Concurrency contract (../../API.md): every member may be called concurrently with every
/// other except construction, destruction, assignment and swap(). Every single-key operation
/// is linearizable: it takes its key's shard lock once and takes effect while holding it.
/// Values are returned by copy; no reference or iterator into the map escapes.
///
/// Callbacks (visit, update, upsert, erase_if, for_each, load_or_store_with) run while the
/// shard lock is held — shared for visit and for_each, exclusive otherwise — so they must be
/// short and must not call this map (debug builds abort with a message naming the operation;
/// in release builds such a call may deadlock). Calling *another* map is fine.
///
/// Exceptions: if the hash, the key equality, a constructor, an assignment, the allocator or
/// a callback of a single-key operation throws, the operation has no effect and the map stays
/// fully usable (update/upsert run a callback that is not noexcept on a copy of the value, then
/// move the copy back: declare the callback noexcept to mutate in place and skip the copy).
/// erase_if(pred) and for_each stop at the throw with what they had done kept.
///
/// SharedMutex: any type meeting the standard SharedMutex requirements;
/// the default rw_spinlock is one 32-bit word that spins briefly, then parks.
template <class Key, class T, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>,
          class Allocator = std::allocator<std::pair<const Key, T>>,
          class SharedMutex = rw_spinlock>
class sharded_map {
  using core_type = detail::sharded_core<Key, T, Hash, KeyEqual, Allocator, SharedMutex>;

  // Lookup overloads taking another key type exist only for transparent Hash and KeyEqual.
  template <class K>
  using enable_if_transparent_t =
      std::enable_if_t<detail::is_transparent_v<Hash, KeyEqual> &&
                           !std::is_same_v<std::remove_cv_t<std::remove_reference_t<K>>, Key>,
                       int>;

 public:
  using key_type = Key;
  using mapped_type = T;
  using value_type = std::pair<const Key, T>;
  using size_type = std::size_t;
  using hasher = Hash;
  using key_equal = KeyEqual;
  using allocator_type = Allocator;
  using mutex_type = SharedMutex;

  // ---- construction ----

  /// An empty map with the default shard count (32 per hardware thread, 32..4096). Allocates
  /// the shard headers only; no slot storage until the first insert.
  sharded_map() : sharded_map(detail::default_shard_count()) {}

  /// An empty map with `shard_count` shards. Throws std::invalid_argument unless shard_count
  /// is a power of two in [1, 65536].
  explicit sharded_map(size_type shard_count, const Hash& hash = Hash(),
                       const KeyEqual& eq = KeyEqual(), const Allocator& alloc = Allocator())
      : core_(shard_count, hash, eq, alloc) {}

  explicit sharded_map(const Allocator& alloc)
      : core_(detail::default_shard_count(), Hash(), KeyEqual(), alloc) {}

  /// Inserts each pair; for duplicate keys the first one wins (as with try_emplace).
  template <class InputIt, class = std::enable_if_t<!std::is_integral_v<InputIt>>>
  sharded_map(InputIt first, InputIt last, size_type shard_count = detail::default_shard_count(),
              const Hash& hash = Hash(), const KeyEqual& eq = KeyEqual(),
              const Allocator& alloc = Allocator())
      : core_(shard_count, hash, eq, alloc) {
    for (; first != last; ++first)
      core_.try_emplace(first->first, first->second);
  }

  sharded_map(std::initializer_list<value_type> init,
              size_type shard_count = detail::default_shard_count(), const Hash& hash = Hash(),
              const KeyEqual& eq = KeyEqual(), const Allocator& alloc = Allocator())
      : sharded_map(init.begin(), init.end(), shard_count, hash, eq, alloc) {}

  /// Copies a consistent snapshot of `other`: all of its shards are held shared meanwhile.
  sharded_map(const sharded_map& other)
      : core_(other.core_, std::allocator_traits<Allocator>::select_on_container_copy_construction(
                               other.core_.allocator())) {}

  sharded_map(const sharded_map& other, const Allocator& alloc) : core_(other.core_, alloc) {}

  /// Takes other's contents; `other` is left empty and usable. Allocates fresh shard headers
  /// for `other`, so it may throw std::bad_alloc (and is not noexcept).
  sharded_map(sharded_map&& other)
      : core_(other.core_.shard_count(), other.core_.hash_function(), other.core_.key_eq(),
              other.core_.allocator()) {
    core_.swap(other.core_);
  }

  /// Copies a consistent snapshot of `other`; strong guarantee. The allocator follows
  /// propagate_on_container_copy_assignment.
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

  ~sharded_map() = default;

  /// Exchanges contents, functors and shard arrays. Not concurrent with other operations.
  void swap(sharded_map& other) noexcept { core_.swap(other.core_); }
  friend void swap(sharded_map& a, sharded_map& b) noexcept { a.swap(b); }

  // ---- lookup: shared lock on one shard; O(1) expected ----

  /// A copy of the value for `key`, if present (Go: Load).
  std::optional<T> load(const key_type& key) const { return core_.load(key); }
  template <class K, enable_if_transparent_t<K> = 0>
  std::optional<T> load(const K& key) const {
    return core_.load(key);
  }

  bool contains(const key_type& key) const { return core_.contains(key); }
  template <class K, enable_if_transparent_t<K> = 0>
  bool contains(const K& key) const {
    return core_.contains(key);
  }

  /// Calls f(const T&) on the value for `key` under the shard's shared lock; returns whether
  /// the key was found. The value cannot change or vanish while f runs.
  template <class F>
  bool visit(const key_type& key, F f) const {
    return core_.visit(key, f);
  }
  template <class K, class F, enable_if_transparent_t<K> = 0>
  bool visit(const K& key, F f) const {
    return core_.visit(key, f);
  }

  // ---- insertion: exclusive lock on one shard; O(1) amortized ----

  /// Inserts or overwrites; returns true if a new key went in (Go: Store).
  bool store(const key_type& key, T value) { return core_.store(key, std::move(value)); }
  bool store(key_type&& key, T value) { return core_.store(std::move(key), std::move(value)); }

  /// The existing value and true, or `value` stored and false (Go: LoadOrStore).
  std::pair<T, bool> load_or_store(const key_type& key, T value) {
    return core_.load_or_store(key, std::move(value));
  }
  std::pair<T, bool> load_or_store(key_type&& key, T value) {
    return core_.load_or_store(std::move(key), std::move(value));
  }

  /// Like load_or_store, but make() builds the value only if the key is absent, at most once
  /// per call, under the shard's exclusive lock.
  template <class F>
  std::pair<T, bool> load_or_store_with(const key_type& key, F make) {
    return core_.load_or_store_with(key, make);
  }
  template <class F>
  std::pair<T, bool> load_or_store_with(key_type&& key, F make) {
    return core_.load_or_store_with(std::move(key), make);
  }

  /// Constructs T(args...) in place only if `key` is absent; returns true if inserted.
  template <class... Args>
  bool try_emplace(const key_type& key, Args&&... args) {
    return core_.try_emplace(key, std::forward<Args>(args)...);
  }
  template <class... Args>
  bool try_emplace(key_type&& key, Args&&... args) {
    return core_.try_emplace(std::move(key), std::forward<Args>(args)...);
  }

  /// Stores `value`, returning the previous value if there was one (Go: Swap).
  std::optional<T> exchange(const key_type& key, T value) {
    return core_.exchange(key, std::move(value));
  }
  std::optional<T> exchange(key_type&& key, T value) {
    return core_.exchange(std::move(key), std::move(value));
  }

  /// Atomically: if present, f(T&); else constructs T(args...). Returns true if inserted.
  /// f runs under the shard's exclusive lock.
  template <class F, class... Args>
  bool upsert(const key_type& key, F f, Args&&... args) {
    return core_.upsert(key, f, std::forward<Args>(args)...);
  }
  template <class F, class... Args>
  bool upsert(key_type&& key, F f, Args&&... args) {
    return core_.upsert(std::move(key), f, std::forward<Args>(args)...);
  }

  // ---- read-modify-write and erasure: exclusive lock on one shard; O(1) expected ----

  /// Atomic read-modify-write: f(T&) under the shard's exclusive lock. Returns found.
  template <class F>
  bool update(const key_type& key, F f) {
    return core_.update(key, f);
  }
  template <class K, class F, enable_if_transparent_t<K> = 0>
  bool update(const K& key, F f) {
    return core_.update(key, f);
  }

  /// Replaces the value with `desired` if it equals `expected` (Go: CompareAndSwap). A
  /// missing key never matches.
  bool compare_and_swap(const key_type& key, const T& expected, T desired) {
    static_assert(detail::is_equality_comparable<T>::value,
                  "syncmap: compare_and_swap needs a value type with operator==");
    return core_.compare_and_swap(key, expected, std::move(desired));
  }
  template <class K, enable_if_transparent_t<K> = 0>
  bool compare_and_swap(const K& key, const T& expected, T desired) {
    static_assert(detail::is_equality_comparable<T>::value,
                  "syncmap: compare_and_swap needs a value type with operator==");
    return core_.compare_and_swap(key, expected, std::move(desired));
  }

  /// Removes the entry if its value equals `expected` (Go: CompareAndDelete).
  bool compare_and_delete(const key_type& key, const T& expected) {
    static_assert(detail::is_equality_comparable<T>::value,
                  "syncmap: compare_and_delete needs a value type with operator==");
    return core_.compare_and_delete(key, expected);
  }
  template <class K, enable_if_transparent_t<K> = 0>
  bool compare_and_delete(const K& key, const T& expected) {
    static_assert(detail::is_equality_comparable<T>::value,
                  "syncmap: compare_and_delete needs a value type with operator==");
    return core_.compare_and_delete(key, expected);
  }

  /// Removes the entry and returns its value (Go: LoadAndDelete).
  std::optional<T> load_and_delete(const key_type& key) { return core_.load_and_delete(key); }
  template <class K, enable_if_transparent_t<K> = 0>
  std::optional<T> load_and_delete(const K& key) {
    return core_.load_and_delete(key);
  }

  /// Removes the entry; returns 1 if it was there, else 0 (Go: Delete).
  size_type erase(const key_type& key) { return core_.erase(key); }
  template <class K, enable_if_transparent_t<K> = 0>
  size_type erase(const K& key) {
    return core_.erase(key);
  }

  /// Removes the entry if present and pred(const T&) is true, under the exclusive lock.
  template <class Pred>
  bool erase_if(const key_type& key, Pred pred) {
    return core_.erase_if(key, pred);
  }
  template <class K, class Pred, enable_if_transparent_t<K> = 0>
  bool erase_if(const K& key, Pred pred) {
    return core_.erase_if(key, pred);
  }

  // ---- whole map: one shard at a time, never two locks at once ----

  /// Removes every entry with pred(const K&, const T&), shard by shard under each shard's
  /// exclusive lock. Returns how many were removed. Not atomic across shards.
  template <class Pred>
  size_type erase_if(Pred pred) {
    return core_.erase_if_all(pred);
  }

  /// Calls f(const K&, const T&) for each entry, shard by shard under each shard's shared
  /// lock; if f returns bool, false stops early. Returns how many times f was called.
  /// Weakly consistent: an entry present for the whole call is visited exactly once.
  template <class F>
  size_type for_each(F f) const {
    return core_.for_each(f);
  }

  /// A copy of the contents to iterate with no lock held; each shard's part is consistent.
  std::vector<std::pair<Key, T>> snapshot() const { return core_.snapshot(); }

  /// Sum of per-shard counts, no lock: exact when no writer runs, never torn. O(shards).
  size_type size() const noexcept { return core_.size(); }
  bool empty() const noexcept { return core_.empty(); }
  size_type max_size() const noexcept { return core_.max_size(); }

  /// Destroys every entry, shard by shard (Go: Clear). Keeps each shard's storage.
  void clear() { core_.clear(); }

  /// Sizes each shard so that n well-hashed keys insert without a rehash. Throws
  /// std::length_error if n > max_size(); on std::bad_alloc the contents are unchanged.
  void reserve(size_type n) { core_.reserve(n); }

  size_type shard_count() const noexcept { return core_.shard_count(); }
  hasher hash_function() const { return core_.hash_function(); }
  key_equal key_eq() const { return core_.key_eq(); }
  allocator_type get_allocator() const { return core_.allocator(); }

  /// Equal when both hold the same keys with equal values. Compares a snapshot of `a`
  /// against lookups in `b`, so no two maps' locks are ever held together.
  friend bool operator==(const sharded_map& a, const sharded_map& b) {
    if (&a == &b) return true;
    const auto entries = a.snapshot();
    if (entries.size() != b.size()) return false;
    for (const auto& [key, value] : entries) {
      const std::optional<T> other = b.load(key);
      if (!other || !(*other == value)) return false;
    }
    return true;
  }
  friend bool operator!=(const sharded_map& a, const sharded_map& b) { return !(a == b); }

 private:
  core_type core_;
};

SYNCMAP_NAMESPACE_END

#endif  // SYNCMAP_SHARDED_MAP_HPP
