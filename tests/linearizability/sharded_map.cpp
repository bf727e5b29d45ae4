// sharded_map: random concurrent histories are linearizable (histories.hpp drives them,
// support/linearizability.hpp checks them). Three configurations: the default lock and shard
// count; one shard, so every key shares one rw_spinlock; and std::shared_mutex with two
// shards. With one or two shards the threads contend on the same lock even when they touch
// different keys. A fourth run uses keys whose hashes all collide, so every key shares one
// shard and one probe sequence. Counts scale with SYNCMAP_STRESS_SCALE.
#include <cstdint>
#include <shared_mutex>

#include <syncmap/sharded_map.hpp>

#include "histories.hpp"
#include "support/catch.hpp"
#include "support/throwing.hpp"

using namespace syncmap_test::linearizability;

namespace {

template <class SharedMutex>
using map_with = syncmap::sharded_map<
    std::uint64_t, std::uint64_t, std::hash<std::uint64_t>, std::equal_to<std::uint64_t>,
    std::allocator<std::pair<const std::uint64_t, std::uint64_t>>, SharedMutex>;

constexpr std::size_t nominal_histories = 6000;

}  // namespace

TEST_CASE("sharded_map<rw_spinlock>, default shards: random histories are linearizable",
          "[linearizability][sharded_map]") {
  check_histories("sharded_map<rw_spinlock>, default shards", nominal_histories, 0x5a0000,
                  history_options{},
                  [] { return syncmap::sharded_map<std::uint64_t, std::uint64_t>(); });
}

TEST_CASE("sharded_map<rw_spinlock>, 1 shard: random histories are linearizable",
          "[linearizability][sharded_map]") {
  check_histories("sharded_map<rw_spinlock>, 1 shard", nominal_histories, 0x5a1000,
                  history_options{}, [] { return map_with<syncmap::rw_spinlock>(1); });
}

TEST_CASE("sharded_map<std::shared_mutex>, 2 shards: random histories are linearizable",
          "[linearizability][sharded_map]") {
  check_histories("sharded_map<std::shared_mutex>, 2 shards", nominal_histories, 0x5a2000,
                  history_options{}, [] { return map_with<std::shared_mutex>(2); });
}

TEST_CASE("sharded_map<rw_spinlock>, colliding keys: random histories are linearizable",
          "[linearizability][sharded_map][collision]") {
  check_histories(
      "sharded_map<rw_spinlock>, colliding keys", nominal_histories, 0x5a3000, history_options{},
      [] { return syncmap::sharded_map<syncmap_test::colliding_key, std::uint64_t>(); });
}
