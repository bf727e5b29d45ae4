// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// map_equality: operator== for both maps. It compares a snapshot of one map against lookups
// in the other, so no two maps' locks (or a lock and a read section) are ever held together;
// the result is exact only while neither map is being written.
#ifndef SYNCMAP_DETAIL_MAP_EQUALITY_HPP
#define SYNCMAP_DETAIL_MAP_EQUALITY_HPP

#include <optional>

#include "config.hpp"

SYNCMAP_NAMESPACE_BEGIN
namespace detail {

// Map: sharded_map or rcu_map (snapshot(), size(), load()); needs mapped_type == mapped_type.
template <class Map>
bool maps_equal(const Map& a, const Map& b) {
  if (&a == &b) return true;
  const auto entries = a.snapshot();
  if (entries.size() != b.size()) return false;
  for (const auto& [key, value] : entries) {
    const std::optional<typename Map::mapped_type> other = b.load(key);
    if (!other || !(*other == value)) return false;
  }
  return true;
}

}  // namespace detail
SYNCMAP_NAMESPACE_END

#endif  // SYNCMAP_DETAIL_MAP_EQUALITY_HPP
