// expect: for call to '([^']*::)?load_and_delete[(']
// expect: no known conversion
//
// Must not compile: heterogeneous lookup on an rcu_map when only the KeyEqual is transparent
// (std::equal_to<>). API.md requires both Hash::is_transparent and KeyEqual::is_transparent.
// The Hash here would accept a std::string_view: the call fails only if the library honours
// the rule, not by accident inside the lookup.
#include <syncmap/rcu_map.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

struct opaque_hash {  // no is_transparent
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

int main() {
  syncmap::rcu_map<std::string, int, opaque_hash, std::equal_to<>> map;
  map.store("one", 1);
  return map.load_and_delete(std::string_view("one")) ? 0 : 1;
}
