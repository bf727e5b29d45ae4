// syncmap hygiene, translation unit B of two: see tests/hygiene/CMakeLists.txt. Both TUs
// write and read the same maps, from two threads at once, so any per-TU copy of what must be
// one per program (a registry, a thread-local record) is exercised from both sides.
#include <cstddef>
#include <cstdio>
#include <thread>

#include "odr.hpp"

namespace {

using syncmap_test::odr_rcu_map;
using syncmap_test::odr_sharded_map;

constexpr int key_count = 2000;

// Stores the upper half here (TU B) and reads back the lower half, which TU A stored.
bool store_and_check_in_b(odr_sharded_map& sharded, odr_rcu_map& rcu) {
  for (int key = key_count / 2; key < key_count; ++key) {
    sharded.store(key, 2 * key);
    rcu.store(key, 2 * key);
  }
  for (int key = 0; key < key_count / 2; ++key) {
    const auto in_sharded = sharded.load(key);
    const auto in_rcu = rcu.load(key);
    if (!in_sharded || *in_sharded != 2 * key || !in_rcu || *in_rcu != 2 * key) return false;
  }
  return true;
}

}  // namespace

int main() {
  odr_sharded_map sharded;
  odr_rcu_map rcu;
  // TU A fills its half first so that B's thread can read it while A's thread reads on.
  syncmap_test::store_in_a(sharded, rcu, 0, key_count / 2);

  bool b_ok = false;
  long long a_sharded_sum = 0;
  long long a_rcu_sum = 0;
  std::thread in_b([&] { b_ok = store_and_check_in_b(sharded, rcu); });
  std::thread in_a([&] {
    syncmap_test::store_in_a(sharded, rcu, 0, key_count / 2);  // overwrite, same values
    a_sharded_sum = syncmap_test::sum_in_a(sharded);
    a_rcu_sum = syncmap_test::sum_in_a(rcu);
  });
  in_b.join();
  in_a.join();

  // After both threads: every key k in [0, key_count) maps to 2k, whoever stored it.
  const long long expected = static_cast<long long>(key_count) * (key_count - 1);
  // for_each in TU A ran while TU B stored the upper half: it saw the whole lower half
  // (present throughout) and each key at most once.
  const long long lower_half = static_cast<long long>(key_count / 2) * (key_count / 2 - 1);
  const auto in_range = [&](long long sum) { return lower_half <= sum && sum <= expected; };
  const long long sharded_sum = syncmap_test::sum_in_a(sharded);
  const long long rcu_sum = syncmap_test::sum_in_a(rcu);
  const bool ok = b_ok && sharded_sum == expected && rcu_sum == expected &&
                  sharded.size() == std::size_t{key_count} &&
                  rcu.size() == std::size_t{key_count} && in_range(a_sharded_sum) &&
                  in_range(a_rcu_sum);
  std::printf("hygiene odr: %s (sharded sum %lld, rcu sum %lld, expected %lld)\n",
              ok ? "ok" : "FAILED", sharded_sum, rcu_sum, expected);
  return ok ? 0 : 1;
}
