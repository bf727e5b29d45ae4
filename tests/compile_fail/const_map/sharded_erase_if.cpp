// expect: 'this' argument discards qualifiers|'this' argument has type 'const [^']*', but
//
// Must not compile: erase_if on a const sharded_map (erase_if(key, pred) removes the entry). A map
// seen through a const& offers only the reads (API.md: load, contains, visit, for_each, snapshot,
// size, empty are const); every writer is a non-const member.
#include <syncmap/sharded_map.hpp>

bool misuse(const syncmap::sharded_map<int, int>& map) {
  return map.erase_if(1, [](const int& value) { return value > 0; });
}

int main() {
  syncmap::sharded_map<int, int> map;
  map.store(1, 1);
  return misuse(map) ? 0 : 1;
}
