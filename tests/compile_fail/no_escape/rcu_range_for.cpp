// expect: no member named 'begin'|'begin' was not declared
//
// Must not compile: range-for over an rcu_map. API.md: "no reference or iterator into the map
// ever escapes", so the maps have no begin()/end(); an iterator would point into a table and
// value boxes that a writer may retire and free. Iterate a snapshot() or use for_each instead.
#include <syncmap/rcu_map.hpp>

int main() {
  syncmap::rcu_map<int, int> map{{1, 1}};
  int total = 0;
  for (const auto& [key, value] : map)
    total += key + value;
  return total;
}
