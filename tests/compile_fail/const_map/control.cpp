// Control for const_map/: every read API.md lists as const must be callable on a const map
// (and copying from one, which takes a snapshot), for both maps.
#include <syncmap/rcu_map.hpp>
#include <syncmap/sharded_map.hpp>

#include <cstddef>

template <class Map>
std::size_t read_everything(const Map& map) {
  std::size_t n = map.size() + (map.empty() ? 1 : 0);
  n += map.load(1).value_or(0);
  n += map.contains(1) ? 1 : 0;
  n += map.visit(1, [](const int& value) { return value; }) ? 1 : 0;
  n += map.for_each([](const int& key, const int& value) { return key != value; });
  n += map.for_each([](const int&, const int&) {});
  n += map.snapshot().size();
  n += map.hash_function()(1) & 1;
  n += map.key_eq()(1, 1) ? 1 : 0;
  n += map.get_allocator() == typename Map::allocator_type() ? 1 : 0;
  n += map == map ? 1 : 0;
  Map copy(map);
  n += copy != map ? 1 : 0;
  return n;
}

int main() {
  syncmap::sharded_map<int, int> sharded;
  sharded.store(1, 1);
  syncmap::rcu_map<int, int> rcu;
  rcu.store(1, 1);
  const auto& const_sharded = sharded;
  const auto& const_rcu = rcu;
  std::size_t n = read_everything(const_sharded) + read_everything(const_rcu);
  n += const_sharded.shard_count() + const_sharded.max_size() + const_rcu.pending_reclamation();
  return n == 0 ? 1 : 0;
}
