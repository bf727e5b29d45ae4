// expect: for call to '([^']*::)?load[(']
// expect: no known conversion
//
// Must not compile: heterogeneous lookup on sharded_map<std::string, int> with the default
// std::hash<std::string> and std::equal_to<std::string>, neither transparent. API.md enables
// the const K2& overloads only when both Hash::is_transparent and KeyEqual::is_transparent
// exist; otherwise load takes const std::string&, and std::string_view does not convert to
// it implicitly (a silent conversion would allocate a std::string on every lookup).
#include <syncmap/sharded_map.hpp>

#include <string>
#include <string_view>

int main() {
  syncmap::sharded_map<std::string, int> map;
  map.store("one", 1);
  return map.load(std::string_view("one")) ? 0 : 1;
}
