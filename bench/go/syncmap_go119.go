// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT

//go:build !go1.20

package main

// syncMapHasSwapCAS: before Go 1.20, sync.Map has no Swap, CompareAndSwap or CompareAndDelete,
// and none of them can be built atomically from Load, Store, LoadOrStore and LoadAndDelete.
// The workloads that need them (workload.swapCAS) run on the RWMutex map only, and the JSON
// context's syncmap.not_run says so.
const syncMapHasSwapCAS = false

func (s *syncMap) swap(uint64, uint64) (uint64, bool) {
	panic("syncmap_bench_go: sync.Map.Swap needs Go 1.20")
}

func (s *syncMap) compareAndSwap(uint64, uint64, uint64) bool {
	panic("syncmap_bench_go: sync.Map.CompareAndSwap needs Go 1.20")
}

func (s *syncMap) compareAndDelete(uint64, uint64) bool {
	panic("syncmap_bench_go: sync.Map.CompareAndDelete needs Go 1.20")
}
