// sharded_map under 4 threads: the "nothing lost" invariants of support/concurrency_checks.hpp.
// Iteration counts scale with SYNCMAP_STRESS_SCALE; nothing here asserts a time.
#include <cstdint>
#include <string>

#include "sharded_maps.hpp"
#include "support/catch.hpp"
#include "support/concurrency_checks.hpp"
#include "support/counted.hpp"
#include "support/random_ops.hpp"
#include "support/throwing.hpp"

using namespace syncmap_test;

TEMPLATE_LIST_TEST_CASE("concurrent upsert counts are exact on hot keys", "[concurrency]",
                        sharded_map_families) {
  typename TestType::template map<std::uint64_t, std::uint64_t> map;
  check_upsert_counts(map, 3, 60000);
}

TEMPLATE_LIST_TEST_CASE("concurrent upsert counts are exact on cold keys", "[concurrency]",
                        sharded_map_families) {
  const instance_check instances;
  {
    typename TestType::template map<std::string, counted, transparent_string_hash, std::equal_to<>>
        map(4);
    check_upsert_counts(map, 5000, 40000);
  }
  CHECK(instances.leaked() == 0);
}

TEMPLATE_LIST_TEST_CASE("concurrent upsert counts are exact when every hash collides",
                        "[concurrency][collision]", sharded_map_families) {
  typename TestType::template map<colliding_key, std::uint64_t> map;
  check_upsert_counts(map, 64, 10000);
}

TEMPLATE_LIST_TEST_CASE("disjoint concurrent inserts give exact size and contents", "[concurrency]",
                        sharded_map_families) {
  const instance_check instances;
  {
    typename TestType::template map<std::uint64_t, counted> map;
    check_disjoint_inserts(map, 30000);
  }
  CHECK(instances.leaked() == 0);
}

TEMPLATE_LIST_TEST_CASE("growth from one empty shard under concurrent inserts loses nothing",
                        "[concurrency][growth]", sharded_map_families) {
  typename TestType::template map<std::uint64_t, std::uint64_t> map(1);
  check_growth_keeps_everything(map, 50000);
}

TEMPLATE_LIST_TEST_CASE("growth of string keys from an empty map loses nothing",
                        "[concurrency][growth]", sharded_map_families) {
  typename TestType::template map<std::string, std::uint64_t> map(2);
  check_growth_keeps_everything(map, 15000);
}

TEMPLATE_LIST_TEST_CASE("load_or_store race: one winner per key, everyone sees its value",
                        "[concurrency]", sharded_map_families) {
  typename TestType::template map<std::uint64_t, std::uint64_t> map;
  check_load_or_store_race(map, 50000);
}

TEMPLATE_LIST_TEST_CASE("load_or_store race on one shard", "[concurrency]", sharded_map_families) {
  typename TestType::template map<std::uint64_t, counted> map(1);
  check_load_or_store_race(map, 30000);
}

TEMPLATE_LIST_TEST_CASE("compare_and_swap increment loops lose no increment", "[concurrency]",
                        sharded_map_families) {
  typename TestType::template map<std::uint64_t, std::uint64_t> map;
  check_cas_counters(map, 4, 40000);
}

TEMPLATE_LIST_TEST_CASE("racing deletes take every value exactly once", "[concurrency]",
                        sharded_map_families) {
  const instance_check instances;
  {
    typename TestType::template map<std::uint64_t, counted> map(8);
    check_delete_race(map, 2000, 40);
  }
  CHECK(instances.leaked() == 0);
}

TEMPLATE_LIST_TEST_CASE("for_each during churn visits every stable key exactly once",
                        "[concurrency][for_each]", sharded_map_families) {
  typename TestType::template map<std::uint64_t, std::uint64_t> map(8);
  check_for_each_under_churn(map, 1000, 1000, 200);
}

TEMPLATE_LIST_TEST_CASE("whole-map erase_if concurrent with non-matching inserts",
                        "[concurrency][erase_if]", sharded_map_families) {
  typename TestType::template map<std::uint64_t, std::uint64_t> map(8);
  check_erase_if_during_inserts(map, 5000, 30000);
}

TEMPLATE_LIST_TEST_CASE("size() never exceeds what is possible", "[concurrency][size]",
                        sharded_map_families) {
  typename TestType::template map<std::uint64_t, std::uint64_t> map;
  check_size_bounds(map, 300, 100000);
}

TEMPLATE_LIST_TEST_CASE("hot-key insert/erase net effect matches the final contents",
                        "[concurrency]", sharded_map_families) {
  typename TestType::template map<std::uint64_t, std::uint64_t> map;
  check_insert_erase_net_effect(map, 2, 100000);
}

TEMPLATE_LIST_TEST_CASE("readers never see a half-written value", "[concurrency]",
                        sharded_map_families) {
  typename TestType::template map<std::uint64_t, twin_value> map;
  check_no_torn_values(map, 4, 60000);
}

TEMPLATE_LIST_TEST_CASE("update and upsert callbacks on one key never overlap", "[concurrency]",
                        sharded_map_families) {
  typename TestType::template map<std::uint64_t, std::uint64_t> map;
  check_update_callbacks_exclusive(map, 5000);
}

TEMPLATE_LIST_TEST_CASE("a value found by a reader is fully built", "[concurrency]",
                        sharded_map_families) {
  typename TestType::template map<std::uint64_t, std::string> map;
  check_publication(map, 10000);
}

// Copies taken while writers churn are consistent. Guards the shared lock the copy
// constructor takes on every source shard; see docs/verification.md.
TEMPLATE_LIST_TEST_CASE("copying the map while writers change it gives a consistent copy",
                        "[concurrency][copy]", sharded_map_families) {
  typename TestType::template map<std::uint64_t, std::uint64_t> map(8);
  check_copy_under_churn(map, 256, 256, 4000);
}

// contains() and visit() find every stable key while writers churn. Guards the shared lock
// in contains() (and visit()); see docs/verification.md.
TEMPLATE_LIST_TEST_CASE("contains and visit during churn always find the stable keys",
                        "[concurrency]", sharded_map_families) {
  typename TestType::template map<std::uint64_t, std::uint64_t> map(2);
  check_lookups_under_churn(map, 256, 256, 20000);
}

// erase_if(pred) erasing entries of the shards that load() and contains() are reading.
// Guards erase_if's exclusive shard lock against the readers' shared one; see
// docs/verification.md.
TEMPLATE_LIST_TEST_CASE("whole-map erase_if that keeps erasing while lookups run",
                        "[concurrency][erase_if]", sharded_map_families) {
  const instance_check instances;
  {
    typename TestType::template map<std::uint64_t, counted> map(2);
    check_erase_if_during_lookups(map, 128, 128, 300);
  }
  CHECK(instances.leaked() == 0);
}

// clear() of a single shard while lookups read it. Guards clear's exclusive shard lock
// against the shared lock of load() and contains(); see docs/verification.md.
TEMPLATE_LIST_TEST_CASE("clear racing lookups shows only stored values and ends empty",
                        "[concurrency][clear]", sharded_map_families) {
  typename TestType::template map<std::uint64_t, std::uint64_t> map(1);
  check_clear_during_lookups(map, 512, 150);
}

// reserve() with a strictly growing n, so that every call rehashes the (single) shard, while
// other threads load() and contains() the keys already there: none may ever be missing.
// Guards reserve's exclusive shard lock against the readers' shared one; see
// docs/verification.md.
TEMPLATE_LIST_TEST_CASE("reserve that rehashes while lookups run loses no key",
                        "[concurrency][growth]", sharded_map_families) {
  using map_type = typename TestType::template map<std::uint64_t, std::uint64_t>;
  constexpr std::uint64_t keys = 64;
  const std::size_t rounds = scaled(20);
  for (std::size_t round = 0; round < rounds; ++round) {
    map_type map(1);
    for (std::uint64_t k = 0; k < keys; ++k)
      map.store(k, k + 1);
    concurrency_detail::run_while_drivers_run(
        1,
        [&](std::size_t) {
          for (std::size_t n = 2 * keys; n <= 128 * keys; n *= 2)
            map.reserve(n);
        },
        [&](std::size_t thread, std::size_t pass) {
          const std::uint64_t k = (pass * 5 + thread) % keys;
          SYNCMAP_THREAD_CHECK_MSG(map.load(k) == k + 1 && map.contains(k),
                                   "key " + std::to_string(k) + " missing during reserve");
        });
    REQUIRE(map.size() == keys);
  }
}
