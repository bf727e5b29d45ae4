// sharded_map exception safety: every throw point of every single-key operation and of
// every growth step, for a throwing hash, equality, value copy/move and allocator; throwing
// callbacks; copy assignment; and throws under concurrency. After each throw the contents
// are as before, the map works, and in the end every value and every byte is returned
// (support/exception_checks.hpp).
#include <cstdint>
#include <functional>
#include <utility>

#include "sharded_maps.hpp"
#include "support/allocators.hpp"
#include "support/catch.hpp"
#include "support/counted.hpp"
#include "support/exception_checks.hpp"
#include "support/throwing.hpp"

using namespace syncmap_test;

TEMPLATE_LIST_TEST_CASE("a throwing hash leaves every operation without effect", "[exceptions]",
                        sharded_map_families) {
  using map_type =
      typename TestType::template map<std::uint64_t, counted, throwing_hash<std::uint64_t>>;
  const instance_check instances;
  {
    map_type map(4);
    CHECK(check_single_key_strong_guarantee(map, faults_of(hash_faults)) > 0);
    map_type growing(1);
    CHECK(check_growth_strong_guarantee(growing, faults_of(hash_faults), 300) > 0);
  }
  CHECK(instances.leaked() == 0);
}

TEMPLATE_LIST_TEST_CASE("a throwing key equality leaves every operation without effect",
                        "[exceptions]", sharded_map_families) {
  // With every hash colliding, each probe compares keys, so equality runs everywhere.
  using map_type =
      typename TestType::template map<std::uint64_t, counted, colliding_hash<std::uint64_t>,
                                      throwing_equal<std::uint64_t>>;
  const instance_check instances;
  {
    map_type map(4);
    CHECK(check_single_key_strong_guarantee(map, faults_of(equal_faults)) > 0);
    map_type growing(1);
    CHECK(check_growth_strong_guarantee(growing, faults_of(equal_faults), 100) > 0);
  }
  CHECK(instances.leaked() == 0);
}

TEMPLATE_LIST_TEST_CASE("a throwing value copy or move leaves every operation without effect",
                        "[exceptions]", sharded_map_families) {
  using map_type = typename TestType::template map<std::uint64_t, throwing_value>;
  const instance_check instances;
  {
    map_type map(4);
    CHECK(check_single_key_strong_guarantee(map, faults_of(value_faults)) > 0);
    map_type growing(1);
    CHECK(check_growth_strong_guarantee(growing, faults_of(value_faults), 300) > 0);
  }
  CHECK(instances.leaked() == 0);
}

TEMPLATE_LIST_TEST_CASE("allocation failure leaves every operation without effect",
                        "[exceptions][allocator]", sharded_map_families) {
  using alloc_type = counting_allocator<std::pair<const std::uint64_t, counted>>;
  using map_type = typename TestType::template map<std::uint64_t, counted, std::hash<std::uint64_t>,
                                                   std::equal_to<std::uint64_t>, alloc_type>;
  const instance_check instances;
  allocation_stats stats(3);
  {
    map_type map(4, {}, {}, alloc_type(stats));
    CHECK(check_single_key_strong_guarantee(map, faults_of(stats)) > 0);
    for (std::size_t shards : {std::size_t{1}, std::size_t{8}}) {
      map_type growing(shards, {}, {}, alloc_type(stats));
      CHECK(check_growth_strong_guarantee(growing, faults_of(stats), 400) > 0);
    }
  }
  CHECK(instances.leaked() == 0);
  INFO(stats.describe());
  CHECK(stats.balanced());
}

TEMPLATE_LIST_TEST_CASE("bulk operations stay consistent when the hash or an allocation fails",
                        "[exceptions][allocator]", sharded_map_families) {
  const instance_check instances;
  {
    typename TestType::template map<std::uint64_t, counted, throwing_hash<std::uint64_t>> map(4);
    CHECK(check_bulk_consistency(map, faults_of(hash_faults)) > 0);
  }
  allocation_stats stats(5);
  {
    using alloc_type = counting_allocator<std::pair<const std::uint64_t, counted>>;
    typename TestType::template map<std::uint64_t, counted, std::hash<std::uint64_t>,
                                    std::equal_to<std::uint64_t>, alloc_type>
        map(4, {}, {}, alloc_type(stats));
    CHECK(check_bulk_consistency(map, faults_of(stats)) > 0);
  }
  CHECK(instances.leaked() == 0);
  INFO(stats.describe());
  CHECK(stats.balanced());
}

TEMPLATE_LIST_TEST_CASE("allocation failure at the n-th allocation of a growing map",
                        "[exceptions][allocator]", sharded_map_families) {
  // The failure is armed once per n and may land in any later insert: growth of any
  // shard, the first table of a shard, or nothing at all.
  using alloc_type = counting_allocator<std::pair<const std::uint64_t, std::uint64_t>>;
  using map_type =
      typename TestType::template map<std::uint64_t, std::uint64_t, std::hash<std::uint64_t>,
                                      std::equal_to<std::uint64_t>, alloc_type>;
  allocation_stats stats(4);
  for (std::int64_t n = 1; n <= 12; ++n) {
    INFO("allocation #" << n << " fails");
    {
      map_type map(4, {}, {}, alloc_type(stats));
      stats.fail_at(n);
      std::size_t failures = 0;
      for (std::uint64_t k = 0; k < 2000; ++k) {
        const auto before = map.size();
        try {
          map.store(k, k);
        } catch (const std::bad_alloc&) {
          ++failures;
          REQUIRE(map.size() == before);
          REQUIRE_FALSE(map.contains(k));
          REQUIRE(map.store(k, k));  // and it works right after
        }
      }
      stats.fail_at(0);
      CHECK(failures == 1);
      REQUIRE(map.size() == 2000);
      for (std::uint64_t k = 0; k < 2000; ++k)
        REQUIRE(map.load(k) == k);
    }
    CHECK(stats.balanced());
  }
}

TEMPLATE_LIST_TEST_CASE("throwing callbacks leave single-key operations without effect",
                        "[exceptions]", sharded_map_families) {
  const instance_check instances;
  {
    typename TestType::template map<std::uint64_t, counted> map(4);
    check_throwing_callbacks(map);
  }
  CHECK(instances.leaked() == 0);
}

TEMPLATE_LIST_TEST_CASE("a throwing copy assignment leaves the destination unchanged",
                        "[exceptions]", sharded_map_families) {
  using alloc_type = counting_allocator<std::pair<const std::uint64_t, throwing_value>>;
  using map_type =
      typename TestType::template map<std::uint64_t, throwing_value, std::hash<std::uint64_t>,
                                      std::equal_to<std::uint64_t>, alloc_type>;
  const instance_check instances;
  allocation_stats stats(5);
  {
    map_type source(4, {}, {}, alloc_type(stats));
    map_type target(2, {}, {}, alloc_type(stats));
    for (std::uint64_t k = 0; k < 30; ++k)
      source.store(k, k);
    for (std::uint64_t k = 100; k < 110; ++k)
      target.store(k, k);
    CHECK(check_copy_assignment_strong_guarantee(source, target, faults_of(value_faults)) > 0);
    CHECK(target == source);
    target.clear();
    target.store(5, 5);
    CHECK(check_copy_assignment_strong_guarantee(source, target, faults_of(stats)) > 0);
    CHECK(target == source);
  }
  CHECK(instances.leaked() == 0);
  CHECK(stats.balanced());
}

TEMPLATE_LIST_TEST_CASE("values that throw under concurrency: exactly the completed updates count",
                        "[exceptions][concurrency]", sharded_map_families) {
  const instance_check instances;
  {
    typename TestType::template map<std::uint64_t, throwing_value> map(2);
    check_exceptions_under_concurrency(map, 20000);
  }
  CHECK(instances.leaked() == 0);
}
