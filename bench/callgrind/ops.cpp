// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// Instructions per operation, single thread, for valgrind --tool=callgrind (which counts
// instructions, so the result repeats exactly whatever else the machine is doing). Every map
// of bench/maps.hpp that this build compiles in, through the same adapters syncmap_bench
// times, on 2^16 seeded uint64 keys (keys.hpp's hits, and its misses for load_miss):
//   ops list                      one line per map: "<id> <name>", the unsynchronized floor
//                                 first, then maps.hpp's column order
//   ops <map id> <op> <count>     fills the map with every key, settles it, then runs <count>
//                                 operations on uniformly drawn keys; op: load_hit | load_miss |
//                                 store (overwrite of a present key) | upsert (+1 on a present
//                                 key)
//   ops none <op> <count>         draws and walks the same keys, calls no map
// scripts/callgrind_ops.sh runs each with N operations and with 0 and divides the difference
// by N, so building and filling the map cancel out, then subtracts the same for `none`, so
// drawing the keys and the loop cancel out too: what remains is the operation itself.
//
// Every run first checks a few hits and misses (the same work for every count, so it cancels
// too) and exits with status 1 if a map gets one wrong.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "keys.hpp"
#include "maps.hpp"

namespace syncmap_bench {
namespace {

using key = std::uint64_t;
constexpr std::size_t key_count = std::size_t{1} << 16;
constexpr std::size_t checked_keys = 64;

enum class op { load_hit, load_miss, store, upsert };

struct op_info {
  const char* id;
  op which;
};
constexpr op_info ops[] = {
    {"load_hit", op::load_hit},
    {"load_miss", op::load_miss},
    {"store", op::store},
    {"upsert", op::upsert},
};

// `count` keys drawn uniformly from the misses for load_miss, else from the hits; the same
// for every map.
std::vector<key> probes(const key_set<key>& keys, op which, std::size_t count) {
  const std::vector<key>& from = which == op::load_miss ? keys.misses : keys.hits;
  random_source rng(derive_seed(0xCA11, static_cast<std::uint64_t>(which)));
  std::vector<key> out(count);
  for (auto& p : out)
    p = from[rng.below(from.size())];
  return out;
}

// The measured loop. flatten inlines the adapter and whatever the map inlines into it, as a
// direct call of the map in user code would be; without it GCC keeps some adapters' load out
// of line, and the call, register saves and return would count as part of the operation.
// (Functions the library marks noinline, its slow paths, stay calls.)
template <class Map>
[[gnu::flatten]] void loop(Map& map, op which, const std::vector<key>& probes) {
  switch (which) {
    case op::load_hit:
    case op::load_miss:
      for (const key p : probes)
        map.load(p);
      break;
    case op::store:
      for (const key p : probes)
        map.store(p, p);
      break;
    case op::upsert:
      for (const key p : probes)
        map.upsert_add(p, 1);
      break;
  }
}

template <class Map>
bool run(op which, const key_set<key>& keys, const std::vector<key>& probes) {
  Map map;
  for (const key k : keys.hits)
    map.store(k, k);
  settle(map);  // rcu_map promotes its dirty table, as in syncmap_bench
  for (std::size_t i = 0; i < checked_keys; ++i) {
    if (!map.load(keys.hits[i]) || map.load(keys.misses[i])) return false;
  }
  loop(map, which, probes);
  return true;
}

// The unsynchronized floor first, then the others in for_each_map()'s order.
template <class F>
void for_each_map_floor_first(F&& f) {
  for_each_map([&](auto tag) {
    if (is_read_only_floor<typename decltype(tag)::template type<key>>::value) f(tag);
  });
  for_each_map([&](auto tag) {
    if (!is_read_only_floor<typename decltype(tag)::template type<key>>::value) f(tag);
  });
}

int usage(const char* self) {
  std::fprintf(stderr,
               "usage: %s list\n"
               "       %s <map id>|none load_hit|load_miss|store|upsert <count>\n",
               self, self);
  return 2;
}

int main(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], "list") == 0) {
    for_each_map_floor_first([](auto tag) {
      using map = typename decltype(tag)::template type<key>;
      // Here the floor also stores and upserts, on one thread: it is the unsynchronized cost.
      const char* name =
          is_read_only_floor<map>::value ? "absl::flat_hash_map, no lock (floor)" : map::name();
      std::printf("%s %s\n", map::id(), name);
    });
    return 0;
  }
  if (argc != 4) return usage(argv[0]);
  const char* map_id = argv[1];
  const op_info* info = nullptr;
  for (const op_info& o : ops) {
    if (std::strcmp(argv[2], o.id) == 0) info = &o;
  }
  if (info == nullptr) return usage(argv[0]);
  const std::size_t count = std::strtoull(argv[3], nullptr, 10);

  const key_set<key> keys(key_count);
  const std::vector<key> stream = probes(keys, info->which, count);
  if (std::strcmp(map_id, "none") == 0) {
    for (const key p : stream)
      keep(p);
    return 0;
  }
  bool found = false;
  bool ok = true;
  for_each_map([&](auto tag) {
    using map = typename decltype(tag)::template type<key>;
    if (found || std::strcmp(map_id, map::id()) != 0) return;
    found = true;
    ok = run<map>(info->which, keys, stream);
  });
  if (!found) {
    std::fprintf(stderr, "%s: no map '%s' in this build (see `%s list`)\n", argv[0], map_id,
                 argv[0]);
    return 2;
  }
  if (!ok) {
    std::fprintf(stderr, "%s: %s got a hit or a miss wrong\n", argv[0], map_id);
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace syncmap_bench

int main(int argc, char** argv) {
  return syncmap_bench::main(argc, argv);
}
