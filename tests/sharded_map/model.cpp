// sharded_map against a std::unordered_map model: thousands of seeded random operation
// sequences over a small key space, every result and the final contents compared
// (support/random_ops.hpp). A failure prints the seed and the sequence up to the mismatch.
#include <cstdint>
#include <string>

#include "sharded_maps.hpp"
#include "support/catch.hpp"
#include "support/counted.hpp"
#include "support/random_ops.hpp"
#include "support/stress.hpp"
#include "support/throwing.hpp"

using namespace syncmap_test;

namespace {

// Half of the sequences run on a single-shard map, where every key shares one table, so
// growth, probing and deletion inside one table are exercised as much as sharding.
template <class Map>
void check_random_sequences(std::uint64_t first_seed, const random_ops_options& options = {}) {
  const std::size_t count = scaled(1500);
  const instance_check instances;
  std::string failure =
      run_random_sequences<Map>(first_seed, count / 2 + 1, options, [] { return Map(); });
  if (failure.empty()) {
    failure = run_random_sequences<Map>(first_seed + count, count / 2 + 1, options,
                                        [] { return Map(1); });
  }
  if (!failure.empty()) FAIL(failure);
  CHECK(instances.leaked() == 0);
}

}  // namespace

TEMPLATE_LIST_TEST_CASE("random sequences match the model: uint64 keys", "[model]",
                        sharded_map_families) {
  check_random_sequences<typename TestType::template map<std::uint64_t, std::uint64_t>>(1);
}

TEMPLATE_LIST_TEST_CASE("random sequences match the model: a larger key space", "[model]",
                        sharded_map_families) {
  random_ops_options options;
  options.key_space = 200;
  options.operations = 400;
  options.value_space = 3;
  using map = typename TestType::template map<std::uint64_t, counted>;
  const instance_check instances;
  const std::string failure =
      run_random_sequences<map>(100000, scaled(40), options, [] { return map(1); });
  if (!failure.empty()) FAIL(failure);
  CHECK(instances.leaked() == 0);
}

TEMPLATE_LIST_TEST_CASE("random sequences match the model: string keys, string_view lookups",
                        "[model][heterogeneous]", sharded_map_families) {
  using map = typename TestType::template map<std::string, counted, transparent_string_hash,
                                              std::equal_to<>>;
  static_assert(uses_heterogeneous_lookup_v<map>);
  check_random_sequences<map>(200000);
}

TEMPLATE_LIST_TEST_CASE("random sequences match the model: string keys, no transparency", "[model]",
                        sharded_map_families) {
  check_random_sequences<typename TestType::template map<std::string, std::uint64_t>>(300000);
}

TEMPLATE_LIST_TEST_CASE("random sequences match the model: keys whose hashes all collide",
                        "[model][collision]", sharded_map_families) {
  check_random_sequences<typename TestType::template map<colliding_key, counted>>(400000);
}
