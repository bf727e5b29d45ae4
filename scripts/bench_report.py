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

Host placement: syncmap_bench times a cache line's trip between two CPUs around every
repetition (counter handoff_ns, bench/handoff_probe.hpp). A virtual machine's host may
run the two vCPUs on distant cores for seconds at a time, and then every benchmark whose
threads share lines runs 2-3x slower. Repetitions whose figure is above FAR_HANDOFF times the
run's usual one (its lower quartile) are set aside; a cell that has no other is marked '!' and
left out of the targets.

Go's sync.Map benchmark set (workloads go_*, from Go's src/sync/map_bench_test.go) gets a table
of its own; one operation there is one iteration of Go's loop body, as in Go's ns/op.

--merge adds the maps of another Google-Benchmark-shaped JSON file as more columns: bench.sh
passes the Go program's results (bench/go: Go's sync.Map and map + sync.RWMutex on the same
keys and operation streams). Those ran in another process, minutes apart, so their ratios to
the reference carry that run's background load as well.

--callgrind FILE adds the table scripts/callgrind_ops.sh wrote (valgrind instruction counts
per load hit, load miss, store and upsert on one thread, every map) as a section of its own;
bench.sh passes it in full mode.

--plots DIR also draws PNG plots with gnuplot into DIR: for each table and workload, throughput
against threads with one line per map (throughput-<workload>-<key type>-<keys>.png), and a bar
chart of heap bytes per entry (memory-bytes-per-entry.png); plus DIR/README.md naming the
machine, build and date and listing the plots. Earlier throughput-*.png and memory-*.png files
in DIR are removed first, so the directory shows one run.

Only the Python standard library is used. Benchmark names are parsed as
<workload>/<key type>/<key count>/<map id>[/...] (see bench/syncmap_bench.cpp); the map and
workload order and display names come from the JSON context (syncmap.* keys).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict

NOISY_SPREAD = 0.20  # (best - worst) / best across repetitions above this gets a '~'
FAR_HANDOFF = 2.0  # handoff_ns above this many times the run's usual figure: set aside

KEY_TYPE_NAMES = {"u64": "uint64 keys", "str": "string keys (8-15 chars)"}

# Expected hit ratios: a harness self-check (a wrong value means the inputs or a map are wrong).
EXPECTED_HIT_RATIO = {
    "load_hits": (0.999, 1.0),
    "load_misses": (0.0, 0.001),
    "hot_key_reads": (0.999, 1.0),
    "load90_store10": (0.999, 1.0),
    "load50_store50": (0.999, 1.0),
    "load50_store25_erase25": (0.40, 0.60),
    "go_LoadMostlyHits": (0.99, 1.0),  # 1023 of 1024
    "go_LoadMostlyMisses": (0.0, 0.01),  # 1 of 1024
}

GO_SET_PREFIX = "go_"  # Go's sync.Map benchmark set: workload ids go_<Go's benchmark name>


def is_go_set(workload):
    return workload.startswith(GO_SET_PREFIX)


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
    if mops >= 1:
        return "%.2f" % mops
    return "%.3g" % mops


def fmt_ratio(r):
    return "%.2fx" % r


class Run:
    """One benchmark (all its repetitions)."""

    def __init__(self):
        self.rates = []  # items_per_second per repetition
        self.handoffs = []  # handoff_ns per repetition (0: not measured), aligned with rates
        self.far = []  # per repetition: measured with the CPUs apart (set by mark_far)
        self.cpu_shares = []  # cpu_time / real_time per repetition (cores busy on our threads)
        self.hit_ratios = []
        self.bytes_per_entry = []
        self.heap_bytes = []
        self.errors = []

    @property
    def near_rates(self):
        """The repetitions measured at the run's usual handoff figure."""
        if len(self.far) != len(self.rates):
            return self.rates
        return [r for r, far in zip(self.rates, self.far) if not far]

    @property
    def far_only(self):
        return bool(self.rates) and not self.near_rates

    @property
    def best(self):
        rates = self.near_rates or self.rates
        return max(rates) if rates else None

    @property
    def spread(self):
        rates = self.near_rates or self.rates
        if len(rates) < 2 or max(rates) <= 0:
            return 0.0
        return (max(rates) - min(rates)) / max(rates)


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
            run.handoffs.append(float(entry.get("handoff_ns", 0)))
            if entry.get("real_time"):
                run.cpu_shares.append(float(entry["cpu_time"]) / float(entry["real_time"]))
        if "hit_ratio" in entry:
            run.hit_ratios.append(float(entry["hit_ratio"]))
        if "bytes_per_entry" in entry:
            run.bytes_per_entry.append(float(entry["bytes_per_entry"]))
        if "heap_bytes" in entry:
            run.heap_bytes.append(float(entry["heap_bytes"]))
    return runs


def mark_far(runs):
    """Flags the repetitions measured with the CPUs apart (see Host placement above). Returns
    (usual handoff ns, repetitions set aside, repetitions with a figure), or None."""
    values = sorted(h for run in runs.values() for h in run.handoffs if h > 0)
    if not values:
        return None
    usual = values[len(values) // 4]
    aside = 0
    for run in runs.values():
        run.far = [h > FAR_HANDOFF * usual for h in run.handoffs]
        aside += sum(run.far)
    return usual, aside, len(values)


def context_list(context, key, fallback):
    value = context.get(key, "")
    return [v for v in value.split(",") if v] or fallback


def map_label(context, map_id):
    return "`%s`" % context.get("syncmap.map." + map_id, map_id)


def header(context, path, placement=None):
    lines = ["# syncmap benchmarks (%s mode)" % context.get("syncmap.mode", "?"), ""]
    lines += run_facts(context)
    if placement:
        usual, aside, measured = placement
        lines.append(
            "- Host placement: a cache line took %.0f ns between the two CPUs as usual (lower "
            "quartile); %d of %d repetitions ran while it took over %.0f ns and are set aside"
            % (usual, aside, measured, FAR_HANDOFF * usual))
    lines.append("- Source: `%s`" % path)
    lines.append("")
    lines.append(
        "Mops/s = million operations per second of wall time, summed over threads; "
        "(x) = ratio to %s in this run; best of the repetitions; `~` = repetitions differ "
        "by more than %d%% (noisy); `!` = every repetition ran while the host had moved the "
        "CPUs apart (cache line trips over %gx the usual; left out of the targets). Threads "
        "above the hardware thread count oversubscribe on purpose."
        % (map_label(context, context.get("syncmap.reference", "")), NOISY_SPREAD * 100,
           FAR_HANDOFF))
    return lines


def run_facts(context):
    """Machine, build, peers, Go, commit and date, as markdown list items."""
    lines = []
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
            "- Go: %s, GOMAXPROCS %s (goroutines = threads), min time %ss (Go's set %ss) x %s "
            "repetitions; run in its own process after the C++ benchmarks, on the same keys "
            "and streams"
            % (context["syncmap.go.version"], context.get("syncmap.go.gomaxprocs", "?"),
               context.get("syncmap.go.min_time", "?"),
               context.get("syncmap.go.set_min_time", "?"),
               context.get("syncmap.go.repetitions", "?")))
    if context.get("syncmap.maps_skipped"):
        lines.append("- Skipped (not found at configure time): " + context["syncmap.maps_skipped"])
    load = context.get("load_avg")
    lines.append(
        "- syncmap %s, commit %s, %s; load average at start %s"
        % (context.get("syncmap.version", "?"), context.get("git", "?"),
           context.get("date", "?"),
           "/".join("%.2f" % x for x in load) if isinstance(load, list) else "?"))
    return lines


def table_groups(runs):
    """[(go_set, key_type, keys)] in report order: syncmap's workloads by key type and count,
    then Go's set."""
    groups = {(is_go_set(k[0]), k[1], k[2]) for k, r in runs.items()
              if k[0] != "memory" and (r.rates or r.errors)}
    return sorted(groups, key=lambda g: (g[0], ["u64", "str"].index(g[1])
                                         if g[1] in ("u64", "str") else 9, g[2]))


def group_title(group):
    go_set, key_type, keys = group
    if go_set:
        return ("Go's sync.Map benchmark set (%s, Go's %s-key span)"
                % (KEY_TYPE_NAMES.get(key_type, key_type), keys))
    return "%s %s" % (power_of_two(keys), KEY_TYPE_NAMES.get(key_type, key_type))


def group_workloads(group, workloads):
    return [w for w in workloads if is_go_set(w) == group[0]]


def maps_in(runs, maps, group):
    go_set, key_type, keys = group
    return [m for m in maps if any(
        k[1] == key_type and k[2] == keys and k[3] == m and is_go_set(k[0]) == go_set
        for k in runs)]


def not_run_lines(context):
    """The context's syncmap.not_run entries (map/workload pairs left out on purpose)."""
    items = [x.strip() for x in context.get("syncmap.not_run", "").split(";") if x.strip()]
    return ["- Not run: %s." % x for x in items]


def throughput_tables(context, runs, maps, workloads):
    reference = context.get("syncmap.reference", maps[0])
    lines = []
    for group in table_groups(runs):
        go_set, key_type, keys = group
        present = maps_in(runs, maps, group)
        lines += ["", "## " + group_title(group), ""]
        if go_set:
            lines += ["Go's `src/sync/map_bench_test.go` benchmarks with Go's setup, loop bodies "
                      "and key indices (key index i is the i-th derived uint64 key). One "
                      "operation = one iteration of Go's loop body (`go_Range`: one whole Range "
                      "over 1024 entries), so Mops/s = 1000 / (Go's ns/op). Ids are Go's names "
                      "with a `go_` prefix.", ""]
        lines.append("| workload | threads | " + " | ".join(map_label(context, m)
                                                           for m in present) + " |")
        lines.append("|---|---:|" + "---:|" * len(present))
        thread_counts = sorted({k[4] for k in runs if k[1] == key_type and k[2] == keys})
        for workload in group_workloads(group, workloads):
            label = workload[len(GO_SET_PREFIX):] if go_set else workload
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
                        if run.far_only:
                            cell += " !"
                        cells.append(cell)
                lines.append("| %s | %d | %s |" % (label, threads, " | ".join(cells)))
        if go_set:
            notes = not_run_lines(context)
            if notes:
                lines += ["", "Empty cells: the map cannot run that workload."] + notes
    return lines


def memory_rows(runs):
    """{map_id: {entries: bytes per entry, 0: heap bytes of the empty map}}."""
    rows = defaultdict(dict)
    for (workload, _, keys, map_id, _), run in runs.items():
        if workload != "memory":
            continue
        if keys == 0 and run.heap_bytes:
            rows[map_id][0] = min(run.heap_bytes)
        elif keys > 0 and run.bytes_per_entry:
            rows[map_id][keys] = min(run.bytes_per_entry)
    return rows


def memory_table(context, runs, maps):
    reference = context.get("syncmap.reference", maps[0])
    rows = memory_rows(runs)
    if not rows:
        return []
    sizes = sorted({n for r in rows.values() for n in r if n > 0})
    largest = sizes[-1] if sizes else None
    has_empty = any(0 in r for r in rows.values())
    lines = ["", "## Memory: heap bytes, uint64 -> uint64 entries", "",
             "Heap in use (glibc `mallinfo2`, allocator chunk overhead included) after filling "
             "an empty map without `reserve` (and, for `rcu_map`, promoting it, as a first "
             "`for_each` or enough reads do), minus before, divided by the entry count: the "
             "fixed part of a map is in every per-entry figure. Empty map: the heap bytes of a "
             "default-constructed map, the object itself included.", ""]
    header = ["map"] + (["empty map (bytes)"] if has_empty else []) + \
        ["bytes/entry at %s" % power_of_two(n) for n in sizes]
    if largest:
        header.append("vs reference at %s" % power_of_two(largest))
    lines += ["| " + " | ".join(header) + " |", "|---|" + "---:|" * (len(header) - 1)]
    ref = rows.get(reference, {})
    for m in maps:
        row = rows.get(m)
        if not row:
            continue
        note = " (measured on std::allocator)" if m == "tbb_hash_map" else ""
        cells = [map_label(context, m) + note]
        if has_empty:
            cells.append("%.0f" % row[0] if 0 in row else "")
        cells += ["%.1f" % row[n] if n in row else "" for n in sizes]
        if largest:
            cells.append(fmt_ratio(row[largest] / ref[largest])
                         if largest in row and ref.get(largest) else "")
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def callgrind_section(path):
    """The instructions-per-operation table of scripts/callgrind_ops.sh, as a report section."""
    try:
        with open(path) as f:
            table = f.read().strip()
    except OSError as e:
        print("bench_report.py: ignoring --callgrind %s: %s" % (path, e), file=sys.stderr)
        return []
    if not table:
        return []
    return ["", "## Single thread: instructions per operation (callgrind)", "",
            "`valgrind --tool=callgrind` instruction counts from `scripts/callgrind_ops.sh`: "
            "one thread, 2^16 uint64 keys, the loop and the setup subtracted; (x) = ratio to "
            "the unsynchronized `absl::flat_hash_map`. Exact and unaffected by other processes, "
            "but instructions are not time: cache misses and the latency of atomic "
            "instructions do not show.", "", table]


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
    mem = {m: row.get(keys) for m, row in memory_rows(runs).items()}
    add("bytes/entry at 2^20: sharded_map / absl_flat_mutex", mem.get(subject),
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
    # Go's own set, on its 1024-key span: rcu_map against the map it mirrors.
    for workload in ("go_LoadMostlyHits", "go_LoadAndDeleteCollision", "go_LoadOrStoreBalanced",
                     "go_AdversarialAlloc", "go_AdversarialDelete"):
        add("%s, 2 threads: rcu_map / go_sync_map" % workload,
            best(runs, workload, "u64", 1024, "rcu_map", 2),
            best(runs, workload, "u64", 1024, "go_sync_map", 2))
    if not lines:
        return []
    return ["", "## rcu_map headline ratios (2^20 uint64 keys, this run)", "",
            "Hot-key scaling is 2 threads / 1 thread on 2 cores: 2.0x is perfect, below 1.0x "
            "means readers contend on a shared cache line. Go ran in a separate process.", "",
            "| ratio | values | ratio |", "|---|---:|---:|"] + lines


# syncmap's maps, and the cells issue #4's targets are checked on.
OURS = ("sharded_map", "sharded_map_shared_mutex", "rcu_map")
REFERENCE = "unordered_map_mutex"
PEER_WORKLOADS = ("load_hits", "load90_store10", "load50_store50", "load50_store25_erase25",
                  "zipf_upsert")  # read-mostly, mixed and word count
GO_TARGET_WORKLOADS = ("go_LoadMostlyHits", "go_LoadMostlyMisses", "go_LoadOrStoreBalanced")
OVERSUBSCRIBED_FLOOR = 0.7  # of the 2-thread throughput


def cell_name(workload, key_type, keys):
    exponent = keys.bit_length() - 1
    size = "2^%d" % exponent if keys == 1 << exponent else str(keys)
    return "%s %s %s" % (workload, key_type, size)


def targets(runs):
    """Issue #4's targets, each with what this run measured (best of the repetitions) and
    MET or MISSED; a target with no cells in this run (quick mode runs fewer) is left out."""
    cells = sorted({k[:3] for k in runs if k[0] != "memory"})
    lines = []

    def verdict(ok):
        return "MET" if ok else "MISSED"

    left_out = set()  # the current target's cells measured only with the CPUs apart; each clears it

    def settled(workload, key_type, keys, map_id, threads):
        """best(), or None (and the cell counted in left_out) for a far-only cell."""
        run = runs.get((workload, key_type, keys, map_id, threads))
        if run and run.far_only:
            left_out.add((workload, key_type, keys, threads))
            return None
        return best(runs, workload, key_type, keys, map_id, threads)

    def aside():
        """The left-out note for the target just evaluated."""
        return ("; %d cells left out (`!`)" % len(left_out)) if left_out else ""

    # Every syncmap map beats the reference at 2 threads, on every workload.
    for subject in OURS:
        left_out.clear()
        won, lost = 0, []
        for workload, key_type, keys in cells:
            ours = settled(workload, key_type, keys, subject, 2)
            ref = settled(workload, key_type, keys, REFERENCE, 2)
            if not ours or not ref:
                continue
            if ours > ref:
                won += 1
            else:
                lost.append("%s %s" % (cell_name(workload, key_type, keys),
                                       fmt_ratio(ours / ref)))
        if won or lost:
            lines.append("- `%s` beats `%s` at 2 threads: %d of %d cells%s — %s%s" %
                         (subject, REFERENCE, won, won + len(lost),
                          " (loses %s)" % ", ".join(lost) if lost else "", verdict(not lost),
                          aside()))
    # sharded_map >= tbb and libcuckoo at 2 threads, 2^20 uint64 keys.
    for other in ("tbb_hash_map", "libcuckoo"):
        left_out.clear()
        ratios = []
        for workload in PEER_WORKLOADS:
            ours = settled(workload, "u64", 1 << 20, "sharded_map", 2)
            theirs = settled(workload, "u64", 1 << 20, other, 2)
            if ours and theirs:
                ratios.append((workload, ours / theirs))
        if ratios:
            lines.append("- `sharded_map` / `%s` at 2 threads, 2^20 uint64 keys: %s — %s%s" %
                         (other, ", ".join("%s %s" % (w, fmt_ratio(r)) for w, r in ratios),
                          verdict(all(r >= 1 for _, r in ratios)), aside()))
    # rcu_map beats Go's sync.Map on three of Go's workloads at 1 and 2 threads.
    left_out.clear()
    ratios = []
    for workload in GO_TARGET_WORKLOADS:
        for threads in (1, 2):
            ours = settled(workload, "u64", 1024, "rcu_map", threads)
            go = settled(workload, "u64", 1024, "go_sync_map", threads)
            if ours and go:
                ratios.append(("%s %dt" % (workload[len(GO_SET_PREFIX):], threads), ours / go))
    if ratios:
        lines.append("- `rcu_map` / Go `sync.Map`: %s — %s%s" %
                     (", ".join("%s %s" % (c, fmt_ratio(r)) for c, r in ratios),
                      verdict(all(r > 1 for _, r in ratios)), aside()))
    # Oversubscribed: no map of ours below 70% of its own 2-thread throughput.
    for subject in OURS:
        left_out.clear()
        checked, low = 0, []
        for workload, key_type, keys in cells:
            two = settled(workload, key_type, keys, subject, 2)
            for threads in (4, 8):
                more = settled(workload, key_type, keys, subject, threads)
                if not two or not more:
                    continue
                checked += 1
                if more < OVERSUBSCRIBED_FLOOR * two:
                    low.append("%s %dt %.2f" % (cell_name(workload, key_type, keys), threads,
                                                more / two))
        if checked:
            lines.append("- `%s` at 4 and 8 threads keeps >= %d%% of its 2-thread throughput: "
                         "%d of %d cells%s — %s%s" %
                         (subject, OVERSUBSCRIBED_FLOOR * 100, checked - len(low), checked,
                          " (below: %s)" % ", ".join(low) if low else "", verdict(not low),
                          aside()))
    if not lines:
        return []
    return ["", "## Targets (issue #4), this run", "",
            "Each from this run's cells, best of the repetitions measured at the usual "
            "cache-line trip time; a cell with none is left out (`!`); one noisy run decides "
            "nothing on its own (see Checks)."] + [""] + lines


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


# ---------------------------------------------------------------------------------------------
# Plots (gnuplot).

# Line colors by column position: the reference black, syncmap's maps warm, the rest cool.
PALETTE = ["#000000", "#d62728", "#ff7f0e", "#e377c2", "#1f77b4", "#2ca02c", "#7f7f7f",
           "#9467bd", "#8c564b", "#17becf", "#bcbd22", "#393b79", "#637939"]
SYNCMAP_MAPS = ("sharded_map", "sharded_map_shared_mutex", "rcu_map")
# Embedded in the plots README; every other plot is linked.
FEATURED_PLOTS = ("load_hits", "hot_key_reads", "load90_store10", "load50_store25_erase25",
                  "fill", "go_LoadMostlyHits", "go_AdversarialAlloc")
STALE_PREFIXES = ("throughput-", "memory-")


def gp_string(text):
    """A gnuplot double-quoted string (noenhanced terminals show it as is; newlines kept)."""
    return '"%s"' % text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def map_plain_name(context, map_id):
    return context.get("syncmap.map." + map_id, map_id)


def plot_script(context, runs, maps, workloads, directory):
    """Returns (gnuplot script, [(group, workload, file name)], memory file name or None)."""
    out = ["set terminal pngcairo size 1000,600 font 'DejaVu Sans,10' noenhanced"]
    made = []
    cpus = context.get("num_cpus") or context.get("machine.hardware_threads")
    machine = "%s, %s hardware threads" % (context.get("machine.cpu_model", "?"), cpus or "?")
    color = {m: PALETTE[i % len(PALETTE)] for i, m in enumerate(maps)}
    reference = context.get("syncmap.reference", maps[0] if maps else "")
    block = 0
    for group in table_groups(runs):
        go_set, key_type, keys = group
        present = maps_in(runs, maps, group)
        threads = sorted({k[4] for k in runs if k[1] == key_type and k[2] == keys})
        for workload in group_workloads(group, workloads):
            series = []
            for m in present:
                points = []
                for t in threads:
                    run = runs.get((workload, key_type, keys, m, t))
                    if run and run.rates:
                        points.append((t, run.best / 1e6))
                if points:
                    series.append((m, points))
            if not series:
                continue
            name = "throughput-%s-%s-%s.png" % (workload, key_type, keys)
            made.append((group, workload, name))
            out += ["reset", "set output %s" % gp_string(os.path.join(directory, name))]
            description = context.get("syncmap.workload." + workload, "")
            out.append("set title %s" % gp_string(
                "%s: %s\n%s; %s" % (workload, description, group_title(group), machine)))
            out += ["set logscale x 2", "set logscale y",
                    "set xtics (%s)" % ", ".join("'%d' %d" % (t, t) for t in threads),
                    "set xrange [%g:%g]" % (threads[0] / 1.25, threads[-1] * 1.25),
                    "set xlabel 'threads (goroutines for Go)'",
                    "set ylabel 'Mops/s, best repetition (log scale)'",
                    "set grid xtics ytics mytics", "set key outside right top vertical",
                    "set rmargin 44"]
            if cpus and threads[0] <= int(cpus) <= threads[-1]:
                out.append("set arrow 1 from %s, graph 0 to %s, graph 1 nohead dt 3 lc rgb "
                           "'#999999'" % (cpus, cpus))
                out.append("set label 1 'hardware threads' at %s, graph 0.04 offset 0.5,0 "
                           "tc rgb '#777777'" % cpus)
            plots = []
            for m, points in series:
                block += 1
                out.append("$d%d << EOD" % block)
                out += ["%d %.6g" % p for p in points]
                out.append("EOD")
                width = 3 if m in SYNCMAP_MAPS else 1.5
                dash = 2 if m == reference else 1
                plots.append("$d%d using 1:2 with linespoints lw %g dt %d pt 7 ps 0.8 "
                             "lc rgb '%s' title %s" % (block, width, dash, color[m],
                                                        gp_string(map_plain_name(context, m))))
            out.append("plot " + ", \\\n     ".join(plots))

    rows = memory_rows(runs)
    sizes = sorted({n for r in rows.values() for n in r if n > 0})
    memory_name = None
    if rows and sizes:
        memory_name = "memory-bytes-per-entry.png"
        # A map whose fixed part dwarfs the rest at small sizes (libcuckoo's lock array) would
        # flatten every other bar: the scale stops at 1.5x the largest value at the largest
        # size, and a bar beyond it is cut at the top with its value in the map's label.
        top = 1.5 * max(r[sizes[-1]] for r in rows.values() if sizes[-1] in r)
        out += ["reset", "set output %s" % gp_string(os.path.join(directory, memory_name)),
                "set title %s" % gp_string(
                    "Heap bytes per entry after filling an empty map (no reserve), "
                    "uint64 -> uint64 (glibc mallinfo2)\n%s" % machine),
                "set style data histograms", "set style histogram clustered gap 1",
                "set style fill solid 0.85 border -1", "set boxwidth 0.9",
                "set xtics rotate by 20 right scale 0 nomirror", "set yrange [0:%g]" % top,
                "set ylabel 'bytes per entry'", "set grid ytics", "set key top left",
                "set bmargin 10", "set lmargin 24", "$mem << EOD"]
        bars = 0
        for m in maps:
            row = rows.get(m)
            if not row or not any(n in row for n in sizes):
                continue
            bars += 1
            label = map_plain_name(context, m)
            if m == "tbb_hash_map":
                label += " (std::allocator)"
            cut = ["%s: %.0f" % (power_of_two(n), row[n]) for n in sizes
                   if n in row and row[n] > top]
            if cut:
                label += "\n(off scale: %s)" % ", ".join(cut)
            out.append(" ".join([gp_string(label)] +
                                ["%.3f" % row[n] if n in row else "NaN" for n in sizes]))
        out.append("EOD")
        out.append("set xrange [-0.6:%g]" % (bars - 0.4))
        shades = ["#9ecae1", "#4292c6", "#08519c", "#08306b"]
        plots = []
        for i, n in enumerate(sizes):
            plots.append("$mem using %d%s title '%s entries' lc rgb '%s'" % (
                i + 2, ":xtic(1)" if i == 0 else "", power_of_two(n),
                shades[i % len(shades)]))
        out.append("plot " + ", ".join(plots))
    return "\n".join(out) + "\n", made, memory_name


def render_plots(context, runs, maps, workloads, directory, report_text):
    """Draws the PNGs into directory and writes its README.md and report.md. Returns the number
    of plots, or None when gnuplot is missing or fails."""
    gnuplot = shutil.which("gnuplot")
    if gnuplot is None:
        print("bench_report.py: gnuplot not found (Debian: gnuplot-nox); no plots",
              file=sys.stderr)
        return None
    os.makedirs(directory, exist_ok=True)
    for entry in os.listdir(directory):
        if entry.endswith(".png") and entry.startswith(STALE_PREFIXES):
            os.remove(os.path.join(directory, entry))
    script, made, memory_name = plot_script(context, runs, maps, workloads, directory)
    with tempfile.NamedTemporaryFile("w", suffix=".gp", delete=False) as f:
        f.write(script)
        script_path = f.name
    try:
        done = subprocess.run([gnuplot, script_path], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, universal_newlines=True)
    finally:
        os.unlink(script_path)
    if done.returncode != 0:
        print("bench_report.py: gnuplot failed; no plots:\n" + done.stderr, file=sys.stderr)
        return None

    with open(os.path.join(directory, "report.md"), "w") as f:
        f.write(report_text + "\n")
    lines = ["# syncmap benchmark plots", "",
             "One run of `scripts/bench.sh` (%s mode). The full tables, with every ratio to "
             "the reference, are in [report.md](report.md); bench/README.md says what each "
             "workload measures and how to read the numbers." % context.get("syncmap.mode", "?"),
             ""]
    lines += run_facts(context)
    lines += ["", "Numbers from one machine are comparable only within the run: read the "
              "ratios between maps, not the absolute Mops/s. Regenerate with "
              "`bash scripts/bench.sh --plots-to <dir>` (add `--full` for every workload)."]
    if memory_name:
        lines += ["", "## Memory", "", "![heap bytes per entry](%s)" % memory_name]
    groups = []
    for group, _, _ in made:
        if group not in groups:
            groups.append(group)
    for group in groups:
        lines += ["", "## Throughput: " + group_title(group)]
        others = []
        for g, workload, name in made:
            if g != group:
                continue
            description = context.get("syncmap.workload." + workload, "")
            if workload in FEATURED_PLOTS:
                lines += ["", "### %s" % workload, "", description, "",
                          "![%s](%s)" % (workload, name)]
            else:
                others.append("- [%s](%s): %s" % (workload, name, description))
        if others:
            lines += ["", "Other workloads:", ""] + others
    with open(os.path.join(directory, "README.md"), "w") as f:
        f.write("\n".join(lines).rstrip() + "\n")
    return len(made) + (1 if memory_name else 0)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("json", help="syncmap_bench --benchmark_out file")
    parser.add_argument("--merge", action="append", default=[], metavar="JSON",
                        help="more results to add as columns (the Go program's); repeatable")
    parser.add_argument("--callgrind", metavar="FILE",
                        help="add the table scripts/callgrind_ops.sh wrote")
    parser.add_argument("--plots", metavar="DIR",
                        help="also draw PNG plots (gnuplot) and a README.md into DIR")
    args = parser.parse_args(argv)
    with open(args.json) as f:
        data = json.load(f)
    context = data.get("context", {})
    runs = load_runs(data)
    placement = mark_far(runs)
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
        if extra_context.get("syncmap.not_run"):
            context["syncmap.not_run"] = "; ".join(
                x for x in (context.get("syncmap.not_run"), extra_context["syncmap.not_run"])
                if x)
        runs.update(extra_runs)
    if not runs:
        print("bench_report.py: no benchmark results in %s" % args.json, file=sys.stderr)
        return 1
    maps = context_list(context, "syncmap.maps", sorted({k[3] for k in runs}))
    maps += [m for m in merged_maps if m not in maps]
    workloads = context_list(context, "syncmap.workloads",
                             sorted({k[0] for k in runs if k[0] != "memory"}))
    lines = header(context, args.json, placement)
    lines += throughput_tables(context, runs, maps, workloads)
    lines += memory_table(context, runs, maps)
    if args.callgrind:
        lines += callgrind_section(args.callgrind)
    lines += headline(context, runs)
    lines += rcu_headline(runs)
    lines += targets(runs)
    lines += checks(runs, merged_maps)
    report = "\n".join(lines)
    print(report)
    if args.plots:
        count = render_plots(context, runs, maps, workloads, args.plots, report)
        if count is not None:
            print("bench_report.py: %d plots in %s" % (count, args.plots), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
