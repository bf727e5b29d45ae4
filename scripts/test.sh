#!/usr/bin/env bash
# syncmap's test command: builds and runs every test in each CI configuration.
#
#   bash scripts/test.sh              legs dev, asan, tsan, clang20, release (in that order)
#   bash scripts/test.sh --quick      the dev leg only
#   bash scripts/test.sh tsan asan    the named legs (any preset in CMakePresets.json)
#   bash scripts/test.sh fuzz         libFuzzer (tests/fuzz): builds only the fuzz targets,
#                                     fuzzes each for SYNCMAP_FUZZ_SECONDS; not a default leg
#
# Each leg is one preset, run exactly as a developer would reproduce it:
#   cmake --preset X && cmake --build --preset X -j$(nproc) && ctest --preset X -j2
# Missing Debian packages are installed first (scripts/install-deps.sh). Prints one summary
# line per leg (tests, wall time, and CPU time, which is what a dedicated runner needs) and
# closes with "N passed, N failed" (tests; a leg that does not configure or build counts as
# one failure). Exits non-zero if anything failed.
#
# Environment: SYNCMAP_STRESS_SCALE multiplies stress-test iterations (default 1) and reaches
# the tests through ctest; SYNCMAP_BUILD_JOBS overrides the build parallelism ($(nproc));
# SYNCMAP_FUZZ_SECONDS sets the fuzz leg's time per target (default 60, two targets at once).
# Logs: build/<leg>/configure.log, build.log, ctest.log.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root" || exit 1

legs=()
for argument in "$@"; do
  case "$argument" in
    --quick) legs=(dev) ;;
    -h | --help)
      sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    -*)
      echo "test.sh: unknown option '$argument' (try --help)" >&2
      exit 2
      ;;
    *) legs+=("$argument") ;;
  esac
done
((${#legs[@]})) || legs=(dev asan tsan clang20 release)

# shellcheck source=SCRIPTDIR/install-deps.sh
source scripts/install-deps.sh
need_packages "${syncmap_test_packages[@]}" || exit 1

build_jobs="${SYNCMAP_BUILD_JOBS:-$(nproc)}"
echo "syncmap tests: legs ${legs[*]}; build -j$build_jobs; ctest -j2;" \
  "SYNCMAP_STRESS_SCALE=${SYNCMAP_STRESS_SCALE:-1}"

duration() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }

# Sets cpu_seconds to the CPU time (user + system) used so far by this script's finished
# children: on a shared machine a leg's wall time says little, its CPU time says what a
# dedicated runner needs. (Not a $(...) function: `times` in a subshell sees no children.)
cpu_seconds=0
measure_cpu() {
  local times_file
  times_file=$(mktemp)
  times >"$times_file"
  cpu_seconds=$(awk 'NR == 2 {
      total = 0
      for (i = 1; i <= 2; ++i) { split($i, part, "m"); total += part[1] * 60 + part[2] }
      printf "%d\n", total
    }' "$times_file")
  rm -f "$times_file"
}

total_passed=0
total_failed=0
summary=()
for leg in "${legs[@]}"; do
  echo
  echo "==== $leg"
  leg_start=$SECONDS
  measure_cpu
  leg_cpu_start=$cpu_seconds
  build_dir="build/$leg"
  mkdir -p "$build_dir"

  if ! cmake --preset "$leg" >"$build_dir/configure.log" 2>&1; then
    tail -n 50 "$build_dir/configure.log"
    summary+=("$(printf '%-8s FAILED to configure (%s)' "$leg" "$build_dir/configure.log")")
    total_failed=$((total_failed + 1))
    continue
  fi
  if ! cmake --build --preset "$leg" -j"$build_jobs" >"$build_dir/build.log" 2>&1; then
    grep -E -B2 -A12 'error|Error' "$build_dir/build.log" | head -n 150
    summary+=("$(printf '%-8s FAILED to build (%s)' "$leg" "$build_dir/build.log")")
    total_failed=$((total_failed + 1))
    continue
  fi
  build_seconds=$((SECONDS - leg_start))

  ctest_command=(ctest --preset "$leg" --output-on-failure -j2)
  "${ctest_command[@]}" 2>&1 | tee "$build_dir/ctest.log"
  # ThreadSanitizer cannot map its shadow memory on kernels with high ASLR entropy
  # (vm.mmap_rnd_bits > 28); without address randomization it can. Retry the leg that way.
  if grep -q 'unexpected memory mapping' "$build_dir/ctest.log"; then
    echo "---- $leg: ThreadSanitizer could not map its memory; rerunning with setarch -R"
    setarch "$(uname -m)" -R "${ctest_command[@]}" 2>&1 | tee "$build_dir/ctest.log"
  fi

  results=$(grep -Eo '[0-9]+ tests failed out of [0-9]+' "$build_dir/ctest.log" | tail -n 1)
  if [[ $results =~ ^([0-9]+)\ tests\ failed\ out\ of\ ([0-9]+)$ ]]; then
    failed=${BASH_REMATCH[1]}
    passed=$((BASH_REMATCH[2] - failed))
  else
    passed=0
    failed=1 # ctest found no tests or died before its summary
  fi
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  status=ok
  ((failed == 0)) || status=FAILED
  measure_cpu
  summary+=("$(printf '%-8s %-6s %4d passed, %3d failed   %s (build %s), CPU %s' "$leg" \
    "$status" "$passed" "$failed" "$(duration $((SECONDS - leg_start)))" \
    "$(duration "$build_seconds")" "$(duration $((cpu_seconds - leg_cpu_start)))")")
  if ((failed)); then
    while IFS= read -r line; do summary+=("           $line"); done < <(
      sed -n '/The following tests FAILED:/,$p' "$build_dir/ctest.log" | grep -E '^\s+[0-9]+ - ')
  fi
done

echo
echo "==== summary"
printf '%s\n' "${summary[@]}"
measure_cpu
echo "total: $(duration "$SECONDS") wall, $(duration "$cpu_seconds") CPU"
echo "$total_passed passed, $total_failed failed"
((total_failed == 0))
