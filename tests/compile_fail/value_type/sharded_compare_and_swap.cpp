// expect: syncmap: compare_and_swap needs a value type with operator==
//
// Must not compile: sharded_map::compare_and_swap on a value type without operator==.
// API.md: compare_and_swap "needs T == T". The header checks it in a static_assert that
// names the operation, instead of an error from deep inside the lookup.
#include <syncmap/sharded_map.hpp>

struct no_equality {
  int value;
};

int main() {
  syncmap::sharded_map<int, no_equality> map;
  map.store(1, no_equality{1});
  return map.compare_and_swap(1, no_equality{1}, no_equality{2}) ? 0 : 1;
}
