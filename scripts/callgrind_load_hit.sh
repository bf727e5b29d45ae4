#!/usr/bin/env bash
# Instructions per load hit (single thread) for rcu_map, sharded_map and an unsynchronized
# absl::flat_hash_map, counted by valgrind's callgrind: repeatable on a noisy machine. The
# syncmap maps are measured twice: as shipped, and with the opt-in statistics
# (SYNCMAP_STATS=1), whose cost is the difference.
#   bash scripts/callgrind_load_hit.sh
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=SCRIPTDIR/install-deps.sh
source scripts/install-deps.sh
need_packages g++ valgrind libabsl-dev pkg-config
out=build/callgrind
mkdir -p "$out"
# shellcheck disable=SC2046
g++ -std=c++17 -O2 -DNDEBUG -Iinclude bench/callgrind/load_hit.cpp -o "$out/load_hit" \
  $(pkg-config --libs absl_flat_hash_map absl_hash) -pthread
# shellcheck disable=SC2046
g++ -std=c++17 -O2 -DNDEBUG -DSYNCMAP_STATS=1 -Iinclude bench/callgrind/load_hit.cpp \
  -o "$out/load_hit_stats" $(pkg-config --libs absl_flat_hash_map absl_hash) -pthread
lookups=200000
count() { # binary map lookups
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" "$2" "$3" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
per_load() { # binary map: instructions per lookup, minus the loop's own cost
  local with without
  with=$(count "$1" "$2" "$lookups")
  without=$(count "$1" "$2" 0)
  echo $(((with - without) / lookups))
}
# `none` draws and sums the probes without looking them up: the loop's own cost.
loop=$(per_load "$out/load_hit" none)
declare -A off on
for map in absl sharded rcu; do
  off[$map]=$(($(per_load "$out/load_hit" "$map") - loop))
done
for map in sharded rcu; do
  on[$map]=$(($(per_load "$out/load_hit_stats" "$map") - loop))
done
on[absl]=${off[absl]}
echo "| map | instructions per load hit | vs absl::flat_hash_map (no lock) | with SYNCMAP_STATS=1 |"
echo "|---|---:|---:|---:|"
for map in absl sharded rcu; do
  awk -v m="$map" -v n="${off[$map]}" -v a="${off[absl]}" -v s="${on[$map]}" \
    'BEGIN { printf "| %s | %d | %.2fx | %d |\n", m, n, n / a, s }'
done
