// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT

// Command syncmap_bench_go runs syncmap_bench's workloads that Go can express on Go's sync.Map
// and on a map behind a sync.RWMutex, and writes Google-Benchmark-shaped JSON that
// scripts/bench_report.py merges into the C++ tables as two more columns.
//
//	syncmap_bench_go [-mode=quick|full|smoke] [-min_time=S] [-repetitions=N] \
//	    [-keys=1048576[,...]] [-threads=1,2,4] [-filter=REGEX] [-verify] [-out=results.json]
//
// -mode picks the same workloads, thread counts and minimum times as syncmap_bench's mode of
// that name (bench/syncmap_bench.cpp); a flag given explicitly overrides the mode's value.
//
// Two kinds of workload, both defined as in the C++ harness:
//   - syncmap's own (load_hits, load_misses, hot_key_reads, load90_store10, load50_store50,
//     load50_store25_erase25): inputs are the C++ harness's, bit for bit (keys.hpp's splitmix64
//     key derivation and random_source, workloads.hpp's seeds and stream lengths), built before
//     timing, on a map prefilled once.
//   - Go's own sync.Map benchmark set (go_*, from Go's src/sync/map_bench_test.go): a fresh
//     map per run, set up as Go sets it up; goroutine t's loop counter starts at t*N (N: this
//     run's operations per goroutine, Go's b.N) and key index i means the same derived key as
//     in C++ (workloads.hpp explains the mapping). Keys are built before timing.
//
// Benchmark names follow syncmap_bench.cpp: <workload>/u64/<keys>/<map id>/real_time/threads:<n>
// (Go's set: <keys> is its 1024-key span).
//
// Threads are goroutines; GOMAXPROCS stays at its default (the machine's CPU count), so 4
// goroutines on 2 CPUs oversubscribe the way 4 threads do in the C++ runs. Timing follows
// Google Benchmark: the first repetition runs the workload with a growing operation count until
// one run lasts at least min_time, the others reuse that count (the workloads that grow the
// map run the mode's fixed count instead, as in C++), and each reports operations per second
// of wall time summed over goroutines; a runtime.GC() precedes each benchmark, and
// syncmap's own workloads get an untimed warm-up first (see record in main). Go 1.19's
// sync.Map (Debian 12's Go) is the read/dirty design rcu_map mirrors (Go 1.24 replaced it with a
// hash trie); it has no Swap, CompareAndSwap or CompareAndDelete (Go 1.20 added them), so on Go
// 1.19 the workloads that need them run on the RWMutex map only (syncmap_go119.go).
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

// keyOf is key_traits<uint64_t>::make(i): the key of index i.
func keyOf(i uint64) uint64 { return scramble(deriveSeed(1, 0, 0) + i) }

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

// keySet holds n keys present in the map and n that never are (key_set in keys.hpp).
type keySet struct{ hits, misses []uint64 }

func makeKeys(n int) keySet {
	ks := keySet{make([]uint64, n), make([]uint64, n)}
	for i := 0; i < n; i++ {
		ks.hits[i] = keyOf(uint64(i))
		ks.misses[i] = keyOf(uint64(n + i))
	}
	return ks
}

// ---------------------------------------------------------------------------------------------
// Workloads (bench/workloads.hpp). The ids must equal workload_id's enumerator values there,
// because they seed the streams of syncmap's own workloads.

type goSetup int

const (
	setupEmpty      goSetup = iota // no setup
	setupOneKey                    // LoadOrStore(0, 0)
	setupPrimedHits                // LoadOrStore(i, i) for i < hits, then Load(i % hits) for i < 2*hits
	setupAllKeys                   // Store(i, i) for i < goSpan
)

// goSpan is Go's hits + misses, and the population of Range and AdversarialDelete.
const goSpan = 1024

type workload struct {
	id       uint64
	name     string
	readOnly bool
	quick    bool // in quick mode (full and smoke run every workload)
	goSet    bool // Go's benchmark set; the fields below apply to it only
	setup    goSetup
	hits     uint64 // the i % goSpan workloads: indices below this are present
	fresh    bool   // uses the keys of indices t*N .. t*N+N-1
	swapCAS  bool   // needs Swap, CompareAndSwap or CompareAndDelete
	grows    bool   // stores fresh keys as it runs: a fixed operation count (goGrowingOps)
}

var workloads = []workload{
	{id: 0, name: "load_hits", readOnly: true, quick: true},
	{id: 1, name: "load_misses", readOnly: true, quick: true},
	{id: 6, name: "hot_key_reads", readOnly: true, quick: true},
	{id: 2, name: "load90_store10", quick: true},
	{id: 7, name: "load50_store50", quick: true},
	{id: 4, name: "load50_store25_erase25", quick: true},
	// Go's set, in workloads.hpp's order (the same quick marks).
	{id: 9, name: "go_LoadMostlyHits", readOnly: true, quick: true, goSet: true, setup: setupPrimedHits, hits: 1023},
	{id: 10, name: "go_LoadMostlyMisses", readOnly: true, goSet: true, setup: setupPrimedHits, hits: 1},
	{id: 11, name: "go_LoadOrStoreBalanced", goSet: true, setup: setupPrimedHits, hits: 128, fresh: true, grows: true},
	{id: 12, name: "go_LoadOrStoreUnique", goSet: true, fresh: true, grows: true},
	{id: 13, name: "go_LoadOrStoreCollision", goSet: true, setup: setupOneKey},
	{id: 14, name: "go_LoadAndDeleteBalanced", goSet: true, setup: setupPrimedHits, hits: 128, fresh: true},
	{id: 15, name: "go_LoadAndDeleteUnique", goSet: true, fresh: true},
	{id: 16, name: "go_LoadAndDeleteCollision", quick: true, goSet: true, setup: setupOneKey},
	{id: 17, name: "go_Range", readOnly: true, goSet: true, setup: setupAllKeys},
	{id: 18, name: "go_AdversarialAlloc", quick: true, goSet: true, fresh: true, grows: true},
	{id: 19, name: "go_AdversarialDelete", quick: true, goSet: true, setup: setupAllKeys, fresh: true},
	{id: 20, name: "go_DeleteCollision", goSet: true, setup: setupOneKey},
	{id: 21, name: "go_SwapCollision", goSet: true, setup: setupOneKey, swapCAS: true},
	{id: 22, name: "go_SwapMostlyHits", goSet: true, setup: setupPrimedHits, hits: 1023, fresh: true, swapCAS: true},
	{id: 23, name: "go_SwapMostlyMisses", goSet: true, setup: setupPrimedHits, hits: 1, fresh: true, swapCAS: true},
	{id: 24, name: "go_CompareAndSwapCollision", goSet: true, setup: setupOneKey, swapCAS: true},
	{id: 25, name: "go_CompareAndSwapNoExistingKey", goSet: true, fresh: true, swapCAS: true},
	{id: 26, name: "go_CompareAndSwapValueNotEqual", goSet: true, setup: setupOneKey, swapCAS: true},
	{id: 27, name: "go_CompareAndSwapMostlyHits", goSet: true, setup: setupPrimedHits, hits: 1023, fresh: true, swapCAS: true},
	{id: 28, name: "go_CompareAndSwapMostlyMisses", goSet: true, setup: setupPrimedHits, hits: 1, fresh: true, swapCAS: true},
	{id: 29, name: "go_CompareAndDeleteCollision", goSet: true, setup: setupOneKey, swapCAS: true},
	{id: 30, name: "go_CompareAndDeleteMostlyHits", goSet: true, setup: setupPrimedHits, hits: 1023, fresh: true, swapCAS: true},
	{id: 31, name: "go_CompareAndDeleteMostlyMisses", goSet: true, setup: setupPrimedHits, hits: 1, fresh: true, swapCAS: true},
}

const hotKeyCount = 16

// warmupOps is the untimed run per goroutine before each benchmark of syncmap's own workloads.
const warmupOps = 1 << 16

const (
	opLoad byte = iota
	opStore
	opErase
)

// opStream is one goroutine's keys, and for mixed workloads each operation's kind.
type opStream struct {
	keys []uint64
	ops  []byte
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

// makeStream is make_stream() in workloads.hpp.
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
		default: // load90_store10, load50_store50, load50_store25_erase25
			s.keys = append(s.keys, ks.hits[rng.below(n)])
			loadShare := uint64(50)
			if w.name == "load90_store10" {
				loadShare = 90
			}
			pct := rng.below(100)
			switch {
			case pct < loadShare:
				s.ops = append(s.ops, opLoad)
			case w.name == "load50_store25_erase25" && pct >= 75:
				s.ops = append(s.ops, opErase)
			default:
				s.ops = append(s.ops, opStore)
			}
		}
	}
	return s
}

// ---------------------------------------------------------------------------------------------
// Maps.

type benchMap interface {
	load(k uint64) (uint64, bool)
	store(k, v uint64)
	erase(k uint64)
	loadOrStore(k, v uint64) (uint64, bool)
	loadAndDelete(k uint64) (uint64, bool)
	swap(k, v uint64) (uint64, bool)
	compareAndSwap(k, old, new uint64) bool
	compareAndDelete(k, old uint64) bool
	rangeAll(f func(k, v uint64) bool)
}

// syncMap is what Go users get: keys and values are boxed in interfaces, as sync.Map requires
// (Go's own benchmarks box their int keys the same way). swap, compareAndSwap and
// compareAndDelete live in syncmap_go120.go / syncmap_go119.go.
type syncMap struct{ m sync.Map }

func (s *syncMap) load(k uint64) (uint64, bool) {
	v, ok := s.m.Load(k)
	if !ok {
		return 0, false
	}
	return v.(uint64), true
}
func (s *syncMap) store(k, v uint64) { s.m.Store(k, v) }
func (s *syncMap) erase(k uint64)    { s.m.Delete(k) }
func (s *syncMap) loadOrStore(k, v uint64) (uint64, bool) {
	actual, loaded := s.m.LoadOrStore(k, v)
	return actual.(uint64), loaded
}
func (s *syncMap) loadAndDelete(k uint64) (uint64, bool) {
	v, loaded := s.m.LoadAndDelete(k)
	if !loaded {
		return 0, false
	}
	return v.(uint64), true
}
func (s *syncMap) rangeAll(f func(k, v uint64) bool) {
	s.m.Range(func(k, v any) bool { return f(k.(uint64), v.(uint64)) })
}

// settle promotes the dirty map, which prefilling left holding every key: Range does that first.
func (s *syncMap) settle() { s.m.Range(func(any, any) bool { return false }) }

// rwMutexMap is Go's RWMutexMap (sync's map_reference_test.go) on a typed map: Load and Range
// under the read lock, everything else under the write lock.
type rwMutexMap struct {
	mu sync.RWMutex // guards m: shared by load and rangeAll, exclusive by the rest
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
func (r *rwMutexMap) erase(k uint64) {
	r.mu.Lock()
	delete(r.m, k)
	r.mu.Unlock()
}
func (r *rwMutexMap) loadOrStore(k, v uint64) (uint64, bool) {
	r.mu.Lock()
	actual, loaded := r.m[k]
	if !loaded {
		actual = v
		r.m[k] = v
	}
	r.mu.Unlock()
	return actual, loaded
}
func (r *rwMutexMap) loadAndDelete(k uint64) (uint64, bool) {
	r.mu.Lock()
	v, loaded := r.m[k]
	delete(r.m, k)
	r.mu.Unlock()
	return v, loaded
}
func (r *rwMutexMap) swap(k, v uint64) (uint64, bool) {
	r.mu.Lock()
	previous, loaded := r.m[k]
	r.m[k] = v
	r.mu.Unlock()
	return previous, loaded
}
func (r *rwMutexMap) compareAndSwap(k, old, new uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.m[k]; !ok || v != old {
		return false
	}
	r.m[k] = new
	return true
}
func (r *rwMutexMap) compareAndDelete(k, old uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if v, ok := r.m[k]; !ok || v != old {
		return false
	}
	delete(r.m, k)
	return true
}
func (r *rwMutexMap) rangeAll(f func(k, v uint64) bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for k, v := range r.m {
		if !f(k, v) {
			break
		}
	}
}

type mapKind struct {
	id, name string
	make     func() benchMap
	runs     func(w workload) bool
}

var maps = []mapKind{
	{"go_sync_map", "Go sync.Map", func() benchMap { return &syncMap{} },
		func(w workload) bool { return syncMapHasSwapCAS || !w.swapCAS }},
	{"go_map_rwmutex", "Go map+RWMutex", func() benchMap { return &rwMutexMap{m: map[uint64]uint64{}} },
		func(workload) bool { return true }},
}

// ---------------------------------------------------------------------------------------------
// Loops. Each goroutine sums the values it reads in a local and adds the sum to sinkValue when
// done, so no read can be optimized away and nothing shared is written inside the timed loop.

var (
	sinkMu    sync.Mutex // guards sinkValue
	sinkValue uint64
)

type counts struct {
	hits, loads, failures int64
	sum                   uint64
}

// body runs ops operations as goroutine t.
type body func(t, ops int) counts

// steadyBody runs syncmap's own workloads on a prefilled map.
func steadyBody(m benchMap, streams []opStream) body {
	return func(t, ops int) counts {
		var c counts
		s := streams[t]
		length := len(s.keys)
		i := 0
		if s.ops == nil {
			for n := 0; n < ops; n++ {
				if v, ok := m.load(s.keys[i]); ok {
					c.hits++
					c.sum += v
				}
				if i++; i == length {
					i = 0
				}
			}
			c.loads = int64(ops)
			return c
		}
		for n := 0; n < ops; n++ {
			switch s.ops[i] {
			case opLoad:
				c.loads++
				if v, ok := m.load(s.keys[i]); ok {
					c.hits++
					c.sum += v
				}
			case opStore:
				m.store(s.keys[i], uint64(i))
			case opErase:
				m.erase(s.keys[i])
			}
			if i++; i == length {
				i = 0
			}
		}
		return c
	}
}

// goSetUp is the setup function of Go's benchmark w.
func goSetUp(w workload, m benchMap, small []uint64) {
	switch w.setup {
	case setupOneKey:
		m.loadOrStore(small[0], 0)
	case setupPrimedHits:
		for i := uint64(0); i < w.hits; i++ {
			m.loadOrStore(small[i], i)
		}
		for i := uint64(0); i < 2*w.hits; i++ {
			m.load(small[i%w.hits])
		}
	case setupAllKeys:
		for i := uint64(0); i < goSpan; i++ {
			m.store(small[i], i)
		}
	}
}

// goBody runs Go's loop body of benchmark w (the same as run_go() in syncmap_bench.cpp).
// fresh[t][k] is the key of index t*n + k; n is every goroutine's operation count.
func goBody(w workload, m benchMap, small []uint64, fresh [][]uint64, n int) body {
	return func(t, ops int) counts {
		var c counts
		var own []uint64
		if fresh != nil {
			own = fresh[t]
		}
		i := uint64(t) * uint64(n) // Go's loop counter, starting at id*b.N
		j := i % goSpan            // i % (hits + misses)
		step := func() {
			i++
			if j++; j == goSpan {
				j = 0
			}
		}
		hits := w.hits
		switch w.name {
		case "go_LoadMostlyHits", "go_LoadMostlyMisses":
			for k := 0; k < ops; k++ {
				if v, ok := m.load(small[j]); ok {
					c.hits++
					c.sum += v
				}
				step()
			}
			c.loads = int64(ops)
		case "go_LoadOrStoreBalanced", "go_LoadAndDeleteBalanced":
			store := w.name == "go_LoadOrStoreBalanced"
			for k := 0; k < ops; k++ {
				if jj := j % (2 * hits); jj < hits {
					if store {
						if _, loaded := m.loadOrStore(small[jj], i); !loaded {
							c.failures++
						}
					} else {
						m.loadAndDelete(small[jj])
					}
				} else if store {
					if _, loaded := m.loadOrStore(own[k], i); loaded {
						c.failures++
					}
				} else if _, loaded := m.loadAndDelete(own[k]); loaded {
					c.failures++
				}
				step()
			}
		case "go_LoadOrStoreUnique":
			for k := 0; k < ops; k++ {
				if _, loaded := m.loadOrStore(own[k], i); loaded {
					c.failures++
				}
				step()
			}
		case "go_LoadOrStoreCollision":
			for k := 0; k < ops; k++ {
				if _, loaded := m.loadOrStore(small[0], 0); !loaded {
					c.failures++
				}
				step()
			}
		case "go_LoadAndDeleteUnique":
			for k := 0; k < ops; k++ {
				if _, loaded := m.loadAndDelete(own[k]); loaded {
					c.failures++
				}
				step()
			}
		case "go_LoadAndDeleteCollision":
			for k := 0; k < ops; k++ {
				if _, loaded := m.loadAndDelete(small[0]); loaded {
					m.store(small[0], 0)
				}
				step()
			}
		case "go_Range":
			for k := 0; k < ops; k++ {
				calls := 0
				m.rangeAll(func(_, _ uint64) bool {
					calls++
					return true
				})
				if calls != goSpan { // no writers: every entry, once
					c.failures++
				}
				step()
			}
		case "go_AdversarialAlloc":
			var stores, loadsSinceStore uint64
			for k := 0; k < ops; k++ {
				m.load(own[k])
				if loadsSinceStore++; loadsSinceStore > stores {
					m.loadOrStore(own[k], stores)
					loadsSinceStore = 0
					stores++
				}
				step()
			}
		case "go_AdversarialDelete":
			for k := 0; k < ops; k++ {
				m.load(own[k])
				if j == 0 {
					// As in C++: the first key Range sees is copied out and deleted after it.
					var first uint64
					found := false
					m.rangeAll(func(key, _ uint64) bool {
						first, found = key, true
						return false
					})
					if found {
						m.erase(first)
					}
					m.store(own[k], i)
				}
				step()
			}
		case "go_DeleteCollision":
			for k := 0; k < ops; k++ {
				m.erase(small[0])
				step()
			}
		case "go_SwapCollision":
			for k := 0; k < ops; k++ {
				m.swap(small[0], 0)
				step()
			}
		case "go_SwapMostlyHits", "go_SwapMostlyMisses":
			for k := 0; k < ops; k++ {
				if j < hits {
					m.swap(small[j], j)
				} else {
					m.swap(own[k], i)
					m.erase(own[k])
				}
				step()
			}
		case "go_CompareAndSwapCollision":
			for k := 0; k < ops; k++ {
				if m.compareAndSwap(small[0], 0, 42) && !m.compareAndSwap(small[0], 42, 0) {
					c.failures++
				}
				step()
			}
		case "go_CompareAndSwapNoExistingKey":
			for k := 0; k < ops; k++ {
				if m.compareAndSwap(own[k], 0, 0) {
					m.erase(own[k])
					c.failures++
				}
				step()
			}
		case "go_CompareAndSwapValueNotEqual":
			for k := 0; k < ops; k++ {
				if m.compareAndSwap(small[0], 1, 2) {
					c.failures++
				}
				step()
			}
		case "go_CompareAndSwapMostlyHits", "go_CompareAndSwapMostlyMisses":
			for k := 0; k < ops; k++ {
				if j < hits {
					if !m.compareAndSwap(small[j], j, j) {
						c.failures++
					}
				} else if m.compareAndSwap(own[k], i, i) {
					c.failures++
				}
				step()
			}
		case "go_CompareAndDeleteCollision":
			for k := 0; k < ops; k++ {
				if m.compareAndDelete(small[0], 0) {
					m.store(small[0], 0)
				}
				step()
			}
		case "go_CompareAndDeleteMostlyHits", "go_CompareAndDeleteMostlyMisses":
			for k := 0; k < ops; k++ {
				if j < hits {
					if m.compareAndDelete(small[j], j) {
						m.store(small[j], j)
					}
				} else if m.compareAndDelete(own[k], i) {
					m.store(own[k], i)
					c.failures++
				}
				step()
			}
		default:
			panic("syncmap_bench_go: no loop for " + w.name)
		}
		return c
	}
}

// ---------------------------------------------------------------------------------------------
// Timing.

type result struct {
	ops  int64   // operations, all goroutines
	wall float64 // seconds
	cpu  float64 // process CPU seconds (includes the garbage collector)
	counts
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// runParallel runs f(t, opsPerThread) on goroutines t = 0..threads-1, released together.
func runParallel(threads, opsPerThread int, f body) result {
	var start, done sync.WaitGroup
	var release sync.Mutex
	var total counts
	var totalMu sync.Mutex // guards total
	release.Lock()
	start.Add(threads)
	done.Add(threads)
	for t := 0; t < threads; t++ {
		go func(t int) {
			defer done.Done()
			start.Done()
			release.Lock() // the start barrier: every goroutine waits here for the timer
			release.Unlock()
			c := f(t, opsPerThread)
			sinkMu.Lock()
			sinkValue += c.sum
			sinkMu.Unlock()
			totalMu.Lock()
			total.hits += c.hits
			total.loads += c.loads
			total.failures += c.failures
			totalMu.Unlock()
		}(t)
	}
	start.Wait()
	cpu0 := cpuSeconds()
	t0 := time.Now()
	release.Unlock()
	done.Wait()
	wall := time.Since(t0).Seconds()
	return result{
		ops:    int64(opsPerThread) * int64(threads),
		wall:   wall,
		cpu:    cpuSeconds() - cpu0,
		counts: total,
	}
}

// measure grows the per-goroutine operation count as Google Benchmark does (aim 40% past
// min_time, at most 10x per step) until one run lasts min_time, and returns that run and its
// operation count. With ops > 0 it runs that count once instead: like Google Benchmark, only a
// benchmark's first repetition searches, and the others reuse its count. prepare(ops) builds
// what a run of ops operations per goroutine needs, untimed.
func measure(prepare func(ops int) body, threads int, minTime float64, ops int) (result, int) {
	if ops > 0 {
		return runParallel(threads, ops, prepare(ops)), ops
	}
	ops = 1
	for {
		r := runParallel(threads, ops, prepare(ops))
		if r.wall >= minTime || ops >= 1e9 {
			return r, ops
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
	HitRatio        float64 `json:"hit_ratio,omitempty"`
	ErrorOccurred   bool    `json:"error_occurred,omitempty"`
	ErrorMessage    string  `json:"error_message,omitempty"`
}

// modeDefaults mirrors syncmap_bench.cpp's modes.
type modeDefaults struct {
	threads, keys string
	minTime       float64
	goMinTime     float64 // Go's set, unless -min_time is given
	repetitions   int
	all, verify   bool
	// Operations, summed over goroutines, of each run of a workload that grows the map (as
	// mode_spec::go_growing_ops in syncmap_bench.cpp; see go_workload_info::grows there);
	// 0: timed like the others.
	goGrowingOps int
}

var modes = map[string]modeDefaults{
	"quick": {"1,2,4", "1048576", 0.07, 0.05, 3, false, false, 1 << 18},
	"full":  {"1,2,4,8", "1024,1048576", 0.15, 0.05, 3, true, false, 1 << 18},
	"smoke": {"1,2", "1024", 0.001, 0.001, 1, true, true, 0},
}

func parseList(flagName, text string) []int {
	var out []int
	for _, f := range strings.Split(text, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "syncmap_bench_go: bad -%s: %s\n", flagName, text)
			os.Exit(2)
		}
		out = append(out, n)
	}
	return out
}

func main() {
	mode := flag.String("mode", "quick", "quick, full or smoke: workloads, threads, keys and times as syncmap_bench's mode")
	minTime := flag.Float64("min_time", 0, "seconds per repetition (default: the mode's)")
	repetitions := flag.Int("repetitions", 0, "repetitions per benchmark; the report keeps the best (default: the mode's)")
	keyList := flag.String("keys", "", "key counts of syncmap's own workloads, comma-separated (default: the mode's)")
	threadList := flag.String("threads", "", "goroutine counts, comma-separated (default: the mode's)")
	filter := flag.String("filter", ".", "run only benchmarks whose name matches this regexp")
	out := flag.String("out", "", "write the JSON here (default: stdout)")
	verify := flag.Bool("verify", false, "exit 1 if a result is wrong (default: on in smoke mode)")
	flag.Parse()

	defaults, ok := modes[*mode]
	if !ok {
		fmt.Fprintln(os.Stderr, "syncmap_bench_go: unknown -mode:", *mode)
		os.Exit(2)
	}
	set := map[string]bool{}
	flag.Visit(func(f *flag.Flag) { set[f.Name] = true })
	goMinTime := *minTime
	if !set["min_time"] {
		*minTime = defaults.minTime
		goMinTime = defaults.goMinTime
	}
	if !set["repetitions"] {
		*repetitions = defaults.repetitions
	}
	if !set["keys"] {
		*keyList = defaults.keys
	}
	if !set["threads"] {
		*threadList = defaults.threads
	}
	if !set["verify"] {
		*verify = defaults.verify
	}
	selected, err := regexp.Compile(*filter)
	if err != nil {
		fmt.Fprintln(os.Stderr, "syncmap_bench_go: bad -filter:", err)
		os.Exit(2)
	}
	threads := parseList("threads", *threadList)
	keyCounts := parseList("keys", *keyList)

	var active []workload
	var workloadNames, notRun []string
	for _, w := range workloads {
		if defaults.all || w.quick {
			active = append(active, w)
			workloadNames = append(workloadNames, w.name)
		}
	}
	var mapIDs []string
	context := map[string]string{
		"date":                    time.Now().Format(time.RFC3339),
		"library_build_type":      "release",
		"num_cpus":                strconv.Itoa(runtime.NumCPU()),
		"syncmap.go.version":      runtime.Version(),
		"syncmap.go.gomaxprocs":   strconv.Itoa(runtime.GOMAXPROCS(0)),
		"syncmap.mode":            fmt.Sprintf("go %s, min_time %gs, %d repetitions", *mode, *minTime, *repetitions),
		"syncmap.go.comparable":   "same keys and op streams as syncmap_bench (keys.hpp, workloads.hpp)",
		"syncmap.workloads":       strings.Join(workloadNames, ","),
		"syncmap.go.min_time":     fmt.Sprint(*minTime),
		"syncmap.go.set_min_time": fmt.Sprint(goMinTime),
		"syncmap.go.repetitions":  strconv.Itoa(*repetitions),
	}
	for _, mk := range maps {
		mapIDs = append(mapIDs, mk.id)
		context["syncmap.map."+mk.id] = mk.name
		for _, w := range active {
			if !mk.runs(w) {
				notRun = append(notRun, fmt.Sprintf("%s on %s: needs Swap/CompareAndSwap/CompareAndDelete, which %s's sync.Map lacks (Go 1.20 added them)", w.name, mk.id, runtime.Version()))
			}
		}
	}
	context["syncmap.maps"] = strings.Join(mapIDs, ",")
	context["syncmap.not_run"] = strings.Join(notRun, "; ")

	small := make([]uint64, goSpan)
	for i := range small {
		small[i] = keyOf(uint64(i))
	}

	var runs []jsonRun
	failed := false
	runName := func(w workload, keys int, mk mapKind) string {
		return fmt.Sprintf("%s/u64/%d/%s/real_time", w.name, keys, mk.id)
	}
	wanted := func(w workload, keys int, mk mapKind, nThreads int) bool {
		return selected.MatchString(fmt.Sprintf("%s/threads:%d", runName(w, keys, mk), nThreads))
	}
	// record runs one benchmark's repetitions and appends them to runs. With warmup > 0, an
	// untimed run of warmup operations per goroutine comes first (see the prefilled maps
	// below). A garbage collection precedes the benchmark: Go's testing package collects before
	// every run, but with a prefilled 2^20-entry sync.Map in the heap one collection costs
	// about as much as a run, so here it is once per benchmark.
	record := func(w workload, keys int, mk mapKind, nThreads int, warmup int,
		prepare func(ops int) body) {
		if !wanted(w, keys, mk, nThreads) {
			return
		}
		runName := runName(w, keys, mk)
		name := fmt.Sprintf("%s/threads:%d", runName, nThreads)
		if warmup > 0 {
			runParallel(nThreads, warmup, prepare(warmup))
		}
		runtime.GC()
		ops := 0 // found by the first repetition
		if w.grows && defaults.goGrowingOps > 0 {
			ops = defaults.goGrowingOps / nThreads // per goroutine, like Google Benchmark's iterations
		}
		minTime := *minTime
		if w.goSet {
			minTime = goMinTime
		}
		for rep := 0; rep < *repetitions; rep++ {
			var r result
			r, ops = measure(prepare, nThreads, minTime, ops)
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
			bad := r.failures != 0
			switch w.name {
			case "load_hits", "hot_key_reads", "load90_store10", "load50_store50":
				bad = bad || r.hits != r.loads
			case "load_misses":
				bad = bad || r.hits != 0
			}
			if bad {
				run.ErrorOccurred = true
				run.ErrorMessage = "wrong results: the inputs or the map are broken"
				failed = true
			}
			runs = append(runs, run)
			fmt.Fprintf(os.Stderr, "%-64s %9.3f Mops/s\n", name, run.ItemsPerSecond/1e6)
		}
	}

	// Same order as the C++ registration: workload, threads, then maps innermost, so the maps
	// of one table row run back to back under the same background load.
	for _, keys := range keyCounts {
		ks := makeKeys(keys)
		prefilled := map[string]benchMap{}
		for _, w := range active {
			if w.goSet {
				continue
			}
			streams := []opStream{}
			for _, nThreads := range threads {
				for len(streams) < nThreads {
					streams = append(streams, makeStream(w, ks, len(streams)))
				}
				for _, mk := range maps {
					if !wanted(w, keys, mk, nThreads) {
						continue
					}
					half := w.name == "load50_store25_erase25"
					key := fmt.Sprintf("%s/%v", mk.id, half)
					m, ok := prefilled[key]
					if !ok {
						m = mk.make()
						for i := 0; i < keys; i++ {
							if !half || i%2 == 0 {
								m.store(ks.hits[i], uint64(i))
							}
						}
						if s, ok := m.(interface{ settle() }); ok {
							s.settle()
						}
						prefilled[key] = m
					}
					// The warm-up: at 2^20 keys, the first sync.Map write of a new key after a
					// promotion copies the whole read map into a new dirty map, which takes
					// longer than min_time; a search that met it in its first, one-operation
					// run would report that run. The C++ maps' copies are far shorter.
					f := steadyBody(m, streams[:nThreads])
					record(w, keys, mk, nThreads, warmupOps, func(int) body { return f })
				}
			}
		}
	}
	for _, w := range active {
		if !w.goSet {
			continue
		}
		for _, nThreads := range threads {
			for _, mk := range maps {
				if !mk.runs(w) {
					continue
				}
				w, mk, nThreads := w, mk, nThreads
				record(w, goSpan, mk, nThreads, 0, func(ops int) body {
					m := mk.make()
					goSetUp(w, m, small)
					var fresh [][]uint64
					if w.fresh {
						fresh = make([][]uint64, nThreads)
						for t := range fresh {
							fresh[t] = make([]uint64, ops)
							for k := range fresh[t] {
								fresh[t][k] = keyOf(uint64(t)*uint64(ops) + uint64(k))
							}
						}
					}
					return goBody(w, m, small, fresh, ops)
				})
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
		fmt.Fprintln(os.Stderr, "syncmap_bench_go: result checks failed (see the errors in the JSON)")
		os.Exit(1)
	}
}
