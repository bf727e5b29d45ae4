// Instructions per load hit, single thread, for valgrind --tool=callgrind (which counts
// instructions, so the result repeats exactly whatever else the machine is doing).
//   load_hit <map> <lookups>   map: rcu | sharded | absl (unsynchronized flat_hash_map) |
//                              none (draws and sums the probe keys, looks nothing up)
// scripts/callgrind_load_hit.sh runs it with N lookups and with 0 and divides the difference
// by N, so building and filling the map cancel out, then subtracts the same for `none`, so
// drawing the probes and the loop cancel out too: what remains is the lookup itself.
#include <syncmap/rcu_map.hpp>
#include <syncmap/sharded_map.hpp>

#include <absl/container/flat_hash_map.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s rcu|sharded|absl <lookups>\n", argv[0]);
    return 2;
  }
  const char* map = argv[1];
  const std::size_t lookups = std::strtoull(argv[2], nullptr, 10);
  const std::size_t key_count = std::size_t{1} << 16;
  std::mt19937_64 rng(7);
  std::vector<std::uint64_t> keys(key_count);
  for (auto& k : keys)
    k = rng();
  std::vector<std::uint64_t> probes(lookups);
  for (auto& p : probes)
    p = keys[rng() % key_count];

  std::uint64_t sum = 0;
  if (std::strcmp(map, "rcu") == 0) {
    syncmap::rcu_map<std::uint64_t, std::uint64_t> m;
    for (auto k : keys)
      m.store(k, k);
    for (int round = 0; round < 2; ++round) {
      for (auto k : keys)
        m.load(k);  // misses promote the dirty table: steady state
    }
    for (auto p : probes)
      sum += *m.load(p);
  } else if (std::strcmp(map, "sharded") == 0) {
    syncmap::sharded_map<std::uint64_t, std::uint64_t> m;
    for (auto k : keys)
      m.store(k, k);
    for (auto p : probes)
      sum += *m.load(p);
  } else if (std::strcmp(map, "none") == 0) {
    for (auto p : probes)
      sum += p;
  } else {
    absl::flat_hash_map<std::uint64_t, std::uint64_t> m;
    for (auto k : keys)
      m[k] = k;
    for (auto p : probes)
      sum += m.find(p)->second;
  }
  std::printf("%llu\n", static_cast<unsigned long long>(sum));
  return 0;
}
