// syncmap tests: the per-thread cache of freed rcu_map value boxes (detail/box_cache.hpp).
// Blocks come back LIFO on the thread that gave them, the cache never holds more than its
// capacity, every block is freed when the thread exits, a block given after that (from a
// later thread_local destructor) is freed at once, and rcu_map uses the cache for
// std::allocator only.
// SPDX-License-Identifier: MIT
#include <syncmap/detail/box_cache.hpp>
#include <syncmap/rcu_map.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <new>
#include <thread>
#include <type_traits>
#include <vector>

#include "support/allocators.hpp"
#include "support/catch.hpp"

namespace {

using syncmap::detail::box_cache;
using syncmap::detail::box_cache_enabled;

std::atomic<std::int64_t> live_blocks{0};

// Stateless, so the cache may free with any instance; counts the blocks it has handed out.
template <class T>
struct block_counting_allocator {
  using value_type = T;
  using is_always_equal = std::true_type;
  block_counting_allocator() noexcept = default;
  template <class U>
  block_counting_allocator(const block_counting_allocator<U>&) noexcept {}
  T* allocate(std::size_t n) {
    live_blocks.fetch_add(1, std::memory_order_relaxed);  // relaxed: read after joins
    return static_cast<T*>(::operator new(n * sizeof(T)));
  }
  void deallocate(T* p, std::size_t) noexcept {
    live_blocks.fetch_sub(1, std::memory_order_relaxed);  // relaxed: as above
    ::operator delete(p);
  }
  friend bool operator==(block_counting_allocator, block_counting_allocator) noexcept {
    return true;
  }
  friend bool operator!=(block_counting_allocator, block_counting_allocator) noexcept {
    return false;
  }
};

// A box-sized block type of each test's own, so that no test sees another's cache.
template <int Test>
struct test_box {
  void* words[4];
};
template <int Test>
using test_cache = box_cache<test_box<Test>, block_counting_allocator<test_box<Test>>>;

template <int Test>
test_box<Test>* new_block() {
  block_counting_allocator<test_box<Test>> allocator;
  return allocator.allocate(1);
}

}  // namespace

TEST_CASE("the box cache returns blocks LIFO on the thread that gave them",
          "[reclaim][box_cache]") {
  using cache = test_cache<1>;
  std::thread([] {
    test_box<1>* first = new_block<1>();
    test_box<1>* second = new_block<1>();
    CHECK(cache::take() == nullptr);
    cache::give(first);
    cache::give(second);
    CHECK(cache::cached() == 2);
    CHECK(cache::take() == second);
    CHECK(cache::take() == first);
    CHECK(cache::take() == nullptr);
    CHECK(cache::cached() == 0);
    cache::give(first);
    cache::give(second);
    // Another thread's cache is its own.
    std::thread([] { CHECK(cache::take() == nullptr); }).join();
    CHECK(cache::cached() == 2);
  }).join();
  CHECK(live_blocks.load() == 0);  // the two left cached were freed at the thread's exit
}

TEST_CASE("the box cache holds at most its capacity and frees the rest at once",
          "[reclaim][box_cache]") {
  using cache = test_cache<2>;
  std::thread([] {
    const std::size_t given = cache::capacity + 10;
    for (std::size_t i = 0; i < given; ++i)
      cache::give(new_block<2>());
    CHECK(cache::cached() == cache::capacity);
    CHECK(live_blocks.load() == static_cast<std::int64_t>(cache::capacity));
    for (unsigned i = 0; i < cache::capacity; ++i) {
      test_box<2>* block = cache::take();
      REQUIRE(block != nullptr);
      block_counting_allocator<test_box<2>>().deallocate(block, 1);
    }
    CHECK(cache::take() == nullptr);
  }).join();
  CHECK(live_blocks.load() == 0);
}

namespace {
// Constructed before the cache's drainer on its thread, so destroyed after it: its give()
// comes after the thread's cache was emptied and must free the block directly.
struct gives_at_exit {
  test_box<3>* block = nullptr;
  ~gives_at_exit() { test_cache<3>::give(block); }
};
}  // namespace

TEST_CASE("a block given after the thread's cache was drained at exit is freed",
          "[reclaim][box_cache]") {
  std::thread([] {
    thread_local gives_at_exit late;
    late.block = new_block<3>();
    test_cache<3>::give(new_block<3>());  // first use: the drainer is constructed now
    CHECK(test_cache<3>::cached() == 1);
  }).join();
  CHECK(live_blocks.load() == 0);
}

TEST_CASE("rcu_map caches boxes for std::allocator only", "[reclaim][box_cache][rcu_map]") {
  using std_map = syncmap::rcu_map<std::uint64_t, std::uint64_t>;
  using counted_map = syncmap::rcu_map<
      std::uint64_t, std::uint64_t, std::hash<std::uint64_t>, std::equal_to<std::uint64_t>,
      syncmap_test::counting_allocator<std::pair<const std::uint64_t, std::uint64_t>>>;
  using std_box =
      syncmap::detail::rcu_core<std::uint64_t, std::uint64_t, std::hash<std::uint64_t>,
                                std::equal_to<std::uint64_t>,
                                std::allocator<std::pair<const std::uint64_t, std::uint64_t>>>::box;
  STATIC_REQUIRE_FALSE(box_cache_enabled<counted_map::allocator_type, std_box>);
#if SYNCMAP_DETAIL_BOX_CACHE_SANITIZED
  STATIC_REQUIRE_FALSE(box_cache_enabled<std_map::allocator_type, std_box>);
#else
  STATIC_REQUIRE(box_cache_enabled<std_map::allocator_type, std_box>);
  std::thread([] {
    // Overwrites retire boxes; the collections that free them run on this thread (the only
    // writer), so the freed boxes land in this thread's cache and later stores take them.
    std_map map;
    for (std::uint64_t round = 0; round < 4 * syncmap::detail::retire_list::soft_limit; ++round)
      map.store(round % 8, round);
    CHECK(box_cache<std_box>::cached() > 0);
  }).join();
#endif
}
