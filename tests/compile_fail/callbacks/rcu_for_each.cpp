// expect-gnu: binding reference of type 'int&' to 'const int' discards qualifiers
// expect-clang: \('const int'\) would lose const|invoke_result<[^']*const int &, const int &>
//
// Must not compile: rcu_map::for_each with a callback taking T&. API.md: for_each calls
// f(const K&, const T&); rcu_map's values are immutable published boxes (for_each even hands
// out a copy), so a T& callback would silently modify nothing. Even on a non-const map.
#include <syncmap/rcu_map.hpp>

int main() {
  syncmap::rcu_map<int, int> map;
  map.store(1, 1);
  return map.for_each([](const int&, int& value) { ++value; }) > 0 ? 0 : 1;
}
