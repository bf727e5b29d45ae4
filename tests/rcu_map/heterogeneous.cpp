// rcu_map heterogeneous lookup: with a transparent hash and equality, every `const K&`
// operation takes std::string_view for std::string keys, on both of rcu_map's paths: the
// lock-free read table and the dirty table behind the mutex (keys inserted since the last
// promotion). The random sequences in model.cpp mix both forms; this checks that no key is
// ever built from the view on either path.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "rcu_maps.hpp"
#include "support/catch.hpp"

using namespace syncmap_test;

namespace {

// A string key that counts its constructions from a string_view.
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

using map_type = syncmap::rcu_map<tracked_key, std::uint64_t, tracked_hash, tracked_equal>;

// Every `const K&` operation by string_view; `present` and `other` hold 1 and 2 on entry.
void use_every_lookup(map_type& map, std::string_view present, std::string_view other) {
  CHECK(map.load(present) == 1u);
  CHECK(map.contains(present));
  CHECK_FALSE(map.contains(std::string_view("absent")));
  CHECK(map.visit(present, [](const std::uint64_t& v) { CHECK(v == 1); }));
  CHECK(map.update(present, [](std::uint64_t& v) { v = 10; }));
  CHECK(map.compare_and_swap(present, 10, 11));
  CHECK_FALSE(map.compare_and_delete(present, 0));
  CHECK_FALSE(map.erase_if(present, [](const std::uint64_t&) { return false; }));
  CHECK(map.load_and_delete(present) == 11u);
  CHECK(map.erase(other) == 1);
  CHECK(map.erase(other) == 0);
}

}  // namespace

TEST_CASE("string_view lookups never build a key, on the read table and the dirty table",
          "[heterogeneous]") {
  map_type map;
  map.store(tracked_key("read-1"), 1);
  map.store(tracked_key("read-2"), 2);
  (void)map.snapshot();                  // promote: both keys are in the read table
  map.store(tracked_key("dirty-1"), 1);  // only in the dirty table until the next promotion
  map.store(tracked_key("dirty-2"), 2);
  const int built = tracked_key::built_from_view.load();
  use_every_lookup(map, "dirty-1", "dirty-2");  // the locked path (and its misses)
  use_every_lookup(map, "read-1", "read-2");    // the lock-free path
  CHECK(tracked_key::built_from_view.load() == built);
  CHECK(map.empty());
}
