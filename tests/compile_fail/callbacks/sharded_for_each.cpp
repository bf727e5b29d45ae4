// expect-gnu: binding reference of type 'int&' to 'const int' discards qualifiers
// expect-clang: \('const int'\) would lose const|invoke_result<[^']*const int &, const int &>
//
// Must not compile: sharded_map::for_each with a callback taking T&. API.md: for_each calls
// f(const K&, const T&) under each shard's *shared* lock, so writing through the reference
// would race with other readers. Even on a non-const map: for_each is a const member.
#include <syncmap/sharded_map.hpp>

int main() {
  syncmap::sharded_map<int, int> map;
  map.store(1, 1);
  return map.for_each([](const int&, int& value) { ++value; }) > 0 ? 0 : 1;
}
