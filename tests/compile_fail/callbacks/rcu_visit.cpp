// expect-gnu: binding reference of type 'int&' to 'const int' discards qualifiers
// expect-clang: 1st argument \('const int'\) would lose const qualifier
//
// Must not compile: rcu_map::visit with a callback taking T&. API.md: visit calls
// f(const T&); the value is an immutable, published box that lock-free readers copy
// concurrently, so it must never be written. update is the way to modify. Even on a
// non-const map: visit is a const member with no mutable overload.
#include <syncmap/rcu_map.hpp>

int main() {
  syncmap::rcu_map<int, int> map;
  map.store(1, 1);
  return map.visit(1, [](int& value) { ++value; }) ? 0 : 1;
}
