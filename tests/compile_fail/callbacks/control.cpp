// Control for callbacks/: the callback shapes API.md gives must compile, for both maps:
// visit f(const T&), for_each f(const K&, const T&) returning void or bool,
// erase_if(k, p(const T&)), erase_if(p(const K&, const T&)), and update/upsert f(T&).
// Also by value and through generic lambdas, which bind to whatever the map passes.
#include <syncmap/rcu_map.hpp>
#include <syncmap/sharded_map.hpp>

#include <cstddef>

template <class Map>
std::size_t use_callbacks(Map& map) {
  std::size_t n = 0;
  n += map.visit(1, [](const int& value) { return value; }) ? 1 : 0;
  n += map.visit(1, [](int value) { return value; }) ? 1 : 0;
  n += map.visit(1, [](const auto& value) { return value; }) ? 1 : 0;
  n += map.for_each([](const int&, const int&) {});
  n += map.for_each([](const int& key, const int& value) { return key == value; });
  n += map.for_each([](const auto&, const auto&) {});
  n += map.update(1, [](int& value) { ++value; }) ? 1 : 0;
  const auto bump = [](int& value) { ++value; };
  n += map.upsert(2, bump, 0) ? 1 : 0;
  n += map.erase_if(2, [](const int& value) { return value == 0; }) ? 1 : 0;
  n += map.erase_if([](const int& key, const int& value) { return key == value; });
  return n;
}

int main() {
  syncmap::sharded_map<int, int> sharded;
  sharded.store(1, 1);
  syncmap::rcu_map<int, int> rcu;
  rcu.store(1, 1);
  return use_callbacks(sharded) + use_callbacks(rcu) == 0 ? 1 : 0;
}
