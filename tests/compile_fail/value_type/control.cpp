// Control for value_type/: the same operations with value types that meet the requirements
// (operator== for compare_and_swap / compare_and_delete, copyable for rcu_map) must compile.
#include <syncmap/rcu_map.hpp>
#include <syncmap/sharded_map.hpp>

#include <memory>
#include <string>

struct with_equality {
  int value;
  friend bool operator==(const with_equality& a, const with_equality& b) {
    return a.value == b.value;
  }
};

int main() {
  syncmap::sharded_map<int, with_equality> sharded;
  sharded.store(1, with_equality{1});
  bool ok = sharded.compare_and_swap(1, with_equality{1}, with_equality{2});
  ok = sharded.compare_and_delete(1, with_equality{2}) && ok;

  syncmap::rcu_map<int, with_equality> rcu;
  rcu.store(1, with_equality{1});
  ok = rcu.compare_and_swap(1, with_equality{1}, with_equality{2}) && ok;
  ok = rcu.compare_and_delete(1, with_equality{2}) && ok;

  // Copyable values that own memory: fine for rcu_map.
  syncmap::rcu_map<int, std::string> strings;
  strings.store(1, "one");
  syncmap::rcu_map<int, std::shared_ptr<int>> shared;
  shared.store(1, std::make_shared<int>(1));
  ok = strings.compare_and_swap(1, "one", "uno") && ok;
  return ok && shared.load(1) ? 0 : 1;
}
