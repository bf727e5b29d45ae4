// sharded_map allocator awareness: a stateful allocator given to the constructor is the
// one get_allocator() returns, it provides all of the map's storage (nothing comes from
// global operator new), every byte comes back, and the propagation traits are honoured.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <utility>

#include "sharded_maps.hpp"
#include "support/allocators.hpp"
#include "support/catch.hpp"

using namespace syncmap_test;

// ---- global operator new, counted while a thread asks for it ----
// Replacing the global allocation functions is program-wide, so these forward to malloc and
// count only calls made on a thread inside a global_new_counter scope. Sanitizers bring their
// own operator new (and ASan reports a mix of theirs and ours), so under a sanitizer the
// replacement is left out and the check that uses it is skipped.

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SYNCMAP_TEST_COUNT_GLOBAL_NEW 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define SYNCMAP_TEST_COUNT_GLOBAL_NEW 0
#endif
#endif
#ifndef SYNCMAP_TEST_COUNT_GLOBAL_NEW
#define SYNCMAP_TEST_COUNT_GLOBAL_NEW 1
#endif

#if SYNCMAP_TEST_COUNT_GLOBAL_NEW
namespace {

thread_local bool count_global_news = false;
std::atomic<std::size_t> global_news{0};

void* counted_malloc(std::size_t size) {
  // relaxed: an event count, read by the same thread that enabled counting.
  if (count_global_news) global_news.fetch_add(1, std::memory_order_relaxed);
  if (void* pointer = std::malloc(size == 0 ? 1 : size)) return pointer;
  throw std::bad_alloc();
}

void* counted_aligned_malloc(std::size_t size, std::align_val_t alignment) {
  // relaxed: as in counted_malloc.
  if (count_global_news) global_news.fetch_add(1, std::memory_order_relaxed);
  const auto align = static_cast<std::size_t>(alignment);
  const std::size_t rounded = (size + align - 1) / align * align;
  if (void* pointer = std::aligned_alloc(align, rounded == 0 ? align : rounded)) return pointer;
  throw std::bad_alloc();
}

class global_new_counter {
 public:
  global_new_counter() noexcept : start_(global_news.load()) { count_global_news = true; }
  ~global_new_counter() { count_global_news = false; }
  global_new_counter(const global_new_counter&) = delete;
  global_new_counter& operator=(const global_new_counter&) = delete;
  std::size_t count() const noexcept { return global_news.load() - start_; }

 private:
  std::size_t start_;
};

}  // namespace

void* operator new(std::size_t size) {
  return counted_malloc(size);
}
void* operator new(std::size_t size, std::align_val_t alignment) {
  return counted_aligned_malloc(size, alignment);
}
void operator delete(void* pointer) noexcept {
  std::free(pointer);
}
void operator delete(void* pointer, std::size_t) noexcept {
  std::free(pointer);
}
void operator delete(void* pointer, std::align_val_t) noexcept {
  std::free(pointer);
}
void operator delete(void* pointer, std::size_t, std::align_val_t) noexcept {
  std::free(pointer);
}

#endif  // SYNCMAP_TEST_COUNT_GLOBAL_NEW

namespace {

using value_type = std::pair<const std::uint64_t, std::uint64_t>;

template <class Family, bool Propagate = true>
using counting_map =
    typename Family::template map<std::uint64_t, std::uint64_t, std::hash<std::uint64_t>,
                                  std::equal_to<std::uint64_t>,
                                  counting_allocator<value_type, Propagate>>;

}  // namespace

TEMPLATE_LIST_TEST_CASE("the allocator given is the one used for all storage", "[allocator]",
                        sharded_map_families) {
  using map_type = counting_map<TestType>;
  allocation_stats stats(10);
  const counting_allocator<value_type> alloc(stats);
  {
#if SYNCMAP_TEST_COUNT_GLOBAL_NEW
    const global_new_counter global;
#endif
    map_type map(16, {}, {}, alloc);
    CHECK(map.get_allocator() == alloc);
    for (std::uint64_t k = 0; k < 20000; ++k)
      map.store(k, k);
    for (std::uint64_t k = 0; k < 20000; k += 3)
      map.erase(k);
    map.upsert(1, [](std::uint64_t& v) { ++v; });
    map.update(2, [](std::uint64_t& v) { ++v; });
    map.erase_if([](const std::uint64_t& k, const std::uint64_t&) { return k % 5 == 0; });
    map_type copy(map);
    CHECK(copy.get_allocator() == alloc);
    map.clear();
    map.reserve(5000);
#if SYNCMAP_TEST_COUNT_GLOBAL_NEW
    CHECK(global.count() == 0);  // nothing behind the allocator's back
#else
    WARN("global operator new not counted under a sanitizer");
#endif
  }
  INFO(stats.describe());
  CHECK(stats.allocations() > 0);
  CHECK(stats.balanced());
}

TEMPLATE_LIST_TEST_CASE("an empty map holds at most its shard headers", "[allocator]",
                        sharded_map_families) {
  using map_type = counting_map<TestType>;
  allocation_stats stats(11);
  {
    map_type map(64, {}, {}, counting_allocator<value_type>(stats));
    INFO(stats.describe());
    CHECK(stats.allocations() <= 1);
    CHECK(stats.live_bytes() <=
          static_cast<std::int64_t>(64 * 4 * syncmap::detail::cache_line_size));
    map.store(1, 1);
    CHECK(stats.live_bytes() > 0);
  }
  CHECK(stats.balanced());
}

TEMPLATE_LIST_TEST_CASE("clear and reuse do not leak storage", "[allocator]",
                        sharded_map_families) {
  using map_type = counting_map<TestType>;
  allocation_stats stats(12);
  {
    map_type map(8, {}, {}, counting_allocator<value_type>(stats));
    std::int64_t after_first_round = 0;
    for (int round = 0; round < 5; ++round) {
      for (std::uint64_t k = 0; k < 5000; ++k)
        map.store(k, k);
      map.clear();
      if (round == 0) after_first_round = stats.live_bytes();
      INFO("round " << round << ": " << stats.describe());
      CHECK(stats.live_bytes() <= after_first_round);
    }
  }
  CHECK(stats.balanced());
}

TEMPLATE_LIST_TEST_CASE("propagating allocators follow the map on copy, move and swap",
                        "[allocator]", sharded_map_families) {
  using map_type = counting_map<TestType, true>;
  allocation_stats stats_a(13);
  allocation_stats stats_b(14);
  const counting_allocator<value_type, true> alloc_a(stats_a);
  const counting_allocator<value_type, true> alloc_b(stats_b);
  {
    map_type a(4, {}, {}, alloc_a);
    map_type b(4, {}, {}, alloc_b);
    for (std::uint64_t k = 0; k < 1000; ++k)
      a.store(k, k);
    b.store(1, 1);

    map_type copy(a);
    CHECK(copy.get_allocator() == alloc_a);  // select_on_container_copy_construction
    b = a;
    CHECK(b.get_allocator() == alloc_a);  // propagate_on_container_copy_assignment
    CHECK(b == a);
    map_type c(4, {}, {}, alloc_b);
    c = std::move(b);
    CHECK(c.get_allocator() == alloc_a);  // propagate_on_container_move_assignment
    map_type d(4, {}, {}, alloc_b);
    d.store(5, 5);
    d.swap(c);
    CHECK(d.get_allocator() == alloc_a);  // propagate_on_container_swap
    CHECK(c.get_allocator() == alloc_b);
    CHECK(c.size() == 1);
    CHECK(d.size() == 1000);
  }
  INFO(stats_a.describe() << "; " << stats_b.describe());
  CHECK(stats_a.balanced());
  CHECK(stats_b.balanced());
}

TEMPLATE_LIST_TEST_CASE("non-propagating allocators stay with their map on assignment",
                        "[allocator]", sharded_map_families) {
  using map_type = counting_map<TestType, false>;
  allocation_stats stats_a(15);
  allocation_stats stats_b(16);
  const counting_allocator<value_type, false> alloc_a(stats_a);
  const counting_allocator<value_type, false> alloc_b(stats_b);
  {
    map_type a(4, {}, {}, alloc_a);
    for (std::uint64_t k = 0; k < 1000; ++k)
      a.store(k, k);
    map_type b(4, {}, {}, alloc_b);
    b = a;
    CHECK(b.get_allocator() == alloc_b);  // the destination keeps its allocator
    CHECK(b == a);
    map_type c(4, {}, {}, alloc_b);
    c = std::move(a);
    CHECK(c.get_allocator() == alloc_b);
    CHECK(c.size() == 1000);
  }
  // Each allocator got back exactly what it handed out: no storage crossed between them.
  INFO(stats_a.describe() << "; " << stats_b.describe());
  CHECK(stats_a.balanced());
  CHECK(stats_b.balanced());
}
