// expect: for call to '([^']*::)?contains[(']
// expect: no known conversion
//
// Must not compile: heterogeneous lookup when only the Hash is transparent. API.md requires
// both Hash::is_transparent and KeyEqual::is_transparent. The KeyEqual here would accept a
// std::string_view (so would the Hash): the call fails only if the library honours the rule,
// not by accident inside the lookup.
#include <syncmap/sharded_map.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

struct transparent_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

struct opaque_equal {  // no is_transparent
  bool operator()(std::string_view a, std::string_view b) const { return a == b; }
};

int main() {
  syncmap::sharded_map<std::string, int, transparent_hash, opaque_equal> map;
  map.store("one", 1);
  return map.contains(std::string_view("one")) ? 0 : 1;
}
