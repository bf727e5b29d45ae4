// expect-gnu: binding reference of type 'int&' to 'const int' discards qualifiers
// expect-clang: 2nd argument \('const int'\) would lose const qualifier
//
// Must not compile: rcu_map::erase_if(pred) with a predicate taking T&. API.md: erase_if
// calls p(const K&, const T&); the value is an immutable published box that lock-free readers
// copy concurrently, so it must never be written.
#include <syncmap/rcu_map.hpp>

int main() {
  syncmap::rcu_map<int, int> map;
  map.store(1, 1);
  return map.erase_if([](const int&, int& value) { return ++value > 1; }) > 0 ? 0 : 1;
}
