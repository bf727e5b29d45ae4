#!/usr/bin/env bash
# Build and run syncmap's benchmarks, keep the JSON, print a markdown table of ratios, draw plots.
#
#   bash scripts/bench.sh [--quick|--full|--memory] [--plots-to DIR | --no-plots]
#                         [-- <extra syncmap_bench flags>]
#
#   --quick   (default) 2^20 uint64 keys, 1/2/4 threads, every map; syncmap's workloads but
#             fill_reserve, and 4 of Go's sync.Map set; memory; about 3 minutes on 2 cores, Go
#             included
#   --full    also 2^10 uint64 keys, 2^20 string keys, 8 threads, fill_reserve, all 23 of
#             Go's set and callgrind's instructions per operation; < 30 min
#   --memory  heap bytes only (empty map; per entry at 2^10, 2^16, 2^20)
#   --plots-to DIR   write the PNG plots, a README.md naming machine and date, and the report
#             (report.md) to DIR, e.g. docs/bench; default build/bench/results/<timestamp>/
#   --no-plots       skip the plots
#
# Installs missing Debian packages (through scripts/install-deps.sh), configures the `bench`
# preset (build/bench, -O2 -DNDEBUG), builds syncmap_bench, runs it with JSON output to
# build/bench/results/<timestamp>.json (machine, compiler, flags, peer versions and git commit
# in its context), and renders build/bench/results/<timestamp>.md with scripts/bench_report.py.
# Every throughput cell is Mops/s and its ratio to std::unordered_map + std::mutex measured in
# the same run.
#
# When Go is available (golang-go is installed like the other packages; if that fails the Go
# part is skipped with one line), it also builds bench/go offline (GOPROXY=off, caches under
# build/bench) and runs it after the C++ benchmarks in quick and full mode (-mode=<mode>: the
# same workloads, threads and times): Go's sync.Map and map + sync.RWMutex on the same keys
# and streams, written to <timestamp>.go.json and merged into the same tables. Set
# SYNCMAP_BENCH_GO=0 to skip it.
#
# In full mode it also runs scripts/callgrind_ops.sh after the timed benchmarks: valgrind's
# instruction counts per load hit, load miss, store and upsert on one thread, for every map
# (about a minute; exact, so unaffected by the machine's load), written to
# <timestamp>.callgrind.md and added to the report. SYNCMAP_BENCH_CALLGRIND=0 skips it, =1
# runs it in quick mode too; if it fails (no valgrind) the report leaves it out with one line.
#
# Plots need gnuplot (Debian gnuplot-nox, installed when missing; without it the plots are
# skipped with one line): throughput against threads for each workload, one line per map, and
# a bar chart of bytes per entry.
#
# Environment: SYNCMAP_BENCH_JOBS (build parallelism, default 2), CXX is ignored (the preset
# picks g++).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
caller_dir="$PWD" # a relative --plots-to is relative to where the script was started
cd "$root"

mode=quick
extra=()
plots_dir=
plots=1
while (($#)); do
  case "$1" in
    --quick) mode=quick ;;
    --full) mode=full ;;
    --memory) mode=memory ;;
    --plots-to)
      [[ $# -ge 2 && -n $2 ]] || { echo "bench.sh: --plots-to needs a directory" >&2; exit 2; }
      plots_dir="$2"
      shift
      ;;
    --plots-to=*) plots_dir="${1#--plots-to=}" ;;
    --no-plots) plots=0 ;;
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

if ((plots)) && ! command -v gnuplot >/dev/null 2>&1; then
  # A subshell: need_packages exits when it cannot install, and the plots are optional.
  (need_packages gnuplot-nox) >/dev/null 2>&1 || true
  if ! command -v gnuplot >/dev/null 2>&1; then
    echo "bench.sh: skipping the plots (gnuplot-nox not installed and not installable)" >&2
    plots=0
  fi
fi

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
  go_args=(-mode="$mode" -out="$go_json")
  say "running bench/go -mode=$mode (results: $go_json)"
  if "$go_exe" "${go_args[@]}"; then
    merge=(--merge "$go_json")
  else
    echo "bench.sh: the Go benchmarks failed; the report leaves them out" >&2
  fi
fi

# --- instructions per operation (callgrind) ---------------------------------------------------
callgrind=()
callgrind_wanted=0
if [[ $mode == full || ($mode == quick && ${SYNCMAP_BENCH_CALLGRIND:-} == 1) ]]; then
  callgrind_wanted=1
fi
if [[ ${SYNCMAP_BENCH_CALLGRIND:-} == 0 ]]; then callgrind_wanted=0; fi
if ((callgrind_wanted)); then
  callgrind_md="$results_dir/$stamp.callgrind.md"
  say "running scripts/callgrind_ops.sh (results: $callgrind_md)"
  if bash scripts/callgrind_ops.sh --out "$callgrind_md" >/dev/null; then
    callgrind=(--callgrind "$callgrind_md")
  else
    echo "bench.sh: scripts/callgrind_ops.sh failed; the report leaves it out" >&2
  fi
fi

# --- report ----------------------------------------------------------------------------------
plot_args=()
if ((plots)); then
  if [[ -n $plots_dir && $plots_dir != /* ]]; then plots_dir="$caller_dir/$plots_dir"; fi
  plots_dir="${plots_dir:-$results_dir/$stamp}"
  plot_args=(--plots "$plots_dir")
fi
python3 scripts/bench_report.py "$json" "${merge[@]}" "${callgrind[@]}" "${plot_args[@]}" |
  tee "$report"
say "JSON: $json   table: $report${plot_args:+   plots: $plots_dir/README.md}"
