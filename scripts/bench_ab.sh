#!/usr/bin/env bash
# Side-by-side A/B of syncmap's headers: the same syncmap_bench source built twice, once against
# include/ of a git revision (A) and once against the working tree's include/ (B), run in
# alternating order for a few rounds, so that both builds see the same background load.
#
#   bash scripts/bench_ab.sh [--rounds N] REV FILTER [-- <extra syncmap_bench flags>]
#
#   REV      the baseline: any git revision (a commit, HEAD, a tag)
#   FILTER   a --benchmark_filter regex, e.g. '^go_SwapCollision/u64/1024/rcu_map/.*threads:2$'
#   --rounds N   rounds (default 3); round r runs A then B when r is even, B then A when odd
#
# Prints one line per benchmark: the median Mops/s of A and of B over the rounds, B/A in each
# round and the median of those ratios. A ratio is only meaningful within a round; on a noisy
# machine trust a change when every round agrees. Runs in full mode (--mode=full), so 2^10
# keys and 8 threads are available to the filter. Builds into build/ab (the `bench` preset must
# configure here: it generates the build-info header and gives the compile and link lines).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

rounds=3
args=()
extra=()
while (($#)); do
  case "$1" in
    --rounds)
      [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || { echo "bench_ab.sh: --rounds needs N >= 1" >&2; exit 2; }
      rounds=$2
      shift
      ;;
    --) shift; extra=("$@"); break ;;
    -h | --help)
      awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"
      exit 0
      ;;
    *) args+=("$1") ;;
  esac
  shift
done
if ((${#args[@]} != 2)); then
  echo "usage: bash scripts/bench_ab.sh [--rounds N] REV FILTER [-- flags] (try --help)" >&2
  exit 2
fi
rev=${args[0]}
filter=${args[1]}
sha=$(git rev-parse --short "$rev^{commit}") || { echo "bench_ab.sh: no revision '$rev'" >&2; exit 2; }

echo "bench_ab.sh: building syncmap_bench (bench preset) for B = working tree" >&2
cmake --preset bench >/dev/null
cmake --build build/bench --target syncmap_bench -j"$(nproc)" >/dev/null

ab=build/ab
mkdir -p "$ab/$sha"
rm -rf "$ab/$sha/include"
git archive "$sha" include | tar -x -C "$ab/$sha"
echo "bench_ab.sh: building syncmap_bench against include/ at $sha for A" >&2
# The bench preset's own compile and link lines, with include/ swapped for REV's.
python3 - "$root" "$ab/$sha" <<'PY'
import json, os, shlex, subprocess, sys
root, out = sys.argv[1], os.path.abspath(sys.argv[2])
entries = json.load(open(os.path.join(root, "build/bench/compile_commands.json")))
entry = next(e for e in entries if e["file"].endswith("bench/syncmap_bench.cpp"))
words = shlex.split(entry["command"]) if "command" in entry else entry["arguments"]
ours = "-I" + os.path.join(root, "include")
if ours not in words:
    sys.exit(f"bench_ab.sh: {ours} not in the compile line")


def rewritten(command, output, swap):
    """command with its -o argument set to output and every other word passed through swap."""
    result, words = [], iter(command)
    for w in words:
        if w == "-o":
            next(words)
            result += ["-o", output]
        else:
            result.append(swap(w))
    return result


obj = os.path.join(out, "syncmap_bench.o")
theirs = "-I" + os.path.join(out, "include")
subprocess.run(rewritten(words, obj, lambda w: theirs if w == ours else w),
               cwd=entry["directory"], check=True)
link_dir = os.path.join(root, "build/bench/bench")
link = shlex.split(open(os.path.join(link_dir, "CMakeFiles/syncmap_bench.dir/link.txt")).read())
subprocess.run(rewritten(link, os.path.join(out, "syncmap_bench"),
                         lambda w: obj if w.endswith("syncmap_bench.cpp.o") else w),
               cwd=link_dir, check=True)
PY

bin_a="$ab/$sha/syncmap_bench"
bin_b=build/bench/syncmap_bench
results="$ab/results.csv"
: >"$results"
for ((r = 0; r < rounds; r++)); do
  if ((r % 2 == 0)); then order=(A B); else order=(B A); fi
  for side in "${order[@]}"; do
    bin=$bin_a
    [[ $side == B ]] && bin=$bin_b
    echo "bench_ab.sh: round $((r + 1))/$rounds, $side" >&2
    "$bin" --mode=full "--benchmark_filter=$filter" --benchmark_format=csv "${extra[@]}" 2>/dev/null |
      awk -F, -v side="$side" -v round="$r" 'NR > 1 { gsub(/"/, "", $1); print round "," side "," $1 "," $7 }' \
        >>"$results"
  done
done

python3 - "$results" "$sha" <<'PY'
import collections, statistics, sys
path, sha = sys.argv[1], sys.argv[2]
# name -> (side, round) -> values: the repetitions themselves where the run printed them, else
# their median (benchmarks registered to report aggregates only, as Go's set in full mode).
plain = collections.defaultdict(lambda: collections.defaultdict(list))
medians = collections.defaultdict(lambda: collections.defaultdict(list))
for line in open(path):
    rnd, side, name, value = line.rstrip("\n").split(",")
    if not value or any(name.endswith(s) for s in ("_mean", "_stddev", "_cv")):
        continue
    if name.endswith("_median"):
        medians[name[: -len("_median")]][(side, int(rnd))].append(float(value))
    else:
        plain[name][(side, int(rnd))].append(float(value))
runs = {name: plain.get(name) or medians[name] for name in set(plain) | set(medians)}
if not runs:
    sys.exit("bench_ab.sh: the filter matched no benchmark")
print(f"A = include/ at {sha}, B = working tree; Mops/s medians over rounds; B/A per round")
for name in sorted(runs):
    per = runs[name]
    rounds = sorted({r for _, r in per})
    a = [statistics.median(per[("A", r)]) for r in rounds if ("A", r) in per]
    b = [statistics.median(per[("B", r)]) for r in rounds if ("B", r) in per]
    ratios = [per_b / per_a for per_a, per_b in zip(a, b) if per_a > 0]
    shown = name.replace("/real_time", "").replace("/min_time:0.050", "")
    print(f"{shown:64s} A {statistics.median(a) / 1e6:8.2f}  B {statistics.median(b) / 1e6:8.2f}  "
          f"B/A {' '.join(f'{x:.2f}' for x in ratios)}  median {statistics.median(ratios):.2f}")
PY
