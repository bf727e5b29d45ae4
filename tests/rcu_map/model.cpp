// rcu_map against a std::unordered_map model: seeded random operation sequences over a small
// key space, every result and the final contents compared (support/random_ops.hpp). A failure
// prints the seed and the sequence up to the mismatch; SYNCMAP_RANDOM_SEED=<seed> replays it.
//
// rcu_map's state machine (Go's read/dirty split) has paths a plain random sequence reaches
// only by luck: a miss count reaching the dirty table's size promotes it; the first new key
// after a promotion rebuilds the dirty table, expunging deleted entries; a store to an
// expunged key unexpunges it under the lock. The long sequences below run on
// with_miss_bursts<rcu_map>, which adds bursts of lookups (absent keys and keys only the
// dirty table holds) between operations: lookups change nothing the model can see, but each
// one that falls through to the dirty table counts a miss, so promotions happen all along,
// and with them rebuilds, expunges and unexpunges. (Checked once with gcov: every one of those
// branches in rcu_core.hpp runs in this file.)
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "rcu_maps.hpp"
#include "support/catch.hpp"
#include "support/counted.hpp"
#include "support/random_ops.hpp"
#include "support/stress.hpp"
#include "support/throwing.hpp"

using namespace syncmap_test;

namespace {

// Map with bursts of lookups before some operations. The bursts are drawn from a generator
// seeded by the operation count, so a replayed seed replays them too.
template <class Map, std::size_t KeySpace>
class with_miss_bursts : public Map {
 public:
  using typename Map::key_type;
  using typename Map::mapped_type;

  with_miss_bursts() = default;

  // random_ops calls these with the key or its heterogeneous form; both are forwarded.
  template <class K>
  auto load(const K& key) const {
    burst();
    return Map::load(key);
  }
  template <class K>
  std::size_t erase(const K& key) {
    burst();
    return Map::erase(key);
  }
  template <class K, class V>
  bool store(K&& key, V&& value) {
    burst();
    return Map::store(std::forward<K>(key), std::forward<V>(value));
  }

 private:
  void burst() const {
    seeded_random random(++calls_ * 0x9E3779B97F4A7C15ull);
    if (!random.chance(3)) return;
    // Up to three times the key space: enough misses to reach any dirty table's size.
    const std::size_t length = 1 + random.below(3 * KeySpace);
    for (std::size_t i = 0; i < length; ++i) {
      // One key in four lies outside the model's key space: always absent.
      const std::size_t k = random.below(KeySpace + KeySpace / 4 + 1);
      (void)Map::contains(key_maker<key_type>::make(k));
    }
  }

  mutable std::uint64_t calls_ = 0;
};

template <class Map>
void check_random_sequences(std::uint64_t first_seed, std::size_t count,
                            const random_ops_options& options = {}) {
  const instance_check instances;
  const std::string failure = run_random_sequences<Map>(first_seed, scaled(count), options);
  if (!failure.empty()) FAIL(failure);
  CHECK(instances.leaked() == 0);
}

// Long sequences, few keys, few values: every operation kind many times per key, with
// promotions, rebuilds, expunges and unexpunges between them.
random_ops_options long_sequences() {
  random_ops_options options;
  options.operations = 1500;
  options.key_space = 6;
  options.value_space = 3;
  return options;
}

}  // namespace

TEST_CASE("random sequences match the model: uint64 keys", "[model]") {
  check_random_sequences<syncmap::rcu_map<std::uint64_t, std::uint64_t>>(1, 1500);
}

TEST_CASE("random sequences match the model: counted values, a larger key space", "[model]") {
  random_ops_options options;
  options.key_space = 200;
  options.operations = 400;
  options.value_space = 3;
  check_random_sequences<syncmap::rcu_map<std::uint64_t, counted>>(100000, 40, options);
}

TEST_CASE("random sequences match the model: string keys, string_view lookups",
          "[model][heterogeneous]") {
  using map = syncmap::rcu_map<std::string, counted, transparent_string_hash, std::equal_to<>>;
  static_assert(uses_heterogeneous_lookup_v<map>);
  check_random_sequences<map>(200000, 1500);
}

TEST_CASE("random sequences match the model: keys whose hashes all collide", "[model][collision]") {
  check_random_sequences<syncmap::rcu_map<colliding_key, counted>>(400000, 1500);
}

TEST_CASE("long sequences with miss bursts match the model: uint64 keys", "[model][promotion]") {
  using map = with_miss_bursts<syncmap::rcu_map<std::uint64_t, counted>, 6>;
  check_random_sequences<map>(500000, 150, long_sequences());
}

TEST_CASE("long sequences with miss bursts match the model: string keys, string_view lookups",
          "[model][promotion][heterogeneous]") {
  using map = with_miss_bursts<
      syncmap::rcu_map<std::string, counted, transparent_string_hash, std::equal_to<>>, 6>;
  static_assert(uses_heterogeneous_lookup_v<map>);
  check_random_sequences<map>(600000, 150, long_sequences());
}

TEST_CASE("long sequences with miss bursts match the model: colliding keys",
          "[model][promotion][collision]") {
  using map = with_miss_bursts<syncmap::rcu_map<colliding_key, counted>, 6>;
  check_random_sequences<map>(700000, 150, long_sequences());
}
