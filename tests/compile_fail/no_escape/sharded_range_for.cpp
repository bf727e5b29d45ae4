// expect: no member named 'begin'|'begin' was not declared
//
// Must not compile: range-for over a sharded_map. API.md: "no reference or iterator into the
// map ever escapes", so the maps have no begin()/end(); an iterator would outlive the shard
// lock that keeps its slot valid. Iterate a snapshot() or use for_each instead.
#include <syncmap/sharded_map.hpp>

int main() {
  syncmap::sharded_map<int, int> map{{1, 1}};
  int total = 0;
  for (const auto& [key, value] : map)
    total += key + value;
  return total;
}
