// sharded_map heterogeneous lookup: with a transparent hash *and* equality, every operation
// taking `const K&` also takes std::string_view and const char* for std::string keys,
// without building a key; without both, only key_type (and what converts to it) works.
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "sharded_maps.hpp"
#include "support/catch.hpp"
#include "support/counted.hpp"
#include "support/random_ops.hpp"

using namespace syncmap_test;

namespace {

// A string key that counts its constructions from a string_view (the only way to build one
// from a lookup argument).
struct tracked_key {
  static inline std::atomic<int> built_from_view{0};
  std::string text;
  explicit tracked_key(std::string_view view) : text(view) {
    built_from_view.fetch_add(1, std::memory_order_relaxed);  // relaxed: single-threaded test
  }
};

struct tracked_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view key) const noexcept {
    return std::hash<std::string_view>()(key);
  }
  std::size_t operator()(const tracked_key& key) const noexcept { return (*this)(key.text); }
};

struct tracked_equal {
  using is_transparent = void;
  static std::string_view view(std::string_view key) { return key; }
  static std::string_view view(const tracked_key& key) { return key.text; }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const noexcept {
    return view(a) == view(b);
  }
};

// Hash transparent, equality not: heterogeneous lookup must stay off.
struct half_transparent_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view key) const noexcept {
    return std::hash<std::string_view>()(key);
  }
};

template <class Map, class K, class = void>
struct can_load : std::false_type {};
template <class Map, class K>
struct can_load<Map, K,
                std::void_t<decltype(std::declval<const Map&>().load(std::declval<const K&>()))>>
    : std::true_type {};

template <class Map, class K, class = void>
struct can_erase : std::false_type {};
template <class Map, class K>
struct can_erase<Map, K,
                 std::void_t<decltype(std::declval<Map&>().erase(std::declval<const K&>()))>>
    : std::true_type {};

}  // namespace

TEMPLATE_LIST_TEST_CASE("string_view and const char* work for every const K& operation",
                        "[heterogeneous]", sharded_map_families) {
  using map_type = typename TestType::template map<std::string, counted, transparent_string_hash,
                                                   std::equal_to<>>;
  map_type map(4);
  const std::string long_key = "a-key-much-longer-than-any-small-string-buffer";
  for (int i = 0; i < 10; ++i)
    map.store(long_key + std::to_string(i), static_cast<std::uint64_t>(i));
  const auto key = [&](int i) { return long_key + std::to_string(i); };
  const std::string k0 = key(0), k1 = key(1), k2 = key(2), k3 = key(3), k4 = key(4), k5 = key(5),
                    k6 = key(6), k7 = key(7);

  CHECK(map.load(std::string_view(k0)) == counted(0));
  CHECK(map.load(k0.c_str()) == counted(0));
  CHECK(map.contains(std::string_view(k1)));
  CHECK_FALSE(map.contains(std::string_view("absent")));
  std::uint64_t seen = 0;
  CHECK(map.visit(std::string_view(k2), [&](const counted& v) { seen = v.value(); }));
  CHECK(seen == 2);
  CHECK(map.update(std::string_view(k3), [](counted& v) { v = counted(v.value() + 30); }));
  CHECK(map.load(k3) == counted(33));
  CHECK(map.compare_and_swap(std::string_view(k4), 4, 40));
  CHECK(map.load(k4) == counted(40));
  CHECK(map.compare_and_delete(std::string_view(k4), 40));
  CHECK(map.load_and_delete(std::string_view(k5)) == counted(5));
  CHECK(map.erase(std::string_view(k6)) == 1);
  CHECK(map.erase(k6.c_str()) == 0);
  CHECK(map.erase_if(std::string_view(k7), [](const counted& v) { return v.value() == 7; }));
  CHECK(map.size() == 6);  // k4, k5, k6 and k7 were removed
}

TEMPLATE_LIST_TEST_CASE("transparent lookups never build a key", "[heterogeneous]",
                        sharded_map_families) {
  using map_type =
      typename TestType::template map<tracked_key, std::uint64_t, tracked_hash, tracked_equal>;
  map_type map(2);
  map.store(tracked_key("one"), 1);
  map.store(tracked_key("two"), 2);
  map.store(tracked_key("three"), 3);
  map.store(tracked_key("four"), 4);
  const int built = tracked_key::built_from_view.load();
  const std::string_view one = "one", two = "two", three = "three", four = "four", none = "none";
  CHECK(map.load(one) == 1u);
  CHECK(map.contains(two));
  CHECK_FALSE(map.contains(none));
  CHECK(map.visit(one, [](const std::uint64_t&) {}));
  CHECK(map.update(two, [](std::uint64_t& v) { v = 20; }));
  CHECK(map.compare_and_swap(two, 20, 21));
  CHECK_FALSE(map.compare_and_delete(two, 0));
  CHECK(map.erase_if(three, [](const std::uint64_t&) { return false; }) == false);
  CHECK(map.load_and_delete(three) == 3u);
  CHECK(map.erase(four) == 1);
  CHECK(tracked_key::built_from_view.load() == built);
  CHECK(map.size() == 2);
}

TEMPLATE_LIST_TEST_CASE("without both functors transparent, lookups take key_type only",
                        "[heterogeneous]", sharded_map_families) {
  using plain_map = typename TestType::template map<std::string, std::uint64_t>;
  using half_map =
      typename TestType::template map<std::string, std::uint64_t, half_transparent_hash>;
  using full_map = typename TestType::template map<std::string, std::uint64_t,
                                                   transparent_string_hash, std::equal_to<>>;
  static_assert(!can_load<plain_map, std::string_view>::value);
  static_assert(!can_erase<plain_map, std::string_view>::value);
  static_assert(!can_load<half_map, std::string_view>::value);
  static_assert(can_load<full_map, std::string_view>::value);
  static_assert(can_erase<full_map, std::string_view>::value);

  // A string literal still converts to std::string, as with std::unordered_map.
  plain_map plain;
  plain.store("literal", 1);
  CHECK(plain.load("literal") == 1u);
  CHECK(plain.contains("literal"));
  CHECK(plain.erase("literal") == 1);
  half_map half;
  half.store("literal", 2);
  CHECK(half.load("literal") == 2u);
}
