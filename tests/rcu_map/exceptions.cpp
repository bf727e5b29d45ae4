// rcu_map exception safety: every throw point of every single-key operation and of every
// growth step, for a throwing hash, key equality, value copy/move, value equality and
// allocator; throwing callbacks; copy assignment; throws under concurrency. After each throw
// the contents are as before and the map works; in the end every value and every byte is
// returned (support/exception_checks.hpp, shared with sharded_map).
//
// rcu_map-specific: a promotion (publishing the dirty table as the read table) needs one
// allocation, a table header. When that fails, rcu_map skips the promotion instead of failing
// the lookup that triggered it (rcu_core.hpp, promote_locked); a later miss retries.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <new>
#include <string>
#include <utility>

#include "rcu_maps.hpp"
#include "support/allocators.hpp"
#include "support/catch.hpp"
#include "support/counted.hpp"
#include "support/exception_checks.hpp"
#include "support/throwing.hpp"

using namespace syncmap_test;

namespace {

// A value whose operator== can be made to throw: compare_and_swap and compare_and_delete
// compare the stored value with `expected` inside their read-modify-write.
fault_point value_equal_faults{"value equality"};

class throwing_equality_value {
 public:
  throwing_equality_value(std::uint64_t value = 0) noexcept : value_(value) {}
  std::uint64_t value() const noexcept { return value_.value(); }
  friend bool operator==(const throwing_equality_value& a, const throwing_equality_value& b) {
    value_equal_faults.hit();
    return a.value_ == b.value_;
  }

 private:
  counted value_;
};

// Stop-gap until tests/support/exception_checks.hpp can express it (see the report to the
// lead): rcu_map's copy constructor inserts everything into a dirty table and then promotes
// it. If the promotion's one allocation (the table header) fails, rcu_map skips the promotion
// and the copy is still complete and correct; but sweep() requires every fault that fired
// inside an operation to come out of it. This adapter reports such an absorbed failure the
// way a failed copy would: it throws std::bad_alloc, leaving the source untouched. Only
// copy construction and copy assignment change; single-key operations are checked as they are.
struct failure_armed_before_copy {
  bool armed = false;
};

template <class Map>
class copy_reports_absorbed_failure : private failure_armed_before_copy, public Map {
 public:
  using Map::Map;
  copy_reports_absorbed_failure() = default;
  copy_reports_absorbed_failure(copy_reports_absorbed_failure&&) = default;
  copy_reports_absorbed_failure& operator=(copy_reports_absorbed_failure&&) = default;
  ~copy_reports_absorbed_failure() = default;

  copy_reports_absorbed_failure(const copy_reports_absorbed_failure& other)
      : failure_armed_before_copy{other.get_allocator().stats().failure_pending()}, Map(other) {
    if (armed && !this->get_allocator().stats().failure_pending()) throw std::bad_alloc();
  }
  copy_reports_absorbed_failure& operator=(const copy_reports_absorbed_failure& other) {
    if (this != &other) {
      copy_reports_absorbed_failure copy(other);
      Map::swap(copy);
    }
    return *this;
  }
};

}  // namespace

TEST_CASE("a throwing hash leaves every operation without effect", "[exceptions]") {
  using map_type = syncmap::rcu_map<std::uint64_t, counted, throwing_hash<std::uint64_t>>;
  const instance_check instances;
  {
    map_type map;
    CHECK(check_single_key_strong_guarantee(map, faults_of(hash_faults)) > 0);
    map_type growing;
    // rcu_map re-hashes every key when it rebuilds the dirty table, so a growth step has
    // O(n) hash throw points and the sweep costs O(n^3): 100 keys keep it near a second.
    CHECK(check_growth_strong_guarantee(growing, faults_of(hash_faults), 100) > 0);
  }
  CHECK(instances.leaked() == 0);
}

TEST_CASE("bulk operations stay consistent when the hash or an allocation fails",
          "[exceptions][allocator]") {
  // Each bulk operation first has to promote a dirty table: with uint64 values the promoted
  // table keeps value copies and re-hashes every key (rcu_read_table.hpp), with counted
  // values it takes the dirty table over; both must fail cleanly.
  const instance_check instances;
  {
    syncmap::rcu_map<std::uint64_t, std::uint64_t, throwing_hash<std::uint64_t>> copies;
    CHECK(check_bulk_consistency(copies, faults_of(hash_faults)) > 0);
    syncmap::rcu_map<std::uint64_t, counted, throwing_hash<std::uint64_t>> boxes;
    CHECK(check_bulk_consistency(boxes, faults_of(hash_faults)) > 0);
  }
  allocation_stats stats(72);
  {
    using copy_alloc = counting_allocator<std::pair<const std::uint64_t, std::uint64_t>>;
    syncmap::rcu_map<std::uint64_t, std::uint64_t, std::hash<std::uint64_t>,
                     std::equal_to<std::uint64_t>, copy_alloc>
        copies{copy_alloc(stats)};
    CHECK(check_bulk_consistency(copies, faults_of(stats)) > 0);
    using box_alloc = counting_allocator<std::pair<const std::uint64_t, counted>>;
    syncmap::rcu_map<std::uint64_t, counted, std::hash<std::uint64_t>, std::equal_to<std::uint64_t>,
                     box_alloc>
        boxes{box_alloc(stats)};
    CHECK(check_bulk_consistency(boxes, faults_of(stats)) > 0);
  }
  CHECK(instances.leaked() == 0);
  INFO(stats.describe());
  CHECK(stats.balanced());
}

TEST_CASE("a hash that throws during a dirty-table rebuild leaves nothing behind",
          "[exceptions][promotion]") {
  // The first new key after a promotion rebuilds the dirty table from the read table,
  // re-hashing every key and expunging deleted entries as it goes. If a hash throws midway,
  // entries expunged so far must not stay expunged without a valid dirty table ([D2] in
  // rcu_core.hpp): a later store would revive one into a table that the next rebuild
  // replaces, losing that table's storage and the entry's reference (and with it the entry
  // and its value).
  using map_type = syncmap::rcu_map<std::uint64_t, counted, throwing_hash<std::uint64_t>>;
  std::size_t throws = 0;
  for (std::int64_t n = 1; n < 16; ++n) {  // hash #1 is store()'s own, then the rebuild's
    INFO("hash #" << n << " throws");
    const instance_check instances;
    {
      map_type map;
      for (std::uint64_t k = 0; k < 8; ++k)
        map.store(k, k);
      (void)map.snapshot();  // promote: keys 0..7 in the read table, no dirty table
      map.erase(1);          // deleted entries, expunged by the next rebuild
      map.erase(2);
      bool threw = false;
      {
        const armed_fault fault(hash_faults, n);
        try {
          map.store(100, 100);
        } catch (const injected_fault&) {
          threw = true;
        }
      }
      if (threw) {
        ++throws;
        CHECK_FALSE(map.contains(100));
      }
      CHECK(map.store(1, 11));              // revives a deleted entry, before any rebuild succeeds
      CHECK(map.store(100, 100) == threw);  // a new key (if it is new): a rebuild
      CHECK(map.store(200, 200));           // another new key
      CHECK(map.load(1) == counted(11));
      CHECK(map.load(100) == counted(100));
      CHECK(map.size() == 9);
    }
    CHECK(instances.leaked() == 0);
  }
  CHECK(throws > 1);
}

TEST_CASE("a throwing key equality leaves every operation without effect", "[exceptions]") {
  // With every hash colliding, each probe compares keys, so equality runs everywhere.
  using map_type = syncmap::rcu_map<std::uint64_t, counted, colliding_hash<std::uint64_t>,
                                    throwing_equal<std::uint64_t>>;
  const instance_check instances;
  {
    map_type map;
    CHECK(check_single_key_strong_guarantee(map, faults_of(equal_faults)) > 0);
    map_type growing;
    CHECK(check_growth_strong_guarantee(growing, faults_of(equal_faults), 60) > 0);
  }
  CHECK(instances.leaked() == 0);
}

TEST_CASE("a throwing value copy or move leaves every operation without effect", "[exceptions]") {
  using map_type = syncmap::rcu_map<std::uint64_t, throwing_value>;
  const instance_check instances;
  {
    map_type map;
    CHECK(check_single_key_strong_guarantee(map, faults_of(value_faults)) > 0);
    map_type growing;
    CHECK(check_growth_strong_guarantee(growing, faults_of(value_faults), 300) > 0);
  }
  CHECK(instances.leaked() == 0);
}

TEST_CASE(
    "a throwing value equality leaves compare_and_swap and compare_and_delete "
    "without effect",
    "[exceptions]") {
  using map_type = syncmap::rcu_map<std::uint64_t, throwing_equality_value>;
  const instance_check instances;
  {
    map_type map;
    for (std::uint64_t k = 0; k < 20; ++k)
      map.store(k, k);
    const fault_source source = faults_of(value_equal_faults);
    std::size_t throws = 0;
    throws += sweep(map, source, "compare_and_swap(equal)", 1,
                    [](map_type& m) { m.compare_and_swap(1, 1, 10); });
    throws += sweep(map, source, "compare_and_swap(unequal)", 2,
                    [](map_type& m) { m.compare_and_swap(2, 3, 20); });
    throws += sweep(map, source, "compare_and_delete(equal)", 4,
                    [](map_type& m) { m.compare_and_delete(4, 4); });
    throws += sweep(map, source, "compare_and_delete(unequal)", 5,
                    [](map_type& m) { m.compare_and_delete(5, 6); });
    CHECK(throws >= 4);
    CHECK(map.load(1) == throwing_equality_value(10));
    CHECK(map.load(2) == throwing_equality_value(2));
    CHECK_FALSE(map.contains(4));
    CHECK(map.load(5) == throwing_equality_value(5));
  }
  CHECK(instances.leaked() == 0);
}

TEST_CASE("allocation failure leaves every operation without effect", "[exceptions][allocator]") {
  using alloc_type = counting_allocator<std::pair<const std::uint64_t, counted>>;
  using map_type = copy_reports_absorbed_failure<syncmap::rcu_map<
      std::uint64_t, counted, std::hash<std::uint64_t>, std::equal_to<std::uint64_t>, alloc_type>>;
  const instance_check instances;
  allocation_stats stats(70);
  {
    map_type map{alloc_type(stats)};
    CHECK(check_single_key_strong_guarantee(map, faults_of(stats)) > 0);
    map_type growing{alloc_type(stats)};
    CHECK(check_growth_strong_guarantee(growing, faults_of(stats), 400) > 0);
  }
  CHECK(instances.leaked() == 0);
  INFO(stats.describe());
  CHECK(stats.balanced());
}

TEST_CASE("allocation failure at the n-th allocation of a map in use", "[exceptions][allocator]") {
  // The failure is armed once per n and lands wherever the n-th allocation happens: a value
  // box, an entry, a dirty-table rebuild or growth (the store throws and changes nothing), or
  // a promotion driven by the lookups in between (skipped; nothing throws).
  using alloc_type = counting_allocator<std::pair<const std::uint64_t, std::uint64_t>>;
  using map_type = syncmap::rcu_map<std::uint64_t, std::uint64_t, std::hash<std::uint64_t>,
                                    std::equal_to<std::uint64_t>, alloc_type>;
  allocation_stats stats(71);
  for (std::int64_t n = 1; n <= 40; ++n) {
    INFO("allocation #" << n << " fails");
    {
      map_type map{alloc_type(stats)};
      stats.fail_at(n);
      std::size_t failures = 0;
      for (std::uint64_t k = 0; k < 600; ++k) {
        const auto before = map.size();
        try {
          map.store(k, k);
        } catch (const std::bad_alloc&) {
          ++failures;
          REQUIRE(map.size() == before);
          REQUIRE_FALSE(map.contains(k));
          REQUIRE(map.store(k, k));  // and it works right after
        }
        // Lookups of keys only the dirty table holds: misses, then a promotion.
        if (k % 3 == 0) REQUIRE(map.load(k / 2) == k / 2);
        REQUIRE_FALSE(map.contains(k + 100000));
      }
      CHECK(failures <= 1);
      CHECK_FALSE(stats.failure_pending());  // the failure happened somewhere
      stats.fail_at(0);
      REQUIRE(map.size() == 600);
      for (std::uint64_t k = 0; k < 600; ++k)
        REQUIRE(map.load(k) == k);
    }
    CHECK(stats.balanced());
  }
}

TEST_CASE("a failed promotion is skipped: lookups succeed and a later miss promotes",
          "[exceptions][allocator][promotion]") {
  using alloc_type = counting_allocator<std::pair<const std::uint64_t, std::uint64_t>>;
  using map_type = syncmap::rcu_map<std::uint64_t, std::uint64_t, std::hash<std::uint64_t>,
                                    std::equal_to<std::uint64_t>, alloc_type>;
  allocation_stats stats(72);
  {
    map_type map{alloc_type(stats)};
    for (std::uint64_t k = 0; k < 8; ++k)
      map.store(k, k);  // all in the dirty table
    // Every allocation fails from now on, once per arming: re-arm after each lookup.
    std::size_t failed_promotions = 0;
    for (int round = 0; round < 64; ++round) {
      stats.fail_at(1);
      CHECK(map.load(static_cast<std::uint64_t>(round % 8)) ==
            static_cast<std::uint64_t>(round % 8));
      if (!stats.failure_pending()) ++failed_promotions;  // a lookup tried to promote
    }
    stats.fail_at(0);
    CHECK(failed_promotions > 0);
    // Allocation works again: the next promotion goes through, and after it the keys are in
    // the read table, so lookups allocate nothing more.
    for (int round = 0; round < 64; ++round)
      (void)map.load(static_cast<std::uint64_t>(round % 8));
    const std::uint64_t settled = stats.allocations();
    for (int round = 0; round < 64; ++round) {
      CHECK(map.load(static_cast<std::uint64_t>(round % 8)) ==
            static_cast<std::uint64_t>(round % 8));
    }
    CHECK(stats.allocations() == settled);
    CHECK(map.size() == 8);
  }
  CHECK(stats.balanced());
}

TEST_CASE("throwing callbacks leave single-key operations without effect", "[exceptions]") {
  const instance_check instances;
  {
    syncmap::rcu_map<std::uint64_t, counted> map;
    check_throwing_callbacks(map);
  }
  CHECK(instances.leaked() == 0);
}

TEST_CASE("a throwing copy assignment leaves the destination unchanged", "[exceptions]") {
  using alloc_type = counting_allocator<std::pair<const std::uint64_t, throwing_value>>;
  using map_type = copy_reports_absorbed_failure<
      syncmap::rcu_map<std::uint64_t, throwing_value, std::hash<std::uint64_t>,
                       std::equal_to<std::uint64_t>, alloc_type>>;
  const instance_check instances;
  allocation_stats stats(73);
  {
    map_type source{alloc_type(stats)};
    map_type target{alloc_type(stats)};
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

TEST_CASE("values that throw under concurrency: exactly the completed updates count",
          "[exceptions][concurrency]") {
  const instance_check instances;
  {
    syncmap::rcu_map<std::uint64_t, throwing_value> map;
    check_exceptions_under_concurrency(map, 10000);
  }
  CHECK(instances.leaked() == 0);
}
