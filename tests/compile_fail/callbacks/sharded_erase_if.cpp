// expect-gnu: binding reference of type 'int&' to 'const int' discards qualifiers
// expect-clang: 1st argument \('const int'\) would lose const qualifier
//
// Must not compile: sharded_map::erase_if(key, pred) with a predicate taking T&. API.md:
// erase_if calls p(const T&); a predicate must not modify the value it judges.
#include <syncmap/sharded_map.hpp>

int main() {
  syncmap::sharded_map<int, int> map;
  map.store(1, 1);
  return map.erase_if(1, [](int& value) { return ++value > 1; }) ? 0 : 1;
}
