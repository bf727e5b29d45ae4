// rcu_map against every single-threaded contract of API.md that both maps share
// (support/api_checks.hpp), one line each.
#include "rcu_maps.hpp"
#include "support/api_checks.hpp"
#include "support/catch.hpp"

using namespace syncmap_test;

// ---- insertion ----
TEST_CASE("store inserts or overwrites and says which", "[insert]") {
  check_store<rcu_maps>();
}
TEST_CASE("load_or_store keeps the existing value and says it loaded", "[insert]") {
  check_load_or_store<rcu_maps>();
}
TEST_CASE("load_or_store_with calls make only for an absent key", "[insert]") {
  check_load_or_store_with<rcu_maps>();
}
TEST_CASE("try_emplace constructs in place only when absent", "[insert]") {
  check_try_emplace<rcu_maps>();
}
TEST_CASE("exchange stores and returns the previous value", "[insert]") {
  check_exchange<rcu_maps>();
}
TEST_CASE("every operation works for a value without a default constructor", "[insert]") {
  check_value_without_default_constructor<rcu_maps>();
}

// ---- lookup ----
TEST_CASE("load and contains find exactly the stored keys", "[lookup]") {
  check_load_and_contains<rcu_maps>();
}
TEST_CASE("visit calls back with a const value only for a present key", "[lookup]") {
  check_visit<rcu_maps>();
}

// ---- read-modify-write ----
TEST_CASE("update changes a present value and never inserts", "[update]") {
  check_update<rcu_maps>();
}
TEST_CASE("upsert constructs when absent and applies f when present", "[update]") {
  check_upsert<rcu_maps>();
}
TEST_CASE("compare_and_swap swaps only an equal value", "[update]") {
  check_compare_and_swap<rcu_maps>();
}

// ---- erasure ----
TEST_CASE("erase removes a present key and reports 0 or 1", "[erase]") {
  check_erase<rcu_maps>();
}
TEST_CASE("load_and_delete removes and returns the value", "[erase]") {
  check_load_and_delete<rcu_maps>();
}
TEST_CASE("compare_and_delete removes only an equal value", "[erase]") {
  check_compare_and_delete<rcu_maps>();
}
TEST_CASE("erase_if(key, pred) removes only when pred holds", "[erase]") {
  check_erase_if_key<rcu_maps>();
}
TEST_CASE("erase_if(pred) removes every matching entry", "[erase]") {
  check_erase_if_all<rcu_maps>();
}
TEST_CASE("clear empties the map and it stays usable", "[erase]") {
  check_clear_then_reuse<rcu_maps>();
}

// ---- whole map ----
TEST_CASE("for_each visits each entry once and stops on false", "[whole_map]") {
  check_for_each<rcu_maps>();
}
TEST_CASE("snapshot is an independent copy of the contents", "[whole_map]") {
  check_snapshot<rcu_maps>();
}
TEST_CASE("size and empty track inserts, overwrites and erases", "[whole_map]") {
  check_size_and_empty<rcu_maps>();
}
TEST_CASE("operator== compares contents, not insertion order", "[whole_map]") {
  check_equality<rcu_maps>();
}
TEST_CASE("copy, move and swap keep contents and leak nothing", "[construct]") {
  check_copy_move_swap<rcu_maps>();
}
TEST_CASE("initializer-list and range construction, first duplicate wins", "[construct]") {
  check_list_and_range_construction<rcu_maps>();
}
