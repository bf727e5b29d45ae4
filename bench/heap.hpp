// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// Heap bytes in use, for the memory benchmark's bytes-per-entry figure.
//
// glibc's mallinfo2() sums every arena: uordblks counts bytes in allocated chunks of the
// arenas (chunk headers included, which is what an entry really costs), hblkhd the bytes in
// chunks served directly by mmap (large bucket arrays). Their sum before and after filling a
// map, divided by the entry count, is the map's cost per entry as malloc sees it. Memory that
// bypasses malloc (tbbmalloc's pools, for instance) is invisible here; maps.hpp's heap_twin
// exists for that reason.
//
// On other C libraries heap_bytes_in_use() reports nothing and the memory benchmark says so.
#ifndef SYNCMAP_BENCH_HEAP_HPP
#define SYNCMAP_BENCH_HEAP_HPP

#include <cstddef>
#include <optional>

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
#include <malloc.h>
#define SYNCMAP_BENCH_HAVE_MALLINFO2 1
#else
#define SYNCMAP_BENCH_HAVE_MALLINFO2 0
#endif

namespace syncmap_bench {

inline std::optional<std::size_t> heap_bytes_in_use() {
#if SYNCMAP_BENCH_HAVE_MALLINFO2
  const struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
#else
  return std::nullopt;
#endif
}

}  // namespace syncmap_bench

#endif  // SYNCMAP_BENCH_HEAP_HPP
