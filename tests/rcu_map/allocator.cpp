// rcu_map allocator awareness: a stateful allocator given to the constructor is the one
// get_allocator() returns and provides the map's storage (value boxes, entries, tables);
// every byte comes back to the allocator that handed it out, including garbage that was
// still waiting for reclamation when the map was copied, moved, assigned or swapped; and the
// propagation traits are honoured.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>

#include "rcu_maps.hpp"
#include "support/allocators.hpp"
#include "support/catch.hpp"

using namespace syncmap_test;

namespace {

using value_type = std::pair<const std::uint64_t, std::uint64_t>;

template <bool Propagate>
using counting_map =
    syncmap::rcu_map<std::uint64_t, std::uint64_t, std::hash<std::uint64_t>,
                     std::equal_to<std::uint64_t>, counting_allocator<value_type, Propagate>>;

// Fills keys [0, n) and overwrites some of them, so the map holds a read table, a dirty
// table and retired value boxes not yet freed (garbage allocated by this map's allocator).
template <class Map>
void fill_with_garbage(Map& map, std::uint64_t n) {
  for (std::uint64_t k = 0; k < n; ++k)
    map.store(k, k);
  (void)map.snapshot();  // promote
  for (std::uint64_t k = 0; k < n; k += 2)
    map.store(k, k);  // retire a box each
  map.store(n, n);    // a new key: dirty rebuild
}

}  // namespace

TEST_CASE("the allocator given is the one used for all storage", "[allocator]") {
  using map_type = counting_map<true>;
  allocation_stats stats(80);
  const counting_allocator<value_type> alloc(stats);
  {
    map_type map(alloc);
    CHECK(map.get_allocator() == alloc);
    CHECK(stats.allocations() == 0);  // API.md: an empty rcu_map holds nothing
    for (std::uint64_t k = 0; k < 3000; ++k)
      map.store(k, k);
    CHECK(stats.allocations() >= 3000);  // at least one value box per key
    for (std::uint64_t k = 0; k < 3000; k += 3)
      map.erase(k);
    map.upsert(1, [](std::uint64_t& v) { ++v; });
    map.update(2, [](std::uint64_t& v) { ++v; });
    map.erase_if([](const std::uint64_t& k, const std::uint64_t&) { return k % 5 == 0; });
    map_type copy(map);
    CHECK(copy.get_allocator() == alloc);
    map.clear();
  }
  INFO(stats.describe());
  CHECK(stats.balanced());
}

TEST_CASE("propagating allocators follow the map on copy, move and swap", "[allocator]") {
  using map_type = counting_map<true>;
  allocation_stats stats_a(81);
  allocation_stats stats_b(82);
  const counting_allocator<value_type, true> alloc_a(stats_a);
  const counting_allocator<value_type, true> alloc_b(stats_b);
  {
    map_type a(alloc_a);
    map_type b(alloc_b);
    fill_with_garbage(a, 500);
    fill_with_garbage(b, 20);

    map_type copy(a);
    CHECK(copy.get_allocator() == alloc_a);  // select_on_container_copy_construction
    b = a;
    CHECK(b.get_allocator() == alloc_a);  // propagate_on_container_copy_assignment
    CHECK(b == a);
    map_type c(alloc_b);
    fill_with_garbage(c, 30);
    c = std::move(b);
    CHECK(c.get_allocator() == alloc_a);  // propagate_on_container_move_assignment
    map_type d(alloc_b);
    fill_with_garbage(d, 40);
    d.swap(c);                            // both hold garbage not yet freed
    CHECK(d.get_allocator() == alloc_a);  // propagate_on_container_swap
    CHECK(c.get_allocator() == alloc_b);
    CHECK(c.size() == 41);
    CHECK(d.size() == 501);
    fill_with_garbage(c, 60);
    fill_with_garbage(d, 60);
  }
  // Each allocator got back exactly what it handed out: nothing crossed between them.
  INFO(stats_a.describe() << "; " << stats_b.describe());
  CHECK(stats_a.balanced());
  CHECK(stats_b.balanced());
}

TEST_CASE("non-propagating allocators stay with their map on assignment", "[allocator]") {
  using map_type = counting_map<false>;
  allocation_stats stats_a(83);
  allocation_stats stats_b(84);
  const counting_allocator<value_type, false> alloc_a(stats_a);
  const counting_allocator<value_type, false> alloc_b(stats_b);
  {
    map_type a(alloc_a);
    fill_with_garbage(a, 500);
    map_type b(alloc_b);
    fill_with_garbage(b, 20);
    b = a;
    CHECK(b.get_allocator() == alloc_b);  // the destination keeps its allocator
    CHECK(b == a);
    map_type c(alloc_b);
    fill_with_garbage(c, 30);
    c = std::move(a);
    CHECK(c.get_allocator() == alloc_b);
    CHECK(c.size() == 501);
    fill_with_garbage(b, 60);
    fill_with_garbage(c, 60);
  }
  INFO(stats_a.describe() << "; " << stats_b.describe());
  CHECK(stats_a.balanced());
  CHECK(stats_b.balanced());
}

TEST_CASE("an empty map holds nothing, also after a move", "[allocator]") {
  using map_type = counting_map<true>;
  allocation_stats stats(85);
  {
    map_type empty(counting_allocator<value_type>{stats});
    map_type moved(std::move(empty));
    map_type copied(moved);
    CHECK(moved.empty());
    CHECK(copied.empty());
    CHECK(stats.allocations() == 0);
  }
  CHECK(stats.balanced());
}
