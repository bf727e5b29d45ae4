// expect: syncmap: compare_and_delete needs a value type with operator==
//
// Must not compile: rcu_map::compare_and_delete on a value type without operator==.
// API.md: compare_and_delete "needs T == T". The header checks it in a static_assert that
// names the operation, instead of an error from deep inside the lookup.
#include <syncmap/rcu_map.hpp>

struct no_equality {
  int value;
};

int main() {
  syncmap::rcu_map<int, no_equality> map;
  map.store(1, no_equality{1});
  return map.compare_and_delete(1, no_equality{1}) ? 0 : 1;
}
