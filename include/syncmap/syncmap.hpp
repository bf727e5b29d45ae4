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

#endif  // SYNCMAP_SYNCMAP_HPP
