// sharded_map construction: default, shard count (and its validation), initializer list,
// iterator range, functors and allocator, reserve.
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "sharded_maps.hpp"
#include "support/allocators.hpp"
#include "support/api_checks.hpp"
#include "support/catch.hpp"

using namespace syncmap_test;

namespace {

// Functors with an identity, to see that the map keeps (and copies, and swaps) the ones it
// was given.
struct tagged_hash {
  int tag = 0;
  std::size_t operator()(std::uint64_t key) const noexcept {
    return std::hash<std::uint64_t>()(key);
  }
};
struct tagged_equal {
  int tag = 0;
  bool operator()(std::uint64_t a, std::uint64_t b) const noexcept { return a == b; }
};

bool is_power_of_two(std::size_t n) {
  return n != 0 && (n & (n - 1)) == 0;
}

template <class Map>
void require_invalid_shard_count(std::size_t shard_count) {
  INFO("shard_count " << shard_count);
  try {
    Map map(shard_count);
    FAIL("no exception for shard_count " << shard_count);
  } catch (const std::invalid_argument& error) {
    const std::string what = error.what();
    INFO("what(): " << what);
    CHECK(what.find(std::to_string(shard_count)) != std::string::npos);  // names the value
    CHECK(what.find("power of two") != std::string::npos);               // and the rule
  }
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("a default-constructed map is empty with a valid shard count",
                        "[construct]", sharded_map_families) {
  const typename TestType::template map<std::uint64_t, std::uint64_t> map;
  CHECK(map.empty());
  CHECK(map.size() == 0);
  CHECK(is_power_of_two(map.shard_count()));
  CHECK(map.shard_count() <= 65536);
  CHECK(map.snapshot().empty());
}

TEMPLATE_LIST_TEST_CASE("the shard count is what was asked for", "[construct]",
                        sharded_map_families) {
  using map_type = typename TestType::template map<std::uint64_t, std::uint64_t>;
  for (std::size_t count : {std::size_t{1}, std::size_t{2}, std::size_t{64}, std::size_t{65536}}) {
    map_type map(count);
    CHECK(map.shard_count() == count);
    for (std::uint64_t k = 0; k < 100; ++k)
      map.store(k, k);
    CHECK(map.size() == 100);
    // Copying holds every source shard's lock at once; ThreadSanitizer's deadlock detector
    // tracks at most 64 locks held by one thread and hangs beyond that.
    if (SYNCMAP_TSAN && count > 64) continue;
    map_type copy(map);
    CHECK(copy.shard_count() == count);
  }
}

TEMPLATE_LIST_TEST_CASE("a bad shard count throws invalid_argument naming it", "[construct]",
                        sharded_map_families) {
  using map_type = typename TestType::template map<std::uint64_t, std::uint64_t>;
  require_invalid_shard_count<map_type>(0);
  require_invalid_shard_count<map_type>(3);
  require_invalid_shard_count<map_type>(12);
  require_invalid_shard_count<map_type>(65537);
  require_invalid_shard_count<map_type>(131072);
  require_invalid_shard_count<map_type>(std::numeric_limits<std::size_t>::max());
}

TEMPLATE_LIST_TEST_CASE("initializer-list and range constructors", "[construct]",
                        sharded_map_families) {
  check_list_and_range_construction<TestType>();
}

TEMPLATE_LIST_TEST_CASE("list and range constructors take a shard count, functors and allocator",
                        "[construct]", sharded_map_families) {
  allocation_stats stats(1);
  using map_type = typename TestType::template map<
      std::uint64_t, std::uint64_t, tagged_hash, tagged_equal,
      counting_allocator<std::pair<const std::uint64_t, std::uint64_t>>>;
  const counting_allocator<std::pair<const std::uint64_t, std::uint64_t>> alloc(stats);
  {
    const map_type from_list({{1, 1}, {2, 2}}, 4, tagged_hash{7}, tagged_equal{8}, alloc);
    CHECK(from_list.shard_count() == 4);
    CHECK(from_list.size() == 2);
    CHECK(from_list.hash_function().tag == 7);
    CHECK(from_list.key_eq().tag == 8);
    CHECK(from_list.get_allocator() == alloc);

    const auto entries = from_list.snapshot();
    const map_type from_range(entries.begin(), entries.end(), 2, tagged_hash{9}, tagged_equal{10},
                              alloc);
    CHECK(from_range.shard_count() == 2);
    CHECK(from_range == from_list);
    CHECK(from_range.hash_function().tag == 9);
    CHECK(from_range.key_eq().tag == 10);
  }
  CHECK(stats.allocations() > 0);
  CHECK(stats.balanced());
}

TEMPLATE_LIST_TEST_CASE("functors are kept, copied and swapped", "[construct]",
                        sharded_map_families) {
  using map_type =
      typename TestType::template map<std::uint64_t, std::uint64_t, tagged_hash, tagged_equal>;
  map_type a(8, tagged_hash{1}, tagged_equal{2});
  map_type b(16, tagged_hash{3}, tagged_equal{4});
  a.store(1, 1);
  CHECK(a.hash_function().tag == 1);
  CHECK(a.key_eq().tag == 2);
  const map_type copy(a);
  CHECK(copy.hash_function().tag == 1);
  CHECK(copy.key_eq().tag == 2);
  a.swap(b);
  CHECK(a.hash_function().tag == 3);
  CHECK(a.key_eq().tag == 4);
  CHECK(a.shard_count() == 16);
  CHECK(b.hash_function().tag == 1);
  CHECK(b.shard_count() == 8);
  CHECK(b.load(1) == 1u);
  b = map_type(2, tagged_hash{5}, tagged_equal{6});
  CHECK(b.hash_function().tag == 5);
  CHECK(b.shard_count() == 2);
  CHECK(b.empty());
}

TEMPLATE_LIST_TEST_CASE("reserve beyond max_size throws length_error and changes nothing",
                        "[construct][reserve]", sharded_map_families) {
  check_reserve_beyond_max_size<TestType>();
}

TEMPLATE_LIST_TEST_CASE("after reserve(n), n inserts allocate nothing", "[construct][reserve]",
                        sharded_map_families) {
  using alloc_type = counting_allocator<std::pair<const std::uint64_t, std::uint64_t>>;
  using map_type =
      typename TestType::template map<std::uint64_t, std::uint64_t, std::hash<std::uint64_t>,
                                      std::equal_to<std::uint64_t>, alloc_type>;
  for (std::size_t shards : {std::size_t{1}, std::size_t{16}}) {
    for (std::size_t n : {std::size_t{1}, std::size_t{100}, std::size_t{20000}}) {
      INFO(shards << " shards, n = " << n);
      allocation_stats stats(2);
      {
        map_type map(shards, {}, {}, alloc_type(stats));
        map.reserve(n);
        const std::uint64_t allocations = stats.allocations();
        for (std::uint64_t k = 0; k < n; ++k)
          REQUIRE(map.store(k * 7919, k));
        CHECK(stats.allocations() == allocations);
        CHECK(map.size() == n);
        map.reserve(n / 2);  // never shrinks below what is stored
        CHECK(map.size() == n);
        for (std::uint64_t k = 0; k < n; ++k)
          REQUIRE(map.load(k * 7919) == k);
      }
      CHECK(stats.balanced());
    }
  }
}
