// expect: 'this' argument discards qualifiers|'this' argument has type 'const [^']*', but
//
// Must not compile: upsert on a const rcu_map (upsert modifies the value or inserts one). A map
// seen through a const& offers only the reads (API.md: load, contains, visit, for_each, snapshot,
// size, empty are const); every writer is a non-const member.
#include <syncmap/rcu_map.hpp>

bool misuse(const syncmap::rcu_map<int, int>& map) {
  const auto bump = [](int& value) { ++value; };
  return map.upsert(1, bump, 0);
}

int main() {
  syncmap::rcu_map<int, int> map;
  map.store(1, 1);
  return misuse(map) ? 0 : 1;
}
