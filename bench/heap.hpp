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
// glibc's per-thread cache (tcache) needs care: it keeps up to 7 freed chunks of each small size
// (requests up to 1032 bytes, 64 size classes) for the thread that freed them, and mallinfo2()
// counts a cached chunk as in use. So a small allocation served from the cache changes no
// figure (an empty std::unordered_map measured 0 bytes that way), and a chunk freed into it
// during the fill (an outgrown bucket array) still counts. heap_meter corrects both. Before its
// first reading it empties the cache: per size class it allocates (and holds until it is
// destroyed) until one allocation moves the figure by exactly one chunk, which means it came
// from the arena, so the cache was empty, and took no other chunks of that size along into the
// cache (malloc refills the cache from a bin it takes a chunk from). The measured allocations
// then all come from the arena. At the second reading it takes the chunks cached since, one by
// one, telling each from an arena allocation by whether the figure moved, and does not count
// them.
//
// On other C libraries heap_bytes_in_use() reports nothing and the memory benchmark says so.
#ifndef SYNCMAP_BENCH_HEAP_HPP
#define SYNCMAP_BENCH_HEAP_HPP

#include <cstddef>
#include <cstdlib>
#include <optional>
#include <vector>

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

// Heap bytes allocated by this thread between construction and bytes_since() and still in use
// (see the header comment). Single-threaded; not copyable.
class heap_meter {
 public:
  heap_meter() {
    held_.reserve(tcache_classes * 2 * max_tries_per_class);
    for (std::size_t c = 0; c < tcache_classes; ++c) {
      for (std::size_t i = 0; i < max_tries_per_class; ++i) {
        const std::optional<std::size_t> at = heap_bytes_in_use();
        held_.push_back(std::malloc(request_size(c)));
        const std::optional<std::size_t> now = heap_bytes_in_use();
        if (!at || !now || *now - *at == chunk_size(c)) break;
      }
    }
    before_ = heap_bytes_in_use();
  }
  heap_meter(const heap_meter&) = delete;
  heap_meter& operator=(const heap_meter&) = delete;
  ~heap_meter() {
    for (void* p : held_)
      std::free(p);
  }

  std::optional<std::size_t> bytes_since() {
    const std::optional<std::size_t> after = heap_bytes_in_use();
    if (!before_ || !after) return std::nullopt;
    std::size_t cached = 0;
    for (std::size_t c = 0; c < tcache_classes; ++c) {
      // A chunk from the cache leaves the figure as it was; the first one that moves it came
      // from the arena, so this size class's cache is empty.
      for (std::size_t i = 0; i < max_tries_per_class; ++i) {
        const std::optional<std::size_t> at = heap_bytes_in_use();
        held_.push_back(std::malloc(request_size(c)));
        if (heap_bytes_in_use() != at) break;
        cached += chunk_size(c);
      }
    }
    const std::size_t grown = *after > *before_ ? *after - *before_ : 0;
    return grown > cached ? grown - cached : 0;
  }

 private:
  // glibc's defaults: 64 classes of 16 bytes from 32-byte chunks, 7 chunks each.
  static constexpr std::size_t tcache_classes = 64;
  static constexpr std::size_t max_tries_per_class = 64;
  static constexpr std::size_t request_size(std::size_t c) { return 24 + 16 * c; }
  static constexpr std::size_t chunk_size(std::size_t c) { return 32 + 16 * c; }

  std::vector<void*> held_;  // chunks taken from the cache (and the probes), freed at the end
  std::optional<std::size_t> before_;
};

}  // namespace syncmap_bench

#endif  // SYNCMAP_BENCH_HEAP_HPP
