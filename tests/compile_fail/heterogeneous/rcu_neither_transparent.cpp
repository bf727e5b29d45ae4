// expect: for call to '([^']*::)?erase[(']
// expect: no known conversion
//
// Must not compile: heterogeneous erase on an rcu_map whose Hash and KeyEqual both accept a
// std::string_view but neither declares is_transparent. API.md enables the const K2&
// overloads only when both do; what the functors could be called with does not matter.
#include <syncmap/rcu_map.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

struct opaque_hash {  // no is_transparent
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct opaque_equal {  // no is_transparent
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

int main() {
  syncmap::rcu_map<std::string, int, opaque_hash, opaque_equal> map;
  map.store("one", 1);
  return map.erase(std::string_view("one")) == 1 ? 0 : 1;
}
