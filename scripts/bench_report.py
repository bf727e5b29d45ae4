#!/usr/bin/env python3
"""Render syncmap_bench's JSON output as markdown.

    python3 scripts/bench_report.py build/bench/results/<timestamp>.json [--merge <go>.json]

Prints, for each key type and key count, a table with one row per workload and thread count
and one column per map: throughput in Mops/s (operations per second of wall time, summed over
threads) and, in parentheses, the ratio to std::unordered_map + std::mutex measured in the same
run. Then bytes per entry, headline ratios for syncmap::sharded_map, and sanity checks.

When the run has repetitions, a cell shows the best repetition: on a shared machine other
processes only ever slow a benchmark down, so the fastest repetition is the least disturbed
one. A cell whose repetitions differ by more than NOISY_SPREAD is marked with '~'.

--merge adds the maps of another Google-Benchmark-shaped JSON file as more columns: bench.sh
passes the Go program's results (bench/go: Go's sync.Map and map + sync.RWMutex on the same
keys and operation streams). Those ran in another process, minutes apart, so their ratios to
the reference carry that run's background load as well.

Only the Python standard library is used. Benchmark names are parsed as
<workload>/<key type>/<key count>/<map id>[/...] (see bench/syncmap_bench.cpp); the map and
workload order and display names come from the JSON context (syncmap.* keys).
"""

import argparse
import json
import sys
from collections import defaultdict

NOISY_SPREAD = 0.20  # (best - worst) / best across repetitions above this gets a '~'

KEY_TYPE_NAMES = {"u64": "uint64 keys", "str": "string keys (8-15 chars)"}

# Expected hit ratios: a harness self-check (a wrong value means the inputs or a map are wrong).
EXPECTED_HIT_RATIO = {
    "load_hits": (0.999, 1.0),
    "load_misses": (0.0, 0.001),
    "hot_key_reads": (0.999, 1.0),
    "load90_store10": (0.999, 1.0),
    "load50_store25_erase25": (0.40, 0.60),
}


def power_of_two(n):
    n = int(n)
    if n > 0 and n & (n - 1) == 0:
        return "2^%d" % (n.bit_length() - 1)
    return str(n)


def fmt_rate(ops_per_second):
    mops = ops_per_second / 1e6
    if mops >= 100:
        return "%.0f" % mops
    if mops >= 10:
        return "%.1f" % mops
    return "%.2f" % mops


def fmt_ratio(r):
    return "%.2fx" % r


class Run:
    """One benchmark (all its repetitions)."""

    def __init__(self):
        self.rates = []  # items_per_second per repetition
        self.cpu_shares = []  # cpu_time / real_time per repetition (cores busy on our threads)
        self.hit_ratios = []
        self.bytes_per_entry = []
        self.errors = []

    @property
    def best(self):
        return max(self.rates) if self.rates else None

    @property
    def spread(self):
        if len(self.rates) < 2 or max(self.rates) <= 0:
            return 0.0
        return (max(self.rates) - min(self.rates)) / max(self.rates)


def load_runs(data):
    """Returns {(workload, key_type, keys, map_id, threads): Run}."""
    runs = defaultdict(Run)
    for entry in data.get("benchmarks", []):
        if entry.get("run_type", "iteration") != "iteration":
            continue  # aggregates are recomputed here from the repetitions
        parts = entry.get("run_name", entry["name"]).split("/")
        if len(parts) < 4:
            continue
        workload, key_type, keys, map_id = parts[:4]
        key = (workload, key_type, int(keys), map_id, int(entry.get("threads", 1)))
        run = runs[key]
        if entry.get("error_occurred"):
            run.errors.append(entry.get("error_message", "error"))
            continue
        if "items_per_second" in entry:
            run.rates.append(float(entry["items_per_second"]))
            if entry.get("real_time"):
                run.cpu_shares.append(float(entry["cpu_time"]) / float(entry["real_time"]))
        if "hit_ratio" in entry:
            run.hit_ratios.append(float(entry["hit_ratio"]))
        if "bytes_per_entry" in entry:
            run.bytes_per_entry.append(float(entry["bytes_per_entry"]))
    return runs


def context_list(context, key, fallback):
    value = context.get(key, "")
    return [v for v in value.split(",") if v] or fallback


def map_label(context, map_id):
    return "`%s`" % context.get("syncmap.map." + map_id, map_id)


def header(context, path):
    lines = ["# syncmap benchmarks (%s mode)" % context.get("syncmap.mode", "?"), ""]
    cpu = context.get("machine.cpu_model", "?")
    lines.append(
        "- Machine: %s, %s hardware threads, %s; %s"
        % (cpu, context.get("num_cpus", "?"), context.get("machine.mem_total", "?"),
           context.get("machine.kernel", "?")))
    lines.append(
        "- Build: %s, `%s` (%s), C++ %s; Google Benchmark %s"
        % (context.get("build.compiler", "?"), context.get("build.cxx_flags", "?"),
           context.get("build.build_type", "?"), context.get("build.cplusplus", "?"),
           context.get("build.google_benchmark", "?")))
    peers = []
    for key, label in (("peer.absl", "Abseil"), ("peer.tbb", "oneTBB"),
                       ("peer.libcuckoo", "libcuckoo")):
        if key in context:
            peers.append("%s %s" % (label, context[key]))
    if "peer.tbb_allocator" in context:
        peers.append("TBB allocator: %s" % context["peer.tbb_allocator"])
    if peers:
        lines.append("- Peers: " + ", ".join(peers))
    if context.get("syncmap.go.version"):
        lines.append(
            "- Go: %s, GOMAXPROCS %s (goroutines = threads), min time %ss x %s repetitions; "
            "run in its own process after the C++ benchmarks, on the same keys and streams"
            % (context["syncmap.go.version"], context.get("syncmap.go.gomaxprocs", "?"),
               context.get("syncmap.go.min_time", "?"),
               context.get("syncmap.go.repetitions", "?")))
    if context.get("syncmap.maps_skipped"):
        lines.append("- Skipped (not found at configure time): " + context["syncmap.maps_skipped"])
    load = context.get("load_avg")
    lines.append(
        "- syncmap %s, commit %s, %s; load average at start %s"
        % (context.get("syncmap.version", "?"), context.get("git", "?"),
           context.get("date", "?"),
           "/".join("%.2f" % x for x in load) if isinstance(load, list) else "?"))
    lines.append("- Source: `%s`" % path)
    lines.append("")
    lines.append(
        "Mops/s = million operations per second of wall time, summed over threads; "
        "(x) = ratio to %s in this run; best of the repetitions; `~` = repetitions differ "
        "by more than %d%% (noisy). Threads above the hardware thread count oversubscribe "
        "on purpose." % (map_label(context, context.get("syncmap.reference", "")),
                         NOISY_SPREAD * 100))
    return lines


def throughput_tables(context, runs, maps, workloads):
    reference = context.get("syncmap.reference", maps[0])
    groups = sorted({(k[1], k[2]) for k, r in runs.items() if k[0] != "memory" and r.rates},
                    key=lambda g: (["u64", "str"].index(g[0]) if g[0] in ("u64", "str") else 9,
                                   g[1]))
    lines = []
    for key_type, keys in groups:
        present = [m for m in maps if any(
            k[1] == key_type and k[2] == keys and k[3] == m for k in runs)]
        lines += ["", "## %s %s" % (power_of_two(keys), KEY_TYPE_NAMES.get(key_type, key_type)),
                  ""]
        lines.append("| workload | threads | " + " | ".join(map_label(context, m)
                                                           for m in present) + " |")
        lines.append("|---|---:|" + "---:|" * len(present))
        thread_counts = sorted({k[4] for k in runs if k[1] == key_type and k[2] == keys})
        for workload in workloads:
            for threads in thread_counts:
                row_runs = {m: runs.get((workload, key_type, keys, m, threads)) for m in present}
                if not any(r and (r.rates or r.errors) for r in row_runs.values()):
                    continue
                ref = row_runs.get(reference)
                ref_best = ref.best if ref else None
                cells = []
                for m in present:
                    run = row_runs[m]
                    if run is None:
                        cells.append("")
                    elif run.errors and not run.rates:
                        cells.append("error")
                    else:
                        cell = fmt_rate(run.best)
                        if ref_best:
                            cell += " (%s)" % fmt_ratio(run.best / ref_best)
                        if run.spread > NOISY_SPREAD:
                            cell += " ~"
                        cells.append(cell)
                lines.append("| %s | %d | %s |" % (workload, threads, " | ".join(cells)))
    return lines


def memory_table(context, runs, maps):
    reference = context.get("syncmap.reference", maps[0])
    rows = {k[3]: r for k, r in runs.items() if k[0] == "memory" and r.bytes_per_entry}
    if not rows:
        return []
    keys = next(k[2] for k in runs if k[0] == "memory")
    ref = rows.get(reference)
    lines = ["", "## Memory: heap bytes per entry, %s uint64 -> uint64 entries" %
             power_of_two(keys), "",
             "Heap in use (glibc `mallinfo2`) after filling an empty map without `reserve`, "
             "minus before, divided by the entry count. Allocator chunk overhead included.", "",
             "| map | bytes/entry | vs reference |", "|---|---:|---:|"]
    for m in maps:
        run = rows.get(m)
        if run is None:
            continue
        b = min(run.bytes_per_entry)
        ratio = fmt_ratio(b / min(ref.bytes_per_entry)) if ref else ""
        note = " (measured on std::allocator)" if m == "tbb_hash_map" else ""
        lines.append("| %s%s | %.1f | %s |" % (map_label(context, m), note, b, ratio))
    return lines


def best(runs, workload, key_type, keys, map_id, threads):
    run = runs.get((workload, key_type, keys, map_id, threads))
    return run.best if run and run.rates else None


def headline(context, runs):
    """The ratios the project tracks, at 2^20 uint64 keys."""
    keys = 1 << 20
    lines = []

    def add(label, a, b, unit="Mops/s", scale=1e-6):
        if a and b:
            lines.append("| %s | %.3g / %.3g %s | %s |" %
                         (label, a * scale, b * scale, unit, fmt_ratio(a / b)))

    subject = "sharded_map"
    for workload in ("load90_store10", "load50_store25_erase25", "zipf_upsert"):
        ours = best(runs, workload, "u64", keys, subject, 2)
        for other in ("unordered_map_mutex", "libcuckoo", "tbb_hash_map"):
            add("%s, 2 threads: sharded_map / %s" % (workload, other), ours,
                best(runs, workload, "u64", keys, other, 2))
    add("load_hits, 1 thread: sharded_map / absl_flat_mutex",
        best(runs, "load_hits", "u64", keys, subject, 1),
        best(runs, "load_hits", "u64", keys, "absl_flat_mutex", 1))
    add("load90_store10, sharded_map: 4 threads / 2 threads",
        best(runs, "load90_store10", "u64", keys, subject, 4),
        best(runs, "load90_store10", "u64", keys, subject, 2))
    mem = {k[3]: min(r.bytes_per_entry) for k, r in runs.items()
           if k[0] == "memory" and r.bytes_per_entry}
    add("bytes/entry: sharded_map / absl_flat_mutex", mem.get(subject),
        mem.get("absl_flat_mutex"), unit="bytes", scale=1)
    if not lines:
        return []
    return ["", "## Headline ratios (2^20 uint64 keys, this run)", "",
            "| ratio | values | ratio |", "|---|---:|---:|"] + lines


def rcu_headline(runs):
    """rcu_map against the read-only floor, sharded_map and Go's sync.Map, at 2^20 uint64 keys."""
    keys = 1 << 20
    lines = []

    def rate(workload, map_id, threads):
        return best(runs, workload, "u64", keys, map_id, threads)

    def add(label, a, b):
        if a and b:
            lines.append("| %s | %.3g / %.3g Mops/s | %s |" % (label, a * 1e-6, b * 1e-6,
                                                               fmt_ratio(a / b)))

    for other in ("absl_flat_no_lock", "sharded_map", "go_sync_map"):
        add("load_hits, 2 threads: rcu_map / %s" % other, rate("load_hits", "rcu_map", 2),
            rate("load_hits", other, 2))
    for subject in ("rcu_map", "sharded_map"):
        add("hot_key_reads, %s: 2 threads / 1 thread" % subject,
            rate("hot_key_reads", subject, 2), rate("hot_key_reads", subject, 1))
    add("load90_store10, 2 threads: rcu_map / go_sync_map", rate("load90_store10", "rcu_map", 2),
        rate("load90_store10", "go_sync_map", 2))
    for threads in (1, 2):
        add("load_hits, %d thread%s: go_sync_map / unordered_map_mutex"
            % (threads, "" if threads == 1 else "s"),
            rate("load_hits", "go_sync_map", threads),
            rate("load_hits", "unordered_map_mutex", threads))
    if not lines:
        return []
    return ["", "## rcu_map headline ratios (2^20 uint64 keys, this run)", "",
            "Hot-key scaling is 2 threads / 1 thread on 2 cores: 2.0x is perfect, below 1.0x "
            "means readers contend on a shared cache line. Go ran in a separate process.", "",
            "| ratio | values | ratio |", "|---|---:|---:|"] + lines


def checks(runs, merged_maps=()):
    problems = []
    for (workload, key_type, keys, map_id, threads), run in sorted(runs.items()):
        name = "%s/%s/%s/%s threads:%d" % (workload, key_type, keys, map_id, threads)
        for message in sorted(set(run.errors)):
            problems.append("- %s: error: %s" % (name, message))
        expected = EXPECTED_HIT_RATIO.get(workload)
        if expected and run.hit_ratios:
            low, high = expected
            for ratio in run.hit_ratios:
                if not low <= ratio <= high:
                    problems.append("- %s: hit ratio %.4f outside [%g, %g]" %
                                    (name, ratio, low, high))
                    break
    noisy = sum(1 for r in runs.values() if r.spread > NOISY_SPREAD)
    total = sum(1 for r in runs.values() if len(r.rates) > 1)
    lines = ["", "## Checks", ""]
    if total:
        lines.append("- %d of %d throughput cells are noisy (`~`)." % (noisy, total))
    # A single-threaded benchmark that had a core to itself keeps it busy all the time.
    # (C++ runs only: the Go program's CPU time is the whole process's, garbage collector
    # included.)
    shares = sorted(r.cpu_shares[r.rates.index(r.best)] for k, r in runs.items()
                    if k[4] == 1 and k[0] != "memory" and k[3] not in merged_maps and r.rates
                    and r.cpu_shares)
    if shares:
        median = shares[len(shares) // 2]
        verdict = ("other processes took a large part of the CPU: expect noisy ratios"
                   if median < 0.9 else "little interference from other processes")
        lines.append("- Single-thread runs got %.0f%% of a core (median CPU/wall time of the "
                     "best repetitions): %s." % (median * 100, verdict))
    lines += problems or ["- Hit ratios as expected; no errors."]
    return lines


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("json", help="syncmap_bench --benchmark_out file")
    parser.add_argument("--merge", action="append", default=[], metavar="JSON",
                        help="more results to add as columns (the Go program's); repeatable")
    args = parser.parse_args(argv)
    with open(args.json) as f:
        data = json.load(f)
    context = data.get("context", {})
    runs = load_runs(data)
    merged_maps = []
    for path in args.merge:
        try:
            with open(path) as f:
                extra = json.load(f)
        except (OSError, ValueError) as e:
            print("bench_report.py: ignoring --merge %s: %s" % (path, e), file=sys.stderr)
            continue
        extra_context = extra.get("context", {})
        extra_runs = load_runs(extra)
        extra_maps = context_list(extra_context, "syncmap.maps",
                                  sorted({k[3] for k in extra_runs}))
        merged_maps += [m for m in extra_maps if m not in merged_maps]
        for key, value in extra_context.items():
            if key.startswith("syncmap.map.") or key.startswith("syncmap.go."):
                context.setdefault(key, value)
        runs.update(extra_runs)
    if not runs:
        print("bench_report.py: no benchmark results in %s" % args.json, file=sys.stderr)
        return 1
    maps = context_list(context, "syncmap.maps", sorted({k[3] for k in runs}))
    maps += [m for m in merged_maps if m not in maps]
    workloads = context_list(context, "syncmap.workloads",
                             sorted({k[0] for k in runs if k[0] != "memory"}))
    lines = header(context, args.json)
    lines += throughput_tables(context, runs, maps, workloads)
    lines += memory_table(context, runs, maps)
    lines += headline(context, runs)
    lines += rcu_headline(runs)
    lines += checks(runs, merged_maps)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
