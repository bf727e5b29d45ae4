#!/usr/bin/env bash
# Build and run syncmap's benchmarks, keep the JSON, print a markdown table of ratios.
#
#   bash scripts/bench.sh [--quick|--full|--memory] [-- <extra syncmap_bench flags>]
#
#   --quick   (default) 2^20 uint64 keys, 1/2/4 threads, all workloads and maps, memory; ~3 min
#   --full    also string keys, 2^10 keys and 8 threads; < 30 min
#   --memory  bytes per entry only
#
# Installs missing Debian packages (through scripts/install-deps.sh), configures the `bench`
# preset (build/bench, -O2 -DNDEBUG), builds syncmap_bench, runs it with JSON output to
# build/bench/results/<timestamp>.json, and renders build/bench/results/<timestamp>.md with
# scripts/bench_report.py. Every throughput cell is Mops/s and its ratio to
# std::unordered_map + std::mutex measured in the same run.
#
# Environment: SYNCMAP_BENCH_JOBS (build parallelism, default 2), CXX is ignored (the preset
# picks g++).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

mode=quick
extra=()
while (($#)); do
  case "$1" in
    --quick) mode=quick ;;
    --full) mode=full ;;
    --memory) mode=memory ;;
    -h | --help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    --)
      shift
      extra=("$@")
      break
      ;;
    *)
      echo "bench.sh: unknown argument '$1' (try --help)" >&2
      exit 2
      ;;
  esac
  shift
done

say() { printf '\n== %s\n' "$*" >&2; }

# --- dependencies --------------------------------------------------------------------------
# shellcheck disable=SC1091  # scripts/install-deps.sh defines need_packages, runs nothing
source scripts/install-deps.sh
need_packages g++ cmake make libbenchmark-dev libabsl-dev libtbb-dev libcuckoo-dev python3 \
  pkg-config

# --- configure and build ---------------------------------------------------------------------
build_dir=build/bench
jobs="${SYNCMAP_BENCH_JOBS:-2}"
if [[ -f CMakePresets.json ]] && cmake --list-presets 2>/dev/null | grep -q '"bench"'; then
  say "configuring: cmake --preset bench"
  cmake --preset bench >/dev/null
else
  say "configuring: cmake -S . -B $build_dir (no bench preset found)"
  cmake -S . -B "$build_dir" -DSYNCMAP_BUILD_BENCH=ON -DSYNCMAP_BUILD_TESTS=OFF \
    -DSYNCMAP_BUILD_EXAMPLES=OFF -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O2 -DNDEBUG" >/dev/null
fi
say "building syncmap_bench (-j$jobs)"
cmake --build "$build_dir" --target syncmap_bench -j "$jobs"

bench_exe="$build_dir/syncmap_bench"
[[ -x "$bench_exe" ]] || { echo "bench.sh: $bench_exe was not built" >&2; exit 1; }

# --- run ---------------------------------------------------------------------------------------
results_dir="$build_dir/results"
mkdir -p "$results_dir"
stamp="$(date +%Y%m%d-%H%M%S)"
json="$results_dir/$stamp.json"
report="$results_dir/$stamp.md"

git_rev="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
if [[ -n "$(git status --porcelain -- include bench 2>/dev/null)" ]]; then
  git_rev="$git_rev+uncommitted"
fi

say "running syncmap_bench --mode=$mode (results: $json)"
"$bench_exe" --mode="$mode" \
  --benchmark_out="$json" --benchmark_out_format=json \
  --benchmark_context="git=$git_rev,load_before_run=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' '/')" \
  "${extra[@]}"

# --- report ----------------------------------------------------------------------------------
python3 scripts/bench_report.py "$json" | tee "$report"
say "JSON: $json   table: $report"
