// expect: syncmap::rcu_map returns values by copy
//
// Must not compile: rcu_map with a value type that cannot be copied. rcu_map publishes
// immutable value boxes and every read returns a copy (API.md: "Values are returned by copy"),
// so T must be copy-constructible; the class static_asserts it as soon as it is instantiated.
#include <syncmap/rcu_map.hpp>

#include <memory>

int main() {
  syncmap::rcu_map<int, std::unique_ptr<int>> map;
  return map.empty() ? 0 : 1;
}
