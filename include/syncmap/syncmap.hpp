// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// Everything public: sharded_map (per-shard reader-writer locks; mixed workloads), rcu_map
// (Go sync.Map-style, lock-free reads; read-mostly tables) and rw_spinlock.
#ifndef SYNCMAP_SYNCMAP_HPP
#define SYNCMAP_SYNCMAP_HPP

#include "rcu_map.hpp"
#include "rw_spinlock.hpp"
#include "sharded_map.hpp"
#include "version.hpp"

/// \file
/// Everything public: sharded_map, rcu_map, rw_spinlock and the version macros.

/// \namespace syncmap
/// Concurrent hash maps: sharded_map, rcu_map and the lock rw_spinlock. Every name sits in an
/// inline namespace named after the version (SYNCMAP_ABI_NAMESPACE), so binaries built against
/// different versions never mix class layouts; syncmap::detail is not part of the API.

/// \mainpage syncmap
///
/// Concurrent hash maps for C++17, header-only. `#include <syncmap/syncmap.hpp>` for
/// everything, or the one header of the class you use.
///
/// - syncmap::sharded_map: keys hash to one of many shards, each a flat table behind its own
///   reader-writer lock. The default choice, for threads that read and write.
/// - syncmap::rcu_map: Go's sync.Map design; lookups of keys in the read table take no lock.
///   For tables written rarely and read constantly.
/// - syncmap::rw_spinlock: the 4-byte reader-writer lock of sharded_map's shards, usable alone.
///
/// Both maps have the same operations. Every single-key operation is linearizable, values are
/// returned by copy, and no reference or iterator into a map ever escapes. Each member's
/// documentation gives the lock it holds (sharded_map) or how it synchronizes (rcu_map), its
/// cost, and what happens when user code throws; each class's documentation gives the rules
/// for callbacks and how consistent the whole-map operations are. README.md has the overview,
/// the benchmarks and the mapping from Go's names.

#endif  // SYNCMAP_SYNCMAP_HPP
