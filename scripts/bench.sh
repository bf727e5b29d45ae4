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
# When Go is available (golang-go is installed like the other packages; if that fails the Go
# part is skipped with one line), it also builds bench/go offline (GOPROXY=off, caches under
# build/bench) and runs it after the C++ benchmarks in quick and full mode: Go's sync.Map and
# map + sync.RWMutex on the same keys and streams, written to <timestamp>.go.json and merged
# into the same tables. Set SYNCMAP_BENCH_GO=0 to skip it.
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

go_wanted=0
if [[ $mode != memory && ${SYNCMAP_BENCH_GO:-1} != 0 ]]; then
  go_wanted=1
  if ! command -v go >/dev/null 2>&1; then
    # A subshell: need_packages exits when it cannot install, and Go is optional.
    (need_packages golang-go) >/dev/null 2>&1 || true
    if ! command -v go >/dev/null 2>&1; then
      echo "bench.sh: skipping the Go benchmarks (golang-go not installed and not installable)" >&2
      go_wanted=0
    fi
  fi
fi

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

go_exe="$root/$build_dir/syncmap_bench_go"
if ((go_wanted)); then
  say "building bench/go (offline)"
  mkdir -p "$build_dir/go-cache" "$build_dir/go-path"
  if ! (cd bench/go && GOFLAGS=-mod=mod GOPROXY=off GOTOOLCHAIN=local \
    GOCACHE="$root/$build_dir/go-cache" GOPATH="$root/$build_dir/go-path" \
    go build -o "$go_exe" .); then
    echo "bench.sh: skipping the Go benchmarks (bench/go did not build)" >&2
    go_wanted=0
  fi
fi

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

merge=()
if ((go_wanted)); then
  go_json="$results_dir/$stamp.go.json"
  go_args=(-out="$go_json")
  if [[ $mode == full ]]; then go_args+=("-threads=1,2,4,8" -min_time=0.2); fi
  say "running bench/go (results: $go_json)"
  if "$go_exe" "${go_args[@]}"; then
    merge=(--merge "$go_json")
  else
    echo "bench.sh: the Go benchmarks failed; the report leaves them out" >&2
  fi
fi

# --- report ----------------------------------------------------------------------------------
python3 scripts/bench_report.py "$json" "${merge[@]}" | tee "$report"
say "JSON: $json   table: $report"
