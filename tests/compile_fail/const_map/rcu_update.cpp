// expect: 'this' argument discards qualifiers|'this' argument has type 'const [^']*', but
//
// Must not compile: update on a const rcu_map (update publishes a modified copy of the value). A
// map seen through a const& offers only the reads (API.md: load, contains, visit, for_each,
// snapshot, size, empty are const); every writer is a non-const member.
#include <syncmap/rcu_map.hpp>

bool misuse(const syncmap::rcu_map<int, int>& map) {
  return map.update(1, [](int& value) { ++value; });
}

int main() {
  syncmap::rcu_map<int, int> map;
  map.store(1, 1);
  return misuse(map) ? 0 : 1;
}
