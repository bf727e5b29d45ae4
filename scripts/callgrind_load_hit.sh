#!/usr/bin/env bash
# Instructions per load hit (single thread) for rcu_map, sharded_map and an unsynchronized
# absl::flat_hash_map, counted by valgrind's callgrind: repeatable on a noisy machine.
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
lookups=200000
count() {
  valgrind --tool=callgrind --callgrind-out-file=/dev/null "$out/load_hit" "$1" "$2" 2>&1 |
    sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
declare -A per_load
for map in none absl sharded rcu; do
  with=$(count "$map" "$lookups")
  without=$(count "$map" 0)
  per_load[$map]=$(((with - without) / lookups))
done
# `none` draws and sums the probes without looking them up: the loop's own cost.
for map in absl sharded rcu; do
  per_load[$map]=$((per_load[$map] - per_load[none]))
done
echo "| map | instructions per load hit | vs absl::flat_hash_map (no lock) |"
echo "|---|---:|---:|"
for map in absl sharded rcu; do
  awk -v m="$map" -v n="${per_load[$map]}" -v a="${per_load[absl]}" \
    'BEGIN { printf "| %s | %d | %.2fx |\n", m, n, n / a }'
done
