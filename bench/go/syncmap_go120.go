// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT

//go:build go1.20

package main

// syncMapHasSwapCAS: Go 1.20 added sync.Map's Swap, CompareAndSwap and CompareAndDelete.
const syncMapHasSwapCAS = true

func (s *syncMap) swap(k, v uint64) (uint64, bool) {
	previous, loaded := s.m.Swap(k, v)
	if !loaded {
		return 0, false
	}
	return previous.(uint64), true
}

func (s *syncMap) compareAndSwap(k, old, new uint64) bool { return s.m.CompareAndSwap(k, old, new) }

func (s *syncMap) compareAndDelete(k, old uint64) bool { return s.m.CompareAndDelete(k, old) }
