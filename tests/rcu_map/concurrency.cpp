// rcu_map under 4 threads: the "nothing lost" invariants of support/concurrency_checks.hpp,
// the same functions sharded_map's tests call. For rcu_map they also cover its lock-free
// paths racing its locked ones: fast-path CASes on read-table entries against promotions,
// dirty rebuilds and expunges under the mutex. Iteration counts scale with
// SYNCMAP_STRESS_SCALE; nothing here asserts a time.
//
// Not instantiated: check_update_callbacks_exclusive. rcu_map runs update callbacks on
// private copies (API.md), so two may run at once by design.
#include <cstdint>
#include <functional>
#include <string>

#include "rcu_maps.hpp"
#include "support/catch.hpp"
#include "support/concurrency_checks.hpp"
#include "support/counted.hpp"
#include "support/random_ops.hpp"
#include "support/throwing.hpp"

using namespace syncmap_test;

TEST_CASE("concurrent upsert counts are exact on hot keys", "[concurrency]") {
  syncmap::rcu_map<std::uint64_t, std::uint64_t> map;
  check_upsert_counts(map, 3, 80000);
}

TEST_CASE("concurrent upsert counts are exact on cold keys", "[concurrency]") {
  const instance_check instances;
  {
    syncmap::rcu_map<std::string, counted, transparent_string_hash, std::equal_to<>> map;
    check_upsert_counts(map, 3000, 20000);
  }
  CHECK(instances.leaked() == 0);
}

TEST_CASE("concurrent upsert counts are exact when every hash collides",
          "[concurrency][collision]") {
  syncmap::rcu_map<colliding_key, std::uint64_t> map;
  check_upsert_counts(map, 48, 8000);
}

TEST_CASE("disjoint concurrent inserts give exact size and contents", "[concurrency]") {
  const instance_check instances;
  {
    syncmap::rcu_map<std::uint64_t, counted> map;
    check_disjoint_inserts(map, 3000);
  }
  CHECK(instances.leaked() == 0);
}

TEST_CASE("growth from an empty map under concurrent inserts loses nothing",
          "[concurrency][growth]") {
  syncmap::rcu_map<std::uint64_t, std::uint64_t> map;
  check_growth_keeps_everything(map, 3000);
}

TEST_CASE("growth of string keys from an empty map loses nothing", "[concurrency][growth]") {
  syncmap::rcu_map<std::string, std::uint64_t> map;
  check_growth_keeps_everything(map, 2000);
}

TEST_CASE("load_or_store race: one winner per key, everyone sees its value", "[concurrency]") {
  syncmap::rcu_map<std::uint64_t, std::uint64_t> map;
  check_load_or_store_race(map, 8000);
}

TEST_CASE("load_or_store race with counted values", "[concurrency]") {
  const instance_check instances;
  {
    syncmap::rcu_map<std::uint64_t, counted> map;
    check_load_or_store_race(map, 5000);
  }
  CHECK(instances.leaked() == 0);
}

TEST_CASE("compare_and_swap increment loops lose no increment", "[concurrency]") {
  syncmap::rcu_map<std::uint64_t, std::uint64_t> map;
  check_cas_counters(map, 4, 50000);
}

TEST_CASE("racing deletes take every value exactly once", "[concurrency]") {
  const instance_check instances;
  {
    syncmap::rcu_map<std::uint64_t, counted> map;
    check_delete_race(map, 1000, 60);
  }
  CHECK(instances.leaked() == 0);
}

TEST_CASE("for_each during churn visits every stable key exactly once", "[concurrency][for_each]") {
  syncmap::rcu_map<std::uint64_t, std::uint64_t> map;
  check_for_each_under_churn(map, 1000, 1000, 200);
}

TEST_CASE("for_each during churn with string keys", "[concurrency][for_each]") {
  syncmap::rcu_map<std::string, std::uint64_t> map;
  check_for_each_under_churn(map, 200, 50, 400);
}

TEST_CASE("whole-map erase_if concurrent with non-matching inserts", "[concurrency][erase_if]") {
  syncmap::rcu_map<std::uint64_t, std::uint64_t> map;
  check_erase_if_during_inserts(map, 2000, 3000);
}

TEST_CASE("size() never exceeds what is possible", "[concurrency][size]") {
  syncmap::rcu_map<std::uint64_t, std::uint64_t> map;
  check_size_bounds(map, 300, 50000);
}

TEST_CASE("hot-key insert/erase net effect matches the final contents", "[concurrency]") {
  syncmap::rcu_map<std::uint64_t, std::uint64_t> map;
  check_insert_erase_net_effect(map, 2, 100000);
}

TEST_CASE("readers never see a half-written value", "[concurrency]") {
  syncmap::rcu_map<std::uint64_t, twin_value> map;
  check_no_torn_values(map, 4, 60000);
}

TEST_CASE("a value found by a reader is fully built", "[concurrency]") {
  syncmap::rcu_map<std::uint64_t, std::string> map;
  check_publication(map, 5000);
}

// Copies taken while writers churn are consistent (rcu_map copies from one read table);
// the sharded_map counterpart guards the copy constructor's shared locks.
TEST_CASE("copying the map while writers change it gives a consistent copy",
          "[concurrency][copy]") {
  syncmap::rcu_map<std::uint64_t, std::uint64_t> map;
  check_copy_under_churn(map, 256, 256, 4000);
}

// contains() and visit() find every stable key while writers churn (lock-free here; the
// sharded_map counterpart guards contains()'s shared lock).
TEST_CASE("contains and visit during churn always find the stable keys", "[concurrency]") {
  syncmap::rcu_map<std::uint64_t, std::uint64_t> map;
  check_lookups_under_churn(map, 256, 256, 20000);
}

// erase_if(pred) reading values that a lock-free store has just replaced, while lookups run.
// Guards the acquire load of each entry's value in erase_if (its predicate reads the new
// box); see docs/verification.md.
TEST_CASE("whole-map erase_if that keeps erasing while lookups run", "[concurrency][erase_if]") {
  const instance_check instances;
  {
    syncmap::rcu_map<std::uint64_t, counted> map;
    check_erase_if_during_lookups(map, 128, 128, 300);
  }
  CHECK(instances.leaked() == 0);
}

// clear() racing lookups; the sharded_map counterpart guards clear's exclusive shard lock.
TEST_CASE("clear racing lookups shows only stored values and ends empty", "[concurrency][clear]") {
  syncmap::rcu_map<std::uint64_t, std::uint64_t> map;
  check_clear_during_lookups(map, 512, 150);
}
