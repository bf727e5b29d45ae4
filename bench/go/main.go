// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT

// Command syncmap_bench_go runs syncmap_bench's read-mostly workloads on Go's sync.Map and on
// a map behind a sync.RWMutex, and writes Google-Benchmark-shaped JSON that
// scripts/bench_report.py merges into the C++ tables as two more columns.
//
//	syncmap_bench_go [-min_time=0.1] [-repetitions=3] [-keys=1048576] [-threads=1,2,4] \
//	    [-filter=REGEX] [-out=results.json]
//
// Inputs are the C++ harness's, bit for bit: keys.hpp's splitmix64 key derivation and
// random_source, workloads.hpp's seeds and stream lengths, built before timing. Benchmark
// names follow syncmap_bench.cpp: <workload>/u64/<keys>/<map id>/real_time/threads:<n>.
//
// Threads are goroutines; GOMAXPROCS stays at its default (the machine's CPU count), so 4
// goroutines on 2 CPUs oversubscribe the way 4 threads do in the C++ runs. Timing follows
// Google Benchmark: a repetition runs the workload with a growing operation count until one
// run lasts at least min_time, and reports operations per second of wall time summed over
// goroutines. The Go 1.19 sync.Map measured here is the read/dirty design rcu_map mirrors
// (Go 1.24 replaced it with a hash trie).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/bits"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ---------------------------------------------------------------------------------------------
// Inputs (bench/keys.hpp).

// scramble is splitmix64's output function, a bijection on 64-bit words.
func scramble(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

const baseSeed = 0x5EED5EED2024

func deriveSeed(a, b, c uint64) uint64 {
	return scramble(scramble(scramble(baseSeed^a)+b) + c)
}

// randomSource is splitmix64 stepping, as keys.hpp's random_source.
type randomSource struct{ state uint64 }

func (r *randomSource) next() uint64 {
	r.state += 0x9E3779B97F4A7C15
	return scramble(r.state)
}

// below is uniform in [0, bound) by multiply-shift.
func (r *randomSource) below(bound uint64) uint64 {
	hi, _ := bits.Mul64(r.next(), bound)
	return hi
}

// keySet holds n keys present in the map and n that never are (key_traits<uint64_t>::make).
type keySet struct{ hits, misses []uint64 }

func makeKeys(n int) keySet {
	ks := keySet{make([]uint64, n), make([]uint64, n)}
	seed := deriveSeed(1, 0, 0)
	for i := 0; i < n; i++ {
		ks.hits[i] = scramble(seed + uint64(i))
		ks.misses[i] = scramble(seed + uint64(n+i))
	}
	return ks
}

// ---------------------------------------------------------------------------------------------
// Workloads (bench/workloads.hpp). The ids must equal workload_id's enumerator values there,
// because they seed the streams.

type workload struct {
	id        uint64
	name      string
	readOnly  bool
	loadShare uint64 // percent of operations that are loads; the rest overwrite present keys
}

var workloads = []workload{
	{0, "load_hits", true, 100},
	{1, "load_misses", true, 100},
	{6, "hot_key_reads", true, 100},
	{2, "load90_store10", false, 90},
}

const hotKeyCount = 16

// opStream is one goroutine's keys, and for mixed workloads whether each op is a store.
type opStream struct {
	keys   []uint64
	stores []bool
}

func streamLength(n int) int {
	l := 16 * n
	if l < 1<<16 {
		l = 1 << 16
	}
	if l > 1<<19 {
		l = 1 << 19
	}
	return l
}

func makeStream(w workload, ks keySet, thread int) opStream {
	n := uint64(len(ks.hits))
	length := streamLength(len(ks.hits))
	rng := randomSource{deriveSeed(w.id+1, n, uint64(thread))}
	s := opStream{keys: make([]uint64, 0, length)}
	for i := 0; i < length; i++ {
		switch w.name {
		case "load_hits":
			s.keys = append(s.keys, ks.hits[rng.below(n)])
		case "load_misses":
			s.keys = append(s.keys, ks.misses[rng.below(n)])
		case "hot_key_reads":
			hot := uint64(hotKeyCount)
			if n < hot {
				hot = n
			}
			s.keys = append(s.keys, ks.hits[rng.below(hot)])
		default:
			s.keys = append(s.keys, ks.hits[rng.below(n)])
			s.stores = append(s.stores, rng.below(100) >= w.loadShare)
		}
	}
	return s
}

// ---------------------------------------------------------------------------------------------
// Maps.

type benchMap interface {
	load(k uint64) (uint64, bool)
	store(k, v uint64)
}

// syncMap is what Go users get: values are boxed in interfaces, as sync.Map requires.
type syncMap struct{ m sync.Map }

func (s *syncMap) load(k uint64) (uint64, bool) {
	v, ok := s.m.Load(k)
	if !ok {
		return 0, false
	}
	return v.(uint64), true
}
func (s *syncMap) store(k, v uint64) { s.m.Store(k, v) }

// settle promotes the dirty map, which prefilling left holding every key: Range does that first.
func (s *syncMap) settle() { s.m.Range(func(any, any) bool { return false }) }

type rwMutexMap struct {
	mu sync.RWMutex // guards m: shared by load, exclusive by store
	m  map[uint64]uint64
}

func (r *rwMutexMap) load(k uint64) (uint64, bool) {
	r.mu.RLock()
	v, ok := r.m[k]
	r.mu.RUnlock()
	return v, ok
}
func (r *rwMutexMap) store(k, v uint64) {
	r.mu.Lock()
	r.m[k] = v
	r.mu.Unlock()
}

type mapKind struct {
	id, name string
	make     func() benchMap
}

var maps = []mapKind{
	{"go_sync_map", "Go sync.Map", func() benchMap { return &syncMap{} }},
	{"go_map_rwmutex", "Go map+RWMutex", func() benchMap { return &rwMutexMap{m: map[uint64]uint64{}} }},
}

// Each goroutine sums the values it loads in a local and adds the sum here when done, so no
// load can be optimized away and nothing shared is written inside the timed loop.
var (
	sinkMu    sync.Mutex // guards sinkValue
	sinkValue uint64
)

// ---------------------------------------------------------------------------------------------
// Timing.

type result struct {
	ops      int64   // operations, all goroutines
	wall     float64 // seconds
	cpu      float64 // process CPU seconds (includes the garbage collector)
	hits     int64
	loads    int64
	failures []string
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// runOps runs opsPerThread operations on each of len(streams) goroutines, released together.
func runOps(m benchMap, streams []opStream, opsPerThread int) result {
	var start, done sync.WaitGroup
	var release sync.Mutex
	var hits, loads int64
	var countMu sync.Mutex // guards hits and loads
	release.Lock()
	start.Add(len(streams))
	done.Add(len(streams))
	for t := range streams {
		go func(s opStream) {
			defer done.Done()
			start.Done()
			release.Lock() // the start barrier: every goroutine waits here for the timer
			release.Unlock()
			var h, l int64
			var sum uint64
			length := len(s.keys)
			i := 0
			if s.stores == nil {
				for n := 0; n < opsPerThread; n++ {
					if v, ok := m.load(s.keys[i]); ok {
						h++
						sum += v
					}
					if i++; i == length {
						i = 0
					}
				}
				l = int64(opsPerThread)
			} else {
				for n := 0; n < opsPerThread; n++ {
					if s.stores[i] {
						m.store(s.keys[i], uint64(i))
					} else {
						l++
						if v, ok := m.load(s.keys[i]); ok {
							h++
							sum += v
						}
					}
					if i++; i == length {
						i = 0
					}
				}
			}
			sinkMu.Lock()
			sinkValue += sum
			sinkMu.Unlock()
			countMu.Lock()
			hits += h
			loads += l
			countMu.Unlock()
		}(streams[t])
	}
	start.Wait()
	cpu0 := cpuSeconds()
	t0 := time.Now()
	release.Unlock()
	done.Wait()
	wall := time.Since(t0).Seconds()
	return result{
		ops:   int64(opsPerThread) * int64(len(streams)),
		wall:  wall,
		cpu:   cpuSeconds() - cpu0,
		hits:  hits,
		loads: loads,
	}
}

// measure grows the per-goroutine operation count as Google Benchmark does (aim 40% past
// min_time, at most 10x per step) until one run lasts min_time, and returns that run.
func measure(m benchMap, streams []opStream, minTime float64) result {
	ops := 1
	for {
		r := runOps(m, streams, ops)
		if r.wall >= minTime || ops >= 1e9 {
			return r
		}
		next := float64(ops) * 10
		if r.wall > 0 {
			if predicted := float64(ops) * minTime * 1.4 / r.wall; predicted < next {
				next = predicted
			}
		}
		if next <= float64(ops) {
			next = float64(ops) + 1
		}
		ops = int(next)
	}
}

// ---------------------------------------------------------------------------------------------
// Output: the subset of Google Benchmark's JSON that bench_report.py reads.

type jsonRun struct {
	Name            string  `json:"name"`
	RunName         string  `json:"run_name"`
	RunType         string  `json:"run_type"`
	Repetitions     int     `json:"repetitions"`
	RepetitionIndex int     `json:"repetition_index"`
	Threads         int     `json:"threads"`
	Iterations      int64   `json:"iterations"`
	RealTime        float64 `json:"real_time"`
	CPUTime         float64 `json:"cpu_time"`
	TimeUnit        string  `json:"time_unit"`
	ItemsPerSecond  float64 `json:"items_per_second"`
	HitRatio        float64 `json:"hit_ratio"`
	ErrorOccurred   bool    `json:"error_occurred,omitempty"`
	ErrorMessage    string  `json:"error_message,omitempty"`
}

func main() {
	minTime := flag.Float64("min_time", 0.1, "seconds per repetition")
	repetitions := flag.Int("repetitions", 3, "repetitions per benchmark (the report keeps the best)")
	keyCount := flag.Int("keys", 1<<20, "keys in the map")
	threadList := flag.String("threads", "1,2,4", "goroutine counts, comma-separated")
	filter := flag.String("filter", ".", "run only benchmarks whose name matches this regexp")
	out := flag.String("out", "", "write the JSON here (default: stdout)")
	verify := flag.Bool("verify", false, "exit 1 if a load of a present key misses or of an absent key hits")
	flag.Parse()

	selected, err := regexp.Compile(*filter)
	if err != nil {
		fmt.Fprintln(os.Stderr, "syncmap_bench_go: bad -filter:", err)
		os.Exit(2)
	}
	var threads []int
	for _, f := range strings.Split(*threadList, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintln(os.Stderr, "syncmap_bench_go: bad -threads:", *threadList)
			os.Exit(2)
		}
		threads = append(threads, n)
	}

	keys := makeKeys(*keyCount)
	var mapIDs []string
	context := map[string]string{
		"date":                   time.Now().Format(time.RFC3339),
		"library_build_type":     "release",
		"num_cpus":               strconv.Itoa(runtime.NumCPU()),
		"syncmap.go.version":     runtime.Version(),
		"syncmap.go.gomaxprocs":  strconv.Itoa(runtime.GOMAXPROCS(0)),
		"syncmap.mode":           fmt.Sprintf("go, min_time %gs, %d repetitions", *minTime, *repetitions),
		"syncmap.go.comparable":  "same keys and op streams as syncmap_bench (keys.hpp, workloads.hpp)",
		"syncmap.workloads":      "",
		"syncmap.maps":           "",
		"syncmap.reference":      "",
		"syncmap.maps_skipped":   "",
		"syncmap.go.min_time":    fmt.Sprint(*minTime),
		"syncmap.go.repetitions": strconv.Itoa(*repetitions),
	}
	var workloadNames []string
	for _, w := range workloads {
		workloadNames = append(workloadNames, w.name)
	}
	context["syncmap.workloads"] = strings.Join(workloadNames, ",")
	for _, mk := range maps {
		mapIDs = append(mapIDs, mk.id)
		context["syncmap.map."+mk.id] = mk.name
	}
	context["syncmap.maps"] = strings.Join(mapIDs, ",")
	delete(context, "syncmap.reference") // the reference lives in the C++ run

	var runs []jsonRun
	failed := false
	// Same order as the C++ registration: workload, threads, then maps innermost, so the maps
	// of one table row run back to back under the same background load.
	prefilled := map[string]benchMap{}
	for _, w := range workloads {
		streams := []opStream{}
		for _, nThreads := range threads {
			for len(streams) < nThreads {
				streams = append(streams, makeStream(w, keys, len(streams)))
			}
			for _, mk := range maps {
				runName := fmt.Sprintf("%s/u64/%d/%s/real_time", w.name, *keyCount, mk.id)
				name := fmt.Sprintf("%s/threads:%d", runName, nThreads)
				if !selected.MatchString(name) {
					continue
				}
				m, ok := prefilled[mk.id]
				if !ok {
					m = mk.make()
					for i, k := range keys.hits {
						m.store(k, uint64(i))
					}
					if s, ok := m.(interface{ settle() }); ok {
						s.settle()
					}
					prefilled[mk.id] = m
				}
				for rep := 0; rep < *repetitions; rep++ {
					r := measure(m, streams[:nThreads], *minTime)
					perThread := r.ops / int64(nThreads)
					run := jsonRun{
						Name: name, RunName: runName, RunType: "iteration",
						Repetitions: *repetitions, RepetitionIndex: rep, Threads: nThreads,
						Iterations: perThread,
						// Per iteration of one goroutine, as Google Benchmark reports them.
						RealTime:       r.wall * 1e9 / float64(perThread),
						CPUTime:        r.cpu * 1e9 / float64(perThread),
						TimeUnit:       "ns",
						ItemsPerSecond: float64(r.ops) / r.wall,
					}
					if r.loads > 0 {
						run.HitRatio = float64(r.hits) / float64(r.loads)
					}
					wantAll := w.name != "load_misses"
					if (wantAll && r.hits != r.loads) || (!wantAll && r.hits != 0) {
						run.ErrorOccurred = true
						run.ErrorMessage = "hit count wrong: the inputs or the map are broken"
						failed = true
					}
					runs = append(runs, run)
					fmt.Fprintf(os.Stderr, "%-60s %8.2f Mops/s\n", name, run.ItemsPerSecond/1e6)
				}
			}
		}
	}

	doc := map[string]any{"context": context, "benchmarks": runs}
	encoded, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		fmt.Fprintln(os.Stderr, "syncmap_bench_go:", err)
		os.Exit(1)
	}
	if *out == "" {
		os.Stdout.Write(append(encoded, '\n'))
	} else if err := os.WriteFile(*out, append(encoded, '\n'), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "syncmap_bench_go:", err)
		os.Exit(1)
	}
	if failed && *verify {
		os.Exit(1)
	}
}
