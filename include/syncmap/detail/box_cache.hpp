// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// A per-thread cache of freed rcu_map value boxes.
//
// Every rcu_map write allocates a box and retires the one it replaced; the epoch collector
// later frees retired boxes in batches of retire_list::soft_limit. glibc's per-thread cache
// holds 7 blocks of a size, so most of a batch falls through to its slower bins, and the
// next writes allocate from them again: about 180 of the 460 instructions of a store
// (scripts/callgrind_ops.sh; 281 with this cache). It keeps up to `capacity` freed boxes on the
// thread that freed them (the collecting writer) and hands them back to that thread's next
// allocations.
//
// Rules:
// - Only for std::allocator (box_cache_enabled<Allocator>): any two std::allocators are
//   interchangeable, so a box freed by one map may serve another map of the same type. A
//   user's allocator always sees every allocation and deallocation.
// - Thread-local only: a block is taken by the thread that gave it, so the happens-before
//   chain that made the free safe (the collector's scan, rcu_core [E2]/epoch.hpp I2) ends in
//   the same thread that reuses the memory. No atomics.
// - The value is destroyed before the block is cached; only raw memory is kept. Live-object
//   counts are unaffected.
// - Off under AddressSanitizer and MemorySanitizer (a cached block is not freed, so a
//   use-after-free would go unreported) and with SYNCMAP_NO_BOX_CACHE defined.
// - At thread exit the blocks are freed; a box freed later on that thread (a thread_local
//   destructor using a map) is freed directly.
#ifndef SYNCMAP_DETAIL_BOX_CACHE_HPP
#define SYNCMAP_DETAIL_BOX_CACHE_HPP

#include <cstddef>
#include <memory>
#include <new>
#include <type_traits>

#include "config.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define SYNCMAP_DETAIL_BOX_CACHE_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define SYNCMAP_DETAIL_BOX_CACHE_SANITIZED 1
#endif
#endif
#ifndef SYNCMAP_DETAIL_BOX_CACHE_SANITIZED
#define SYNCMAP_DETAIL_BOX_CACHE_SANITIZED 0
#endif

SYNCMAP_NAMESPACE_BEGIN
namespace detail {

template <class Allocator, class Box>
inline constexpr bool box_cache_enabled =
#if defined(SYNCMAP_NO_BOX_CACHE) || SYNCMAP_DETAIL_BOX_CACHE_SANITIZED
    false;
#else
    std::is_same_v<typename std::allocator_traits<Allocator>::template rebind_alloc<Box>,
                   std::allocator<Box>>;
#endif

// Storage for Box objects. BlockAllocator frees what the cache does not keep: stateless, so
// any instance frees what another allocated (std::allocator<Box> in rcu_map; tests count).
template <class Box, class BlockAllocator = std::allocator<Box>>
class box_cache {
 public:
  // Enough to absorb one collection's batch (retire_list::soft_limit is 1024) for small
  // values, and at most 32 KiB of boxes (but 8 boxes at least) per thread and map type:
  // 1024 boxes of a uint64 value (32 bytes each) hold 32 KiB. With the batch larger than the
  // cache, most of each batch went back to glibc's slower bins and the next writes allocated
  // from them: perf of go_SwapCollision at 2 threads, 26% in _int_malloc and _int_free with
  // batches of 2048 and a 256-box cache.
  static constexpr unsigned capacity = [] {
    constexpr std::size_t by_bytes = std::size_t{32768} / sizeof(Box);
    return static_cast<unsigned>(by_bytes < 8 ? 8 : by_bytes > 1024 ? 1024 : by_bytes);
  }();

  // A cached block (uninitialized storage for one Box), or nullptr.
  static Box* take() noexcept {
    thread_state& state = tls_;
    block* b = state.head;
    if (b == nullptr) return nullptr;
    state.head = b->next;
    --state.count;
    b->~block();
    return reinterpret_cast<Box*>(b);
  }

  // Storage of a destroyed Box: kept for a later take() on this thread, or freed.
  static void give(Box* storage) noexcept {
    thread_state& state = tls_;
    if (SYNCMAP_UNLIKELY(state.phase != thread_phase::caching)) {
      if (state.phase == thread_phase::exited) return deallocate(storage);
      // First use on this thread: constructing the drainer schedules its destructor for
      // this thread's exit.
      (void)&drainer_;
      state.phase = thread_phase::caching;
    }
    if (state.count == capacity) return deallocate(storage);
    state.head = ::new (static_cast<void*>(storage)) block{state.head};
    ++state.count;
  }

  // Blocks cached on this thread (tests).
  static unsigned cached() noexcept { return tls_.count; }

 private:
  static_assert(sizeof(Box) >= sizeof(void*) && alignof(Box) >= alignof(void*),
                "a box must be able to hold the cache's link");
  static_assert(std::allocator_traits<BlockAllocator>::is_always_equal::value,
                "the block allocator must be stateless");
  struct block {
    block* next;
  };
  enum class thread_phase : unsigned char { unused, caching, exited };
  // Trivially destructible: valid until the thread's storage is gone, after drainer_ ran.
  struct thread_state {
    block* head;
    unsigned count;
    thread_phase phase;
  };
  struct drainer {
    ~drainer() {
      thread_state& state = tls_;
      state.phase = thread_phase::exited;
      while (state.head != nullptr) {
        block* b = state.head;
        state.head = b->next;
        b->~block();
        deallocate(reinterpret_cast<Box*>(b));
      }
      state.count = 0;
    }
  };

  static void deallocate(Box* storage) noexcept {
    BlockAllocator allocator;
    std::allocator_traits<BlockAllocator>::deallocate(allocator, storage, 1);
  }

  static inline thread_local thread_state tls_{};
  static inline thread_local drainer drainer_;
};

}  // namespace detail
SYNCMAP_NAMESPACE_END

#endif  // SYNCMAP_DETAIL_BOX_CACHE_HPP
