// expect: 'this' argument discards qualifiers|'this' argument has type 'const [^']*', but
//
// Must not compile: update on a const sharded_map (update runs f(T&) under the shard's exclusive
// lock). A map seen through a const& offers only the reads (API.md: load, contains, visit,
// for_each, snapshot, size, empty are const); every writer is a non-const member.
#include <syncmap/sharded_map.hpp>

bool misuse(const syncmap::sharded_map<int, int>& map) {
  return map.update(1, [](int& value) { ++value; });
}

int main() {
  syncmap::sharded_map<int, int> map;
  map.store(1, 1);
  return misuse(map) ? 0 : 1;
}
