// syncmap hygiene, translation unit A of two: see tests/hygiene/CMakeLists.txt.
#include "odr.hpp"

namespace syncmap_test {

void store_in_a(odr_sharded_map& sharded, odr_rcu_map& rcu, int first, int last) {
  for (int key = first; key < last; ++key) {
    sharded.store(key, 2 * key);
    rcu.store(key, 2 * key);
  }
}

long long sum_in_a(const odr_sharded_map& sharded) {
  long long sum = 0;
  sharded.for_each([&sum](const int&, const int& value) { sum += value; });
  return sum;
}

long long sum_in_a(const odr_rcu_map& rcu) {
  long long sum = 0;
  rcu.for_each([&sum](const int&, const int& value) { sum += value; });
  return sum;
}

}  // namespace syncmap_test
