// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// stats: the opt-in statistics of sharded_map and rcu_map (SYNCMAP_STATS, config.hpp).
//
// Design
//   The result types (sharded_map_stats, rcu_map_stats) always exist, so code calling stats()
//   compiles in every build; with SYNCMAP_STATS == 0 they carry only what the maps can compute
//   without counters (shard sizes, pending reclamation) and counters_enabled == false.
//   The counters live in empty-when-disabled base classes (shard_counters, rcu_counters) whose
//   members are no-op inline functions when disabled: the default build has no extra member, no
//   extra byte (empty base optimization) and no extra instruction.
//
//   Every counter is a relaxed atomic. They are statistics: nothing is published through them,
//   no decision reads them, and stats() promises no snapshot across counters, only values that
//   are never torn and never lost (an RMW is never lost, whatever its order).
//
//   rcu_map's read-table hits happen on the lock-free read path, where one shared counter would
//   put a contended cache line back on every read (the very thing rcu_map exists to avoid).
//   They go to one of stats_stripes cache-line-padded counters, chosen by a per-thread index
//   handed out round-robin; stats() sums the stripes. Other counters are bumped on paths that
//   already write shared state (mu_, the retire list), so one counter each is enough.
//
// NOTE: the counters change the layout of the cores, so SYNCMAP_STATS must be defined the same
// way in every translation unit of a program (ODR); set it on the consuming target
// (target_compile_definitions), never in a source file.
#ifndef SYNCMAP_DETAIL_STATS_HPP
#define SYNCMAP_DETAIL_STATS_HPP

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "config.hpp"

SYNCMAP_NAMESPACE_BEGIN

/// What sharded_map::stats() returns: a plain value, filled shard by shard without locks, so
/// under concurrent use it is a set of recent values, not one consistent snapshot.
/// With SYNCMAP_STATS == 0, counters_enabled is false and every counter is zero; the sizes are
/// filled in either way.
struct sharded_map_stats {
  /// True when the map was compiled with SYNCMAP_STATS != 0 and the counters below are live.
  bool counters_enabled = false;
  /// Element count of each shard, by shard index (size() is their sum).
  std::vector<std::size_t> shard_sizes;
  std::size_t min_shard_size = 0;  ///< The smallest of shard_sizes.
  std::size_t max_shard_size = 0;  ///< The largest of shard_sizes.
  double mean_shard_size = 0.0;    ///< size() / shard_count().
  /// max_shard_size / mean_shard_size: 1 is perfectly even; 1.0 for an empty map.
  double skew = 1.0;
  /// Shard locks taken shared (load, contains, visit, for_each, snapshot).
  std::uint64_t shared_acquisitions = 0;
  /// Shared acquisitions whose first try failed (a writer held or awaited the lock).
  std::uint64_t shared_waits = 0;
  /// Shard locks taken exclusive (every mutation, clear, reserve, erase_if).
  std::uint64_t exclusive_acquisitions = 0;
  /// Exclusive acquisitions whose first try failed (another holder had the lock).
  std::uint64_t exclusive_waits = 0;
  /// Shard tables rebuilt: growth or same-size compaction by an insert, and reserve() calls
  /// that changed a shard's capacity. (Copy construction's fresh tables are not counted.)
  std::uint64_t rehashes = 0;
};

/// What rcu_map::stats() returns: a plain value read without locks; under concurrent use the
/// counters are recent values, not one consistent snapshot. With SYNCMAP_STATS == 0,
/// counters_enabled is false and every counter is zero; pending_reclamation is filled in.
struct rcu_map_stats {
  /// True when the map was compiled with SYNCMAP_STATS != 0 and the counters below are live.
  bool counters_enabled = false;
  /// Lookups (load, contains, visit) answered from the read table on the lock-free path.
  std::uint64_t read_hits = 0;
  /// Operations that fell through to the dirty table under the lock (Go's misses): lookups of
  /// keys only the dirty table may hold, and writes that found their key there (store and
  /// exchange too, which Go does not count).
  std::uint64_t read_misses = 0;
  /// Times the dirty table was promoted to be the read table.
  std::uint64_t promotions = 0;
  /// Deleted entries expunged (left out) when the dirty table was rebuilt from the read table.
  std::uint64_t expunged = 0;
  /// Objects handed to epoch reclamation: replaced or deleted value boxes and read tables.
  std::uint64_t retired = 0;
  /// Retired objects not yet freed (rcu_map::pending_reclamation()).
  std::size_t pending_reclamation = 0;
};

namespace detail {

// config.hpp's SYNCMAP_STATS as a constant for `if constexpr`.
inline constexpr bool stats_enabled = SYNCMAP_STATS != 0;

// relaxed everywhere below: statistics only; nothing is published through a counter and
// stats() reads them without ordering (see the essay above).

// Per-shard lock and rehash counters of sharded_core, a base of its shard. Bumped by the
// thread taking the shard's lock (before it holds it, so by any thread); read by stats().
template <bool Enabled>
struct shard_counters {
  void count_shared(bool waited) const noexcept {
    shared_acquisitions.fetch_add(1, std::memory_order_relaxed);       // relaxed: statistic
    if (waited) shared_waits.fetch_add(1, std::memory_order_relaxed);  // relaxed: statistic
  }
  void count_exclusive(bool waited) const noexcept {
    exclusive_acquisitions.fetch_add(1, std::memory_order_relaxed);       // relaxed: statistic
    if (waited) exclusive_waits.fetch_add(1, std::memory_order_relaxed);  // relaxed: statistic
  }
  void count_rehash() const noexcept {
    rehashes.fetch_add(1, std::memory_order_relaxed);  // relaxed: statistic
  }
  void add_to(sharded_map_stats& out) const noexcept {
    out.shared_acquisitions +=
        shared_acquisitions.load(std::memory_order_relaxed);           // relaxed: statistic
    out.shared_waits += shared_waits.load(std::memory_order_relaxed);  // relaxed: statistic
    out.exclusive_acquisitions +=
        exclusive_acquisitions.load(std::memory_order_relaxed);              // relaxed: statistic
    out.exclusive_waits += exclusive_waits.load(std::memory_order_relaxed);  // relaxed: statistic
    out.rehashes += rehashes.load(std::memory_order_relaxed);                // relaxed: statistic
  }

  mutable std::atomic<std::uint64_t> shared_acquisitions{0};
  mutable std::atomic<std::uint64_t> shared_waits{0};
  mutable std::atomic<std::uint64_t> exclusive_acquisitions{0};
  mutable std::atomic<std::uint64_t> exclusive_waits{0};
  mutable std::atomic<std::uint64_t> rehashes{0};  // bumped under the shard's exclusive lock
};

// Disabled: empty (the shard keeps its one-cache-line layout) and every call compiles to
// nothing.
template <>
struct shard_counters<false> {
  void count_shared(bool) const noexcept {}
  void count_exclusive(bool) const noexcept {}
  void count_rehash() const noexcept {}
  void add_to(sharded_map_stats&) const noexcept {}
};

inline constexpr std::size_t stats_stripes = 16;

// This thread's stripe of a striped counter: assigned round-robin on the thread's first call.
inline std::size_t stats_stripe() noexcept {
  // relaxed: only distinctness matters roughly; a stripe shared by two threads is still
  // correct (its counter is an RMW), just contended.
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t stripe =
      next.fetch_add(1, std::memory_order_relaxed) % stats_stripes;
  return stripe;
}

struct alignas(cache_line_size) padded_counter {
  mutable std::atomic<std::uint64_t> value{0};
};

// rcu_core's counters, a base of rcu_core.
template <bool Enabled>
struct rcu_counters {
  // Lock-free read path: this thread's stripe only.
  void count_read_hit() const noexcept {
    hits_[stats_stripe()].value.fetch_add(1, std::memory_order_relaxed);  // relaxed: statistic
  }
  // Called under mu_ (miss_locked, promote_locked, dirty_locked); atomic only so that stats()
  // may read them without mu_.
  void count_miss() const noexcept {
    misses_counted_.fetch_add(1, std::memory_order_relaxed);  // relaxed: statistic
  }
  void count_promotion() const noexcept {
    promotions_.fetch_add(1, std::memory_order_relaxed);  // relaxed: statistic
  }
  void count_expunged(std::size_t n) const noexcept {
    expunged_.fetch_add(n, std::memory_order_relaxed);  // relaxed: statistic
  }
  // Any thread finishing an operation, after its section closed (finish_operation).
  void count_retired(std::size_t n) const noexcept {
    retired_count_.fetch_add(n, std::memory_order_relaxed);  // relaxed: statistic
  }
  void add_to(rcu_map_stats& out) const noexcept {
    for (const padded_counter& c : hits_)
      out.read_hits += c.value.load(std::memory_order_relaxed);          // relaxed: statistic
    out.read_misses += misses_counted_.load(std::memory_order_relaxed);  // relaxed: statistic
    out.promotions += promotions_.load(std::memory_order_relaxed);       // relaxed: statistic
    out.expunged += expunged_.load(std::memory_order_relaxed);           // relaxed: statistic
    out.retired += retired_count_.load(std::memory_order_relaxed);       // relaxed: statistic
  }

  padded_counter hits_[stats_stripes];
  mutable std::atomic<std::uint64_t> misses_counted_{0};  // written under mu_
  mutable std::atomic<std::uint64_t> promotions_{0};      // written under mu_
  mutable std::atomic<std::uint64_t> expunged_{0};        // written under mu_
  mutable std::atomic<std::uint64_t> retired_count_{0};   // written by any thread
};

// Disabled: empty (rcu_core's layout is unchanged) and every call compiles to nothing.
template <>
struct rcu_counters<false> {
  void count_read_hit() const noexcept {}
  void count_miss() const noexcept {}
  void count_promotion() const noexcept {}
  void count_expunged(std::size_t) const noexcept {}
  void count_retired(std::size_t) const noexcept {}
  void add_to(rcu_map_stats&) const noexcept {}
};

}  // namespace detail
SYNCMAP_NAMESPACE_END

#endif  // SYNCMAP_DETAIL_STATS_HPP
