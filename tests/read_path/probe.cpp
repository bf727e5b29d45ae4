// The functions whose machine code the read-path test disassembles: rcu_map lookups of a key
// that is in the read table. Each is everything a hit executes, inlined into one function
// (slow paths are out-of-line calls), compiled at -O2 -DNDEBUG whatever the build type.
// flatten inlines every call that is not marked noinline, so what the check reads is the
// whole hit path whichever compiler's inlining heuristics are in force.
#include <syncmap/rcu_map.hpp>

#include <cstdint>
#include <optional>

using probe_map = syncmap::rcu_map<std::uint64_t, std::uint64_t>;

extern "C" SYNCMAP_NOINLINE __attribute__((flatten)) bool syncmap_probe_rcu_load(
    const probe_map& map, std::uint64_t key, std::uint64_t* out) {
  const std::optional<std::uint64_t> value = map.load(key);
  if (value) *out = *value;
  return value.has_value();
}

extern "C" SYNCMAP_NOINLINE __attribute__((flatten)) bool syncmap_probe_rcu_contains(
    const probe_map& map, std::uint64_t key) {
  return map.contains(key);
}
