// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// sharded_core: the machinery behind syncmap::sharded_map.
//
// Design
//   A key's mixed hash picks one of a power-of-two number of shards (hash bits 48..63, see
//   hash.hpp). A shard is a reader-writer lock, a flat_table (hash.hpp/flat_table.hpp) and an
//   atomic copy of the table's size, aligned to a cache line so that two shards never share
//   one: threads working on different shards touch disjoint lines. Lookups take the shard's
//   lock shared, mutations exclusive; each operation holds exactly one shard lock at a time,
//   except copy construction, which holds every source shard shared in ascending index order
//   (the only lock order in the map; nothing else holds two shard locks, so it cannot deadlock
//   against single-shard operations).
//
//   Growth rehashes one shard under that shard's exclusive lock; the other shards keep serving.
//   With S shards a growth step moves about 1/S of the elements, so the pause it causes is
//   S times shorter than a single table's.
//
// Invariants
//   [S1] shard::size equals shard::table.size() whenever shard::mutex is not held exclusively.
//   [S2] Every element lives in shards_[shard_index(hash(key))]; shard_mask_ never changes
//        while the map is shared (construction, assignment and swap are not concurrent).
//   [S3] The hash is computed once per operation, before any lock is taken, so a throwing hash
//        changes nothing and never runs under a lock.
//
// Exception safety (API.md "Callbacks"): every single-key mutation finds or prepares its slot
// first (flat_table: strong), then constructs (nothing claimed until the constructor returns),
// and copies any value it returns *before* it changes the table. Callbacks that mutate a value
// in place (update, upsert) run on a copy unless they are noexcept, so a throw leaves the
// stored value untouched.
//
// Statistics (SYNCMAP_STATS, stats.hpp): each shard derives from shard_counters, empty unless
// enabled, so the default shard stays one cache line. Enabled, every shard lock is taken
// through lock_shared_counted / lock_exclusive_counted: a try_lock first, and on failure a
// counted wait and the blocking lock. Rehashes are counted where the table reports them
// (insert_position::rehashed) and where reserve() changes a capacity.
//
// NOTE: a single global size counter made every insert and erase write one shared cache line,
// which is exactly the contention sharding removes; size() instead sums the per-shard copies.
#ifndef SYNCMAP_DETAIL_SHARDED_CORE_HPP
#define SYNCMAP_DETAIL_SHARDED_CORE_HPP

#include <atomic>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "config.hpp"
#include "flat_table.hpp"
#include "hash.hpp"
#include "reentrancy_check.hpp"
#include "stats.hpp"

SYNCMAP_NAMESPACE_BEGIN
namespace detail {

inline constexpr std::size_t max_shard_count = 65536;

inline std::size_t validated_shard_count(std::size_t count) {
  if (count == 0 || count > max_shard_count || (count & (count - 1)) != 0) {
    throw std::invalid_argument("syncmap::sharded_map: shard_count " + std::to_string(count) +
                                " is invalid: it must be a power of two between 1 and 65536");
  }
  return count;
}

// 32 shards per hardware thread, at least 32 and at most 4096. Chosen by measurement
// (bench/README.md, "Choosing the default shard count"): on 2 cores with 2^20 keys and 2
// threads, 16 shards lose 20-35% against 64 on load hits, 90/10 and Zipf upsert; from 64 on
// (32 per thread) throughput is flat within the noise up to 4096. An empty map then holds
// 64 bytes per shard (2 KiB per hardware thread).
inline std::size_t default_shard_count() noexcept {
  const std::size_t threads = std::thread::hardware_concurrency();
  std::size_t count = 32;
  while (count < threads * 32 && count < 4096)
    count *= 2;
  return count;
}

template <class Key, class T, class Hash, class KeyEqual, class Allocator, class SharedMutex>
class sharded_core {
 public:
  using key_type = Key;
  using mapped_type = T;
  using size_type = std::size_t;
  using slot_type = std::pair<Key, T>;
  using table_type = flat_table<slot_type, Allocator>;

  static constexpr const char* kind = "sharded_map";

  // shard_counters<false> is empty: with statistics off the shard is the lock, the table and
  // the size, and nothing else (empty base optimization).
  struct alignas(cache_line_size) shard : shard_counters<stats_enabled> {
    // Taken shared by lookups and exclusive by every mutation of `table`.
    mutable SharedMutex mutex;
    // Guarded by `mutex`.
    table_type table;
    // [S1] table.size(), stored (relaxed) under the exclusive lock so that size() can read
    // it without the lock; relaxed is enough because size() promises no ordering, only a
    // value that is never torn.
    std::atomic<std::size_t> size{0};

    void publish_size() noexcept {
      size.store(table.size(), std::memory_order_relaxed);  // relaxed: see [S1]
    }
  };

  using shard_allocator = typename std::allocator_traits<Allocator>::template rebind_alloc<shard>;
  using shard_traits = std::allocator_traits<shard_allocator>;
  using shared_guard = std::shared_lock<SharedMutex>;
  using exclusive_guard = std::unique_lock<SharedMutex>;

  sharded_core(std::size_t shard_count, const Hash& hash, const KeyEqual& eq,
               const Allocator& alloc)
      : hash_(hash), eq_(eq), alloc_(alloc) {
    allocate_shards(validated_shard_count(shard_count));
  }

  // Copies a consistent snapshot: every source shard is held shared while copying.
  sharded_core(const sharded_core& other, const Allocator& alloc)
      : hash_(other.hash_), eq_(other.eq_), alloc_(alloc) {
    allocate_shards(other.shard_count_);
    for (std::size_t i = 0; i < shard_count_; ++i)
      other.shards_[i].mutex.lock_shared();
    struct unlock_all {
      const sharded_core& core;
      ~unlock_all() {
        for (std::size_t i = core.shard_count_; i-- > 0;)
          core.shards_[i].mutex.unlock_shared();
      }
    } unlock_source{other};
    try {
      for (std::size_t i = 0; i < shard_count_; ++i) {
        shards_[i].table.copy_from(other.shards_[i].table, rehash_fn(), alloc_);
        shards_[i].publish_size();
      }
    } catch (...) {
      free_shards();
      throw;
    }
  }

  // Moves other's elements one by one into storage from `alloc` (move assignment between
  // allocators that neither propagate nor compare equal). Not concurrent with anything.
  struct move_elements_t {};
  sharded_core(move_elements_t, sharded_core& other, const Allocator& alloc)
      : hash_(other.hash_), eq_(other.eq_), alloc_(alloc) {
    allocate_shards(other.shard_count_);
    try {
      for (std::size_t i = 0; i < shard_count_; ++i) {
        shards_[i].table.move_from(other.shards_[i].table, rehash_fn(), alloc_);
        shards_[i].publish_size();
      }
    } catch (...) {
      free_shards();
      throw;
    }
  }

  sharded_core(const sharded_core&) = delete;
  sharded_core& operator=(const sharded_core&) = delete;

  ~sharded_core() { free_shards(); }

  // Member swap (API.md: not concurrent with other operations). As for the standard
  // containers, allocators are exchanged only if they propagate on swap; otherwise they must
  // compare equal.
  void swap(sharded_core& other) noexcept {
    swap_storage(other);
    if constexpr (std::allocator_traits<Allocator>::propagate_on_container_swap::value) {
      std::swap(alloc_, other.alloc_);
    }
  }

  // Exchanges everything, allocators included: for assignment, which first builds a core
  // with the allocator the destination must end with (allocator_rules.hpp).
  void swap_all(sharded_core& other) noexcept {
    swap_storage(other);
    std::swap(alloc_, other.alloc_);
  }

  // ---- lookups (shared lock) ----

  template <class K>
  std::optional<T> load(const K& key) const {
    check_not_reentrant(this, kind, "load");
    const std::uint64_t hash = hash_key(hash_, key);
    const shard& s = shard_for(hash);
    shared_guard lock = lock_shared_counted(s);
    if (const slot_type* slot = s.table.find(hash, matcher(key))) return slot->second;
    return std::nullopt;
  }

  template <class K>
  bool contains(const K& key) const {
    check_not_reentrant(this, kind, "contains");
    const std::uint64_t hash = hash_key(hash_, key);
    const shard& s = shard_for(hash);
    shared_guard lock = lock_shared_counted(s);
    return s.table.find(hash, matcher(key)) != nullptr;
  }

  template <class K, class F>
  bool visit(const K& key, F& f) const {
    callback_scope scope(this, kind, "visit");
    const std::uint64_t hash = hash_key(hash_, key);
    const shard& s = shard_for(hash);
    shared_guard lock = lock_shared_counted(s);
    const slot_type* slot = s.table.find(hash, matcher(key));
    if (slot == nullptr) return false;
    f(static_cast<const T&>(slot->second));
    return true;
  }

  // ---- insertion (exclusive lock) ----

  template <class KeyArg>
  bool store(KeyArg&& key, T&& value) {
    check_not_reentrant(this, kind, "store");
    return with_slot(
        key,
        [&](shard&, slot_type& slot) {
          slot.second = std::move(value);
          return false;
        },
        [&](shard& s, std::size_t index, std::uint64_t hash) {
          emplace_at(s, index, hash, std::forward<KeyArg>(key), std::move(value));
          return true;
        });
  }

  template <class KeyArg>
  std::pair<T, bool> load_or_store(KeyArg&& key, T&& value) {
    check_not_reentrant(this, kind, "load_or_store");
    return with_slot(
        key, [&](shard&, slot_type& slot) { return std::pair<T, bool>(slot.second, true); },
        // The declared return type lets clang elide the copy of `result` (NRVO), which it
        // does not do for a deduced one: a throwing copy after the insert would break the
        // strong guarantee.
        [&](shard& s, std::size_t index, std::uint64_t hash) -> std::pair<T, bool> {
          std::pair<T, bool> result(value, false);  // copy first: a throw changes nothing
          emplace_at(s, index, hash, std::forward<KeyArg>(key), std::move(value));
          return result;
        });
  }

  template <class KeyArg, class F>
  std::pair<T, bool> load_or_store_with(KeyArg&& key, F& make) {
    callback_scope scope(this, kind, "load_or_store_with");
    return with_slot(
        key, [&](shard&, slot_type& slot) { return std::pair<T, bool>(slot.second, true); },
        [&](shard& s, std::size_t index, std::uint64_t hash) -> std::pair<T, bool> {  // NRVO
          T value = make();
          std::pair<T, bool> result(value, false);
          emplace_at(s, index, hash, std::forward<KeyArg>(key), std::move(value));
          return result;
        });
  }

  template <class KeyArg, class... Args>
  bool try_emplace(KeyArg&& key, Args&&... args) {
    check_not_reentrant(this, kind, "try_emplace");
    return with_slot(
        key, [&](shard&, slot_type&) { return false; },
        [&](shard& s, std::size_t index, std::uint64_t hash) {
          emplace_at(s, index, hash, std::forward<KeyArg>(key), std::forward<Args>(args)...);
          return true;
        });
  }

  template <class KeyArg>
  std::optional<T> exchange(KeyArg&& key, T&& value) {
    check_not_reentrant(this, kind, "exchange");
    return with_slot(
        key,
        [&](shard&, slot_type& slot) -> std::optional<T> {  // declared: NRVO (see above)
          std::optional<T> previous(std::move_if_noexcept(slot.second));
          slot.second = std::move(value);
          return previous;
        },
        [&](shard& s, std::size_t index, std::uint64_t hash) {
          emplace_at(s, index, hash, std::forward<KeyArg>(key), std::move(value));
          return std::optional<T>();
        });
  }

  template <class KeyArg, class F, class... Args>
  bool upsert(KeyArg&& key, F& f, Args&&... args) {
    callback_scope scope(this, kind, "upsert");
    return with_slot(
        key,
        [&](shard&, slot_type& slot) {
          apply_update(slot.second, f);
          return false;
        },
        [&](shard& s, std::size_t index, std::uint64_t hash) {
          emplace_at(s, index, hash, std::forward<KeyArg>(key), std::forward<Args>(args)...);
          return true;
        });
  }

  // ---- read-modify-write and erasure of one key (exclusive lock) ----

  template <class K, class F>
  bool update(const K& key, F& f) {
    callback_scope scope(this, kind, "update");
    return with_existing(key, [&](shard&, std::size_t, slot_type& slot) {
      apply_update(slot.second, f);
      return true;
    });
  }

  template <class K>
  bool compare_and_swap(const K& key, const T& expected, T&& desired) {
    check_not_reentrant(this, kind, "compare_and_swap");
    return with_existing(key, [&](shard&, std::size_t, slot_type& slot) {
      if (!(slot.second == expected)) return false;
      slot.second = std::move(desired);
      return true;
    });
  }

  template <class K>
  bool compare_and_delete(const K& key, const T& expected) {
    check_not_reentrant(this, kind, "compare_and_delete");
    return with_existing(key, [&](shard& s, std::size_t index, slot_type& slot) {
      if (!(slot.second == expected)) return false;
      erase_at(s, index);
      return true;
    });
  }

  template <class K>
  std::optional<T> load_and_delete(const K& key) {
    check_not_reentrant(this, kind, "load_and_delete");
    std::optional<T> result;
    with_existing(key, [&](shard& s, std::size_t index, slot_type& slot) {
      result.emplace(std::move_if_noexcept(slot.second));
      erase_at(s, index);
      return true;
    });
    return result;
  }

  template <class K>
  std::size_t erase(const K& key) {
    check_not_reentrant(this, kind, "erase");
    return with_existing(key,
                         [&](shard& s, std::size_t index, slot_type&) {
                           erase_at(s, index);
                           return true;
                         })
               ? 1
               : 0;
  }

  template <class K, class Pred>
  bool erase_if(const K& key, Pred& pred) {
    callback_scope scope(this, kind, "erase_if");
    return with_existing(key, [&](shard& s, std::size_t index, slot_type& slot) {
      if (!pred(static_cast<const T&>(slot.second))) return false;
      erase_at(s, index);
      return true;
    });
  }

  // ---- whole map (one shard at a time) ----

  template <class Pred>
  std::size_t erase_if_all(Pred& pred) {
    callback_scope scope(this, kind, "erase_if");
    std::size_t erased = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) {
      shard& s = shards_[i];
      exclusive_guard lock = lock_exclusive_counted(s);
      struct publish_on_exit {
        shard& s;
        ~publish_on_exit() { s.publish_size(); }
      } publish{s};
      erased += s.table.erase_if(
          [&](const slot_type& slot) {
            return static_cast<bool>(
                pred(static_cast<const Key&>(slot.first), static_cast<const T&>(slot.second)));
          },
          alloc_);
    }
    return erased;
  }

  template <class F>
  std::size_t for_each(F& f) const {
    callback_scope scope(this, kind, "for_each");
    std::size_t calls = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) {
      const shard& s = shards_[i];
      shared_guard lock = lock_shared_counted(s);
      const bool finished = s.table.for_each([&](const slot_type& slot) {
        ++calls;
        if constexpr (std::is_same_v<std::invoke_result_t<F&, const Key&, const T&>, bool>) {
          return f(static_cast<const Key&>(slot.first), static_cast<const T&>(slot.second));
        } else {
          f(static_cast<const Key&>(slot.first), static_cast<const T&>(slot.second));
          return true;
        }
      });
      if (!finished) break;
    }
    return calls;
  }

  std::vector<std::pair<Key, T>> snapshot() const {
    check_not_reentrant(this, kind, "snapshot");
    std::vector<std::pair<Key, T>> out;
    out.reserve(size());
    for (std::size_t i = 0; i < shard_count_; ++i) {
      const shard& s = shards_[i];
      shared_guard lock = lock_shared_counted(s);
      s.table.for_each([&](const slot_type& slot) { out.emplace_back(slot.first, slot.second); });
    }
    return out;
  }

  std::size_t size() const noexcept {
    std::size_t total = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) {
      total += shards_[i].size.load(std::memory_order_relaxed);  // relaxed: see [S1]
    }
    return total;
  }

  bool empty() const noexcept {
    for (std::size_t i = 0; i < shard_count_; ++i) {
      if (shards_[i].size.load(std::memory_order_relaxed) != 0) return false;  // see [S1]
    }
    return true;
  }

  void clear() {
    check_not_reentrant(this, kind, "clear");
    for (std::size_t i = 0; i < shard_count_; ++i) {
      shard& s = shards_[i];
      exclusive_guard lock = lock_exclusive_counted(s);
      s.table.clear(alloc_);
      s.publish_size();
    }
  }

  // Sizes every shard for its share of n plus four standard deviations of the binomial
  // spread of n keys over the shards, so that n well-hashed keys insert without a rehash.
  void reserve(std::size_t n) {
    check_not_reentrant(this, kind, "reserve");
    if (n > max_size()) throw std::length_error("syncmap::sharded_map::reserve: n > max_size()");
    if (n == 0) return;
    const double mean = static_cast<double>(n) / static_cast<double>(shard_count_);
    const auto per_shard = static_cast<std::size_t>(mean + 4.0 * std::sqrt(mean) + 1.0);
    for (std::size_t i = 0; i < shard_count_; ++i) {
      shard& s = shards_[i];
      exclusive_guard lock = lock_exclusive_counted(s);
      if constexpr (stats_enabled) {
        const std::size_t capacity_before = s.table.capacity();
        s.table.reserve(per_shard, rehash_fn(), alloc_);
        if (s.table.capacity() != capacity_before) s.count_rehash();
      } else {
        s.table.reserve(per_shard, rehash_fn(), alloc_);
      }
    }
  }

  // Sizes from the per-shard copies [S1] (no lock), counters summed shard by shard.
  sharded_map_stats stats() const {
    sharded_map_stats out;
    out.counters_enabled = stats_enabled;
    out.shard_sizes.reserve(shard_count_);
    std::size_t total = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) {
      const std::size_t n = shards_[i].size.load(std::memory_order_relaxed);  // relaxed: [S1]
      out.shard_sizes.push_back(n);
      total += n;
      shards_[i].add_to(out);  // a no-op without SYNCMAP_STATS
    }
    if (shard_count_ != 0) {
      out.min_shard_size = out.shard_sizes[0];
      for (const std::size_t n : out.shard_sizes) {
        if (n < out.min_shard_size) out.min_shard_size = n;
        if (n > out.max_shard_size) out.max_shard_size = n;
      }
      out.mean_shard_size = static_cast<double>(total) / static_cast<double>(shard_count_);
    }
    if (out.mean_shard_size > 0.0) {
      out.skew = static_cast<double>(out.max_shard_size) / out.mean_shard_size;
    }
    return out;
  }

  std::size_t max_size() const noexcept { return table_type::max_size(); }
  std::size_t shard_count() const noexcept { return shard_count_; }
  const Hash& hash_function() const noexcept { return hash_; }
  const KeyEqual& key_eq() const noexcept { return eq_; }
  const Allocator& allocator() const noexcept { return alloc_; }

  template <class K>
  std::size_t shard_index(const K& key) const {
    return shard_index_of(hash_key(hash_, key));
  }

  // Exchanges everything but the allocators (move assignment between equal allocators that
  // do not propagate).
  void swap_storage(sharded_core& other) noexcept {
    using std::swap;
    swap(shards_, other.shards_);
    swap(shard_count_, other.shard_count_);
    swap(shard_mask_, other.shard_mask_);
    swap(hash_, other.hash_);
    swap(eq_, other.eq_);
  }

 private:
  std::size_t shard_index_of(std::uint64_t hash) const noexcept {
    return static_cast<std::size_t>(hash >> 48) & shard_mask_;  // [S2]
  }
  shard& shard_for(std::uint64_t hash) const noexcept { return shards_[shard_index_of(hash)]; }

  // The shard's lock, shared / exclusive. With SYNCMAP_STATS, a failed first try counts as a
  // wait before blocking; without it, exactly the plain lock. Excluded from -Wthread-safety:
  // the lock leaves the function held by the returned guard, which the analysis cannot follow.
  static shared_guard lock_shared_counted(const shard& s) SYNCMAP_NO_THREAD_SAFETY_ANALYSIS {
    if constexpr (stats_enabled) {
      if (SYNCMAP_UNLIKELY(!s.mutex.try_lock_shared())) {
        s.count_shared(true);  // counted before blocking, so a waiter is visible while it waits
        s.mutex.lock_shared();
      } else {
        s.count_shared(false);
      }
      return shared_guard(s.mutex, std::adopt_lock);
    } else {
      return shared_guard(s.mutex);
    }
  }
  static exclusive_guard lock_exclusive_counted(shard& s) SYNCMAP_NO_THREAD_SAFETY_ANALYSIS {
    if constexpr (stats_enabled) {
      if (SYNCMAP_UNLIKELY(!s.mutex.try_lock())) {
        s.count_exclusive(true);  // counted before blocking, so a waiter is visible while it waits
        s.mutex.lock();
      } else {
        s.count_exclusive(false);
      }
      return exclusive_guard(s.mutex, std::adopt_lock);
    } else {
      return exclusive_guard(s.mutex);
    }
  }

  template <class K>
  auto matcher(const K& key) const noexcept {
    return [this, &key](const slot_type& slot) { return eq_(slot.first, key); };
  }

  auto rehash_fn() const noexcept {
    return [this](const slot_type& slot) noexcept(is_nothrow_hash_v<Hash, Key>) {
      return hash_key(hash_, slot.first);
    };
  }

  // Under the key's shard exclusive lock: found(shard&, slot&) if present, else
  // absent(shard&, free index, hash) with room prepared.
  template <class K, class Found, class Absent>
  decltype(auto) with_slot(const K& key, Found&& found, Absent&& absent) {
    const std::uint64_t hash = hash_key(hash_, key);  // [S3]
    shard& s = shard_for(hash);
    exclusive_guard lock = lock_exclusive_counted(s);
    const auto position = s.table.template find_or_prepare_insert<stats_enabled>(
        hash, matcher(key), rehash_fn(), alloc_);
    if constexpr (stats_enabled) {
      if (position.rehashed) s.count_rehash();
    }
    if (position.found) return found(s, s.table.slot_at(position.index));
    return absent(s, position.index, hash);
  }

  // Under the key's shard exclusive lock: f(shard&, index, slot&) if present, else false.
  template <class K, class F>
  bool with_existing(const K& key, F&& f) {
    const std::uint64_t hash = hash_key(hash_, key);  // [S3]
    shard& s = shard_for(hash);
    exclusive_guard lock = lock_exclusive_counted(s);
    slot_type* slot = s.table.find(hash, matcher(key));
    if (slot == nullptr) return false;
    return f(s, s.table.index_of(slot), *slot);
  }

  template <class KeyArg, class... Args>
  void emplace_at(shard& s, std::size_t index, std::uint64_t hash, KeyArg&& key, Args&&... args) {
    s.table.construct_at(index, hash, alloc_, std::piecewise_construct,
                         std::forward_as_tuple(std::forward<KeyArg>(key)),
                         std::forward_as_tuple(std::forward<Args>(args)...));
    s.publish_size();
  }

  void erase_at(shard& s, std::size_t index) noexcept {
    s.table.erase_at(index, alloc_);
    s.publish_size();
  }

  // A callback that may throw works on a copy, so a throw leaves the stored value as it was.
  template <class F>
  static void apply_update(T& value, F& f) {
    if constexpr (std::is_nothrow_invocable_v<F&, T&>) {
      f(value);
    } else {
      T updated(value);
      f(updated);
      value = std::move(updated);
    }
  }

  void allocate_shards(std::size_t count) {
    shard_allocator shard_alloc(alloc_);
    shard* shards = shard_traits::allocate(shard_alloc, count);
    std::size_t constructed = 0;
    try {
      for (; constructed < count; ++constructed) {
        shard_traits::construct(shard_alloc, shards + constructed);
      }
    } catch (...) {
      while (constructed-- > 0)
        shard_traits::destroy(shard_alloc, shards + constructed);
      shard_traits::deallocate(shard_alloc, shards, count);
      throw;
    }
    shards_ = shards;
    shard_count_ = count;
    shard_mask_ = count - 1;
  }

  void free_shards() noexcept {
    if (shards_ == nullptr) return;
    shard_allocator shard_alloc(alloc_);
    for (std::size_t i = 0; i < shard_count_; ++i) {
      shards_[i].table.destroy(alloc_);
      shard_traits::destroy(shard_alloc, shards_ + i);
    }
    shard_traits::deallocate(shard_alloc, shards_, shard_count_);
    shards_ = nullptr;
  }

  shard* shards_ = nullptr;
  std::size_t shard_count_ = 0;
  std::size_t shard_mask_ = 0;
  Hash hash_;
  KeyEqual eq_;
  mutable Allocator alloc_;  // the tables allocate through it while the map is logically const
};

}  // namespace detail
SYNCMAP_NAMESPACE_END

#endif  // SYNCMAP_DETAIL_SHARDED_CORE_HPP
