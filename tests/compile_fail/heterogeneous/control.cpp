// Control for heterogeneous/: with both Hash::is_transparent and KeyEqual::is_transparent,
// every operation that takes const K& also takes a std::string_view for std::string keys
// (API.md, "Heterogeneous lookup"), on both maps. Without them, a const char* still works: it
// converts implicitly to the key type, as with std::unordered_map.
#include <syncmap/rcu_map.hpp>
#include <syncmap/sharded_map.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

struct transparent_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

template <class Map>
std::size_t look_up(Map& map, std::string_view key) {
  std::size_t n = map.load(key).value_or(0);
  n += map.contains(key) ? 1 : 0;
  n += map.visit(key, [](const int& value) { return value; }) ? 1 : 0;
  n += map.update(key, [](int& value) { ++value; }) ? 1 : 0;
  n += map.compare_and_swap(key, 2, 3) ? 1 : 0;
  n += map.compare_and_delete(key, 3) ? 1 : 0;
  n += map.load_and_delete(key).value_or(0);
  n += map.erase(key);
  n += map.erase_if(key, [](const int& value) { return value > 0; }) ? 1 : 0;
  return n;
}

int main() {
  syncmap::sharded_map<std::string, int, transparent_hash, std::equal_to<>> sharded;
  sharded.store("one", 1);
  syncmap::rcu_map<std::string, int, transparent_hash, std::equal_to<>> rcu;
  rcu.store("one", 1);
  std::size_t n = look_up(sharded, std::string_view("one")) + look_up(rcu, "one");

  syncmap::sharded_map<std::string, int> plain_sharded;
  syncmap::rcu_map<std::string, int> plain_rcu;
  n += plain_sharded.load("one").value_or(0) + plain_rcu.erase("one");
  return n == 0 ? 1 : 0;
}
