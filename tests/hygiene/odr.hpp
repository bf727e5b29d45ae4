// syncmap hygiene: what odr_a.cpp offers odr_b.cpp. Both translation units include all of
// syncmap and instantiate the same map members; the maps cross between them.
#ifndef SYNCMAP_TESTS_HYGIENE_ODR_HPP
#define SYNCMAP_TESTS_HYGIENE_ODR_HPP

#include <syncmap/syncmap.hpp>

namespace syncmap_test {

using odr_sharded_map = syncmap::sharded_map<int, int>;
using odr_rcu_map = syncmap::rcu_map<int, int>;

// Defined in odr_a.cpp: stores key -> 2 * key for every key in [first, last) in both maps.
void store_in_a(odr_sharded_map& sharded, odr_rcu_map& rcu, int first, int last);

// Defined in odr_a.cpp: the sum of all values, visited with for_each, in each map.
long long sum_in_a(const odr_sharded_map& sharded);
long long sum_in_a(const odr_rcu_map& rcu);

}  // namespace syncmap_test

#endif  // SYNCMAP_TESTS_HYGIENE_ODR_HPP
