// rcu_map: random concurrent histories are linearizable (histories.hpp drives them,
// support/linearizability.hpp checks them), starting from each place a key's entry can be
// before the threads start:
//   - dirty: keys stored (or stored and erased) after the last promotion, so lookups miss
//     the read table, take the mutex and count misses, which promote the dirty table part
//     way through the history;
//   - read: keys promoted to the read table by for_each, so loads and in-place writes take
//     the lock-free paths, and erased keys sit in the read table with no value or expunged;
//   - mixed: both kinds at once, plus keys never stored; once more with keys whose hashes
//     all collide.
// Counts scale with SYNCMAP_STRESS_SCALE.
#include <cstdint>

#include <syncmap/rcu_map.hpp>

#include "histories.hpp"
#include "support/catch.hpp"
#include "support/throwing.hpp"

using namespace syncmap_test::linearizability;

namespace {

using map_type = syncmap::rcu_map<std::uint64_t, std::uint64_t>;

constexpr std::size_t nominal_histories = 6000;

history_options with_routes(const std::vector<key_route>& routes) {
  history_options options;
  options.routes = routes;
  return options;
}

}  // namespace

TEST_CASE("rcu_map, keys in the dirty table: random histories are linearizable",
          "[linearizability][rcu_map]") {
  check_histories("rcu_map, dirty keys", nominal_histories, 0x7c0000, with_routes(dirty_routes()),
                  [] { return map_type(); });
}

TEST_CASE("rcu_map, keys in the read table: random histories are linearizable",
          "[linearizability][rcu_map]") {
  check_histories("rcu_map, read-table keys", nominal_histories, 0x7c1000,
                  with_routes(read_routes()), [] { return map_type(); });
}

TEST_CASE("rcu_map, keys in mixed states: random histories are linearizable",
          "[linearizability][rcu_map]") {
  check_histories("rcu_map, mixed keys", nominal_histories, 0x7c2000, with_routes(all_routes()),
                  [] { return map_type(); });
}

TEST_CASE("rcu_map, colliding keys in mixed states: random histories are linearizable",
          "[linearizability][rcu_map][collision]") {
  check_histories("rcu_map, colliding mixed keys", nominal_histories, 0x7c3000,
                  with_routes(all_routes()),
                  [] { return syncmap::rcu_map<syncmap_test::colliding_key, std::uint64_t>(); });
}
