#!/usr/bin/env bash
# Instructions per operation, single thread, counted by valgrind's callgrind: exact, so
# repeatable on a noisy machine. Four operations (load hit, load miss, store overwriting a
# present key, upsert(+1) of a present key) on every map of bench/maps.hpp that builds here,
# through syncmap_bench's adapters, on 2^16 seeded uint64 keys (bench/callgrind/ops.cpp).
# syncmap's maps are measured twice: as shipped, and with the opt-in statistics
# (SYNCMAP_STATS=1), whose cost is the difference.
#
#   bash scripts/callgrind_ops.sh [--out FILE]
#
# Prints a markdown table (a row per map, a column per operation; each cell instructions per
# operation and the ratio to the unsynchronized absl::flat_hash_map) and writes it to FILE
# (default build/callgrind-ops/ops.md). Builds into build/callgrind-ops. Each cell is
# (count(N) - count(0)) / N for N operations, minus the same for a loop that draws and walks
# the keys without calling a map: filling the map, drawing the keys and the loop cancel out.
# Needs g++, valgrind, Abseil and Google Benchmark (maps.hpp uses its DoNotOptimize), installed
# when missing; oneTBB and libcuckoo are optional (skipped with one line). About a minute.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
caller_dir="$PWD"
cd "$root"

out_file=
while (($#)); do
  case "$1" in
    --out)
      [[ $# -ge 2 && -n $2 ]] || { echo "callgrind_ops.sh: --out needs a file" >&2; exit 2; }
      out_file="$2"
      shift
      ;;
    --out=*) out_file="${1#--out=}" ;;
    -h | --help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *)
      echo "callgrind_ops.sh: unknown argument '$1' (try --help)" >&2
      exit 2
      ;;
  esac
  shift
done
if [[ -n $out_file && $out_file != /* ]]; then out_file="$caller_dir/$out_file"; fi

# shellcheck source=SCRIPTDIR/install-deps.sh
source scripts/install-deps.sh
need_packages g++ valgrind libabsl-dev libbenchmark-dev pkg-config

build=build/callgrind-ops
out_file="${out_file:-$root/$build/ops.md}"
mkdir -p "$build" "$(dirname "$out_file")"

# The peers: compiled in when their Debian package is installed (or installable).
peers=(-DSYNCMAP_BENCH_HAVE_ABSL=1)
libs=(absl_flat_hash_map absl_hash)
notes=()
optional_peer() { # package macro display [pkg-config module]
  # A subshell: need_packages exits when it cannot install, and the peers are optional.
  (need_packages "$1") >/dev/null 2>&1 || true
  if syncmap_package_installed "$1"; then
    peers+=("-D$2=1")
    if [[ -n ${4:-} ]]; then libs+=("$4"); fi
  else
    echo "callgrind_ops.sh: skipping $3 ($1 not installed and not installable)" >&2
    notes+=("- Skipped: $3 ($1 not installed).")
  fi
}
optional_peer libtbb-dev SYNCMAP_BENCH_HAVE_TBB tbb::concurrent_hash_map tbb
optional_peer libcuckoo-dev SYNCMAP_BENCH_HAVE_LIBCUCKOO libcuckoo::cuckoohash_map

cxx=(g++ -std=c++17 -O2 -DNDEBUG -Iinclude -Ibench)
mapfile -t link < <(pkg-config --libs "${libs[@]}" | tr ' ' '\n' | sed '/^$/d')
link+=(-lbenchmark -pthread)
echo "callgrind_ops.sh: building $build/ops and $build/ops_stats" >&2
"${cxx[@]}" "${peers[@]}" bench/callgrind/ops.cpp -o "$build/ops" "${link[@]}"
# The statistics build needs syncmap's maps only.
"${cxx[@]}" -DSYNCMAP_STATS=1 bench/callgrind/ops.cpp -o "$build/ops_stats" -lbenchmark -pthread

count=200000
collected=
instructions() { # binary args...: sets $collected to the instructions callgrind counted
  local log
  if ! log=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1); then
    printf 'callgrind_ops.sh: failed: %s\n%s\n' "$*" "$log" >&2
    exit 1
  fi
  collected=$(sed -n 's/.*Collected : \([0-9]*\).*/\1/p' <<<"$log")
  [[ -n $collected ]] || { echo "callgrind_ops.sh: no count from: $*" >&2; exit 1; }
}
per_op=
measure() { # binary map op: sets $per_op to instructions per operation, setup removed
  local with
  instructions "$1" "$2" "$3" "$count"
  with=$collected
  instructions "$1" "$2" "$3" 0
  per_op=$(awk -v a="$with" -v b="$collected" -v n="$count" 'BEGIN { print (a - b) / n }')
}

ops=(load_hit load_miss store upsert)
declare -A cost name
rows=()
measure_all() { # binary row-suffix label-suffix map...
  local binary=$1 suffix=$2 label=$3 map op loop
  shift 3
  for op in "${ops[@]}"; do
    measure "$binary" none "$op"
    loop=$per_op
    for map in "$@"; do
      measure "$binary" "$map" "$op"
      cost[$map$suffix/$op]=$(awk -v a="$per_op" -v b="$loop" 'BEGIN { print a - b }')
    done
  done
  for map in "$@"; do
    rows+=("$map$suffix")
    name[$map$suffix]="\`$(sed -n "s/^$map //p" <<<"$all_maps")\`$label"
  done
}

all_maps=$("$build/ops" list)
mapfile -t maps < <(cut -d' ' -f1 <<<"$all_maps")
floor=${maps[0]}
echo "callgrind_ops.sh: ${#maps[@]} maps x ${#ops[@]} operations, $count each" >&2
measure_all "$build/ops" "" "" "${maps[@]}"
stats_maps=()
for map in sharded_map rcu_map; do
  if [[ " ${maps[*]} " == *" $map "* ]]; then stats_maps+=("$map"); fi
done
if ((${#stats_maps[@]})); then
  echo "callgrind_ops.sh: ${stats_maps[*]} with SYNCMAP_STATS=1" >&2
  measure_all "$build/ops_stats" "+stats" ", SYNCMAP_STATS=1" "${stats_maps[@]}"
fi

{
  echo "| map | load hit | load miss | store (overwrite) | upsert(+1) |"
  echo "|---|---:|---:|---:|---:|"
  for row in "${rows[@]}"; do
    line="| ${name[$row]} |"
    for op in "${ops[@]}"; do
      line+=$(awk -v n="${cost[$row/$op]}" -v a="${cost[$floor/$op]}" \
        'BEGIN { printf " %.0f (%.2fx) |", n, n / a }')
    done
    echo "$line"
  done
  if ((${#notes[@]})); then
    echo
    printf '%s\n' "${notes[@]}"
  fi
} | tee "$out_file"
echo "callgrind_ops.sh: table written to $out_file" >&2
