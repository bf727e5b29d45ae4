// syncmap tests: the sharded_map instantiations every generic test runs against.
// SPDX-License-Identifier: MIT
//
// A family fixes everything but the key, value, hash, equality and allocator, so one test
// body can build whichever sharded_map<K, T, ...> it needs from TestType:
//
//   TEMPLATE_LIST_TEST_CASE("...", "[...]", sharded_map_families) {
//     using map = typename TestType::template map<std::uint64_t, counted>;
//
// Both shard locks run every test: the default rw_spinlock and std::shared_mutex (API.md:
// any SharedMutex must work).
#ifndef SYNCMAP_TESTS_SHARDED_MAP_SHARDED_MAPS_HPP
#define SYNCMAP_TESTS_SHARDED_MAP_SHARDED_MAPS_HPP

#include <functional>
#include <memory>
#include <shared_mutex>
#include <tuple>
#include <utility>

#include <syncmap/sharded_map.hpp>

namespace syncmap_test {

struct rw_spinlock_maps {
  template <class K, class T, class Hash = std::hash<K>, class KeyEqual = std::equal_to<K>,
            class Allocator = std::allocator<std::pair<const K, T>>>
  using map = syncmap::sharded_map<K, T, Hash, KeyEqual, Allocator>;
};

struct shared_mutex_maps {
  template <class K, class T, class Hash = std::hash<K>, class KeyEqual = std::equal_to<K>,
            class Allocator = std::allocator<std::pair<const K, T>>>
  using map = syncmap::sharded_map<K, T, Hash, KeyEqual, Allocator, std::shared_mutex>;
};

using sharded_map_families = std::tuple<rw_spinlock_maps, shared_mutex_maps>;

}  // namespace syncmap_test

#endif  // SYNCMAP_TESTS_SHARDED_MAP_SHARDED_MAPS_HPP
