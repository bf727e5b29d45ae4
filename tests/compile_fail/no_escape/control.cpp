// Control for no_escape/: what API.md offers instead of iterators and references into the
// map must compile, for both maps: for_each, and range-for over a snapshot() copy.
#include <syncmap/rcu_map.hpp>
#include <syncmap/sharded_map.hpp>

template <class Map>
int sum(const Map& map) {
  int total = 0;
  for (const auto& [key, value] : map.snapshot())
    total += key + value;
  map.for_each([&](const int& key, const int& value) { total += key + value; });
  return total;
}

int main() {
  syncmap::sharded_map<int, int> sharded{{1, 1}, {2, 2}};
  syncmap::rcu_map<int, int> rcu{{1, 1}, {2, 2}};
  return sum(sharded) + sum(rcu) == 0 ? 1 : 0;
}
