// expect-gnu: binding reference of type 'int&' to 'const int' discards qualifiers
// expect-clang: 1st argument \('const int'\) would lose const qualifier
//
// Must not compile: sharded_map::visit with a callback taking T&. API.md: visit calls
// f(const T&); it runs under the shard's *shared* lock, where other readers may be reading the
// same value, so writing through the reference would be a data race. update is the way to
// modify. Even on a non-const map: visit is a const member with no mutable overload.
#include <syncmap/sharded_map.hpp>

int main() {
  syncmap::sharded_map<int, int> map;
  map.store(1, 1);
  return map.visit(1, [](int& value) { ++value; }) ? 0 : 1;
}
