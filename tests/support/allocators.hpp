// syncmap tests: a stateful allocator that counts what it hands out and can fail on demand.
// SPDX-License-Identifier: MIT
//
// counting_allocator<T> carries a pointer to an allocation_stats (its state: two allocators
// compare equal exactly when they share one), and records in it every allocation and
// deallocation, in calls and in bytes. When a map built with it is gone, every byte must have
// come back: allocation_stats::balanced(). Rebinding keeps the stats pointer, so a map's
// internal allocations (shards, tables, nodes) are all counted together.
//
// allocation_stats::fail_at(n) makes the n-th allocation from now throw std::bad_alloc,
// once: sweeping n = 1, 2, ... makes each allocation inside an operation fail in turn.
//
// The propagate_on_container_* traits are all Propagate (default true, so swap and
// assignment between maps with different stats are well-defined); is_always_equal is false,
// so a map cannot assume any two instances are interchangeable.
//
// A default-constructed counting_allocator uses default_allocation_stats(), so a map type
// that names the allocator can still be default-constructed.
#ifndef SYNCMAP_TESTS_SUPPORT_ALLOCATORS_HPP
#define SYNCMAP_TESTS_SUPPORT_ALLOCATORS_HPP

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <string>
#include <type_traits>

namespace syncmap_test {

class allocation_stats {
 public:
  constexpr explicit allocation_stats(int id = 0) noexcept : id_(id) {}
  allocation_stats(const allocation_stats&) = delete;
  allocation_stats& operator=(const allocation_stats&) = delete;

  int id() const noexcept { return id_; }

  // All loads are relaxed: the counters are event counts, read after the threads that
  // allocate have been joined (join synchronizes) or only as a statistic while they run.
  std::uint64_t allocations() const noexcept {
    return allocations_.load(std::memory_order_relaxed);
  }
  std::uint64_t deallocations() const noexcept {
    return deallocations_.load(std::memory_order_relaxed);
  }
  std::uint64_t bytes_allocated() const noexcept {
    return bytes_allocated_.load(std::memory_order_relaxed);
  }
  std::uint64_t bytes_deallocated() const noexcept {
    return bytes_deallocated_.load(std::memory_order_relaxed);
  }
  std::int64_t live_bytes() const noexcept {
    return static_cast<std::int64_t>(bytes_allocated() - bytes_deallocated());
  }
  bool balanced() const noexcept {
    return allocations() == deallocations() && bytes_allocated() == bytes_deallocated();
  }
  std::string describe() const {
    return "allocator " + std::to_string(id_) + ": " + std::to_string(allocations()) +
           " allocations / " + std::to_string(deallocations()) + " deallocations, " +
           std::to_string(bytes_allocated()) + " / " + std::to_string(bytes_deallocated()) +
           " bytes";
  }

  // The n-th allocation from now throws std::bad_alloc (n >= 1); 0 disarms.
  void fail_at(std::int64_t n) noexcept {
    // relaxed: armed before the operation under test starts, in the same thread or before
    // the threads that allocate are started.
    fail_countdown_.store(n, std::memory_order_relaxed);
  }
  bool failure_pending() const noexcept {
    return fail_countdown_.load(std::memory_order_relaxed) > 0;  // relaxed: see fail_at()
  }

  void on_allocate(std::size_t bytes) {
    // relaxed: the fetch_sub's atomicity alone makes exactly one allocation see 1.
    if (fail_countdown_.load(std::memory_order_relaxed) > 0 &&
        fail_countdown_.fetch_sub(1, std::memory_order_relaxed) == 1) {
      throw std::bad_alloc();
    }
    allocations_.fetch_add(1, std::memory_order_relaxed);          // relaxed: event count
    bytes_allocated_.fetch_add(bytes, std::memory_order_relaxed);  // relaxed: event count
  }

  void on_deallocate(std::size_t bytes) noexcept {
    deallocations_.fetch_add(1, std::memory_order_relaxed);          // relaxed: event count
    bytes_deallocated_.fetch_add(bytes, std::memory_order_relaxed);  // relaxed: event count
  }

 private:
  int id_;
  std::atomic<std::uint64_t> allocations_{0};
  std::atomic<std::uint64_t> deallocations_{0};
  std::atomic<std::uint64_t> bytes_allocated_{0};
  std::atomic<std::uint64_t> bytes_deallocated_{0};
  std::atomic<std::int64_t> fail_countdown_{0};  // > 0: allocations left until the throw
};

// Where default-constructed counting_allocators count.
inline allocation_stats& default_allocation_stats() noexcept {
  static allocation_stats stats(-1);
  return stats;
}

template <class T, bool Propagate = true>
class counting_allocator {
 public:
  using value_type = T;
  using propagate_on_container_copy_assignment = std::bool_constant<Propagate>;
  using propagate_on_container_move_assignment = std::bool_constant<Propagate>;
  using propagate_on_container_swap = std::bool_constant<Propagate>;
  using is_always_equal = std::false_type;

  template <class U>
  struct rebind {
    using other = counting_allocator<U, Propagate>;
  };

  counting_allocator() noexcept : stats_(&default_allocation_stats()) {}
  explicit counting_allocator(allocation_stats& stats) noexcept : stats_(&stats) {}
  template <class U>
  counting_allocator(const counting_allocator<U, Propagate>& other) noexcept
      : stats_(other.stats_) {}

  // Straight from malloc, not from operator new: a test may count global operator new calls
  // to show that a map allocates nothing behind its allocator's back.
  T* allocate(std::size_t n) {
    if (n > static_cast<std::size_t>(-1) / sizeof(T)) throw std::bad_array_new_length();
    const std::size_t bytes = n * sizeof(T);
    stats_->on_allocate(bytes);
    void* pointer = nullptr;
    if constexpr (alignof(T) > alignof(std::max_align_t)) {
      // aligned_alloc wants a size that is a multiple of the alignment.
      const std::size_t rounded = (bytes + alignof(T) - 1) / alignof(T) * alignof(T);
      pointer = std::aligned_alloc(alignof(T), rounded == 0 ? alignof(T) : rounded);
    } else {
      pointer = std::malloc(bytes == 0 ? 1 : bytes);
    }
    if (pointer == nullptr) {
      stats_->on_deallocate(bytes);  // balance the count of the failed allocation
      throw std::bad_alloc();
    }
    return static_cast<T*>(pointer);
  }

  void deallocate(T* pointer, std::size_t n) noexcept {
    stats_->on_deallocate(n * sizeof(T));
    std::free(pointer);
  }

  allocation_stats& stats() const noexcept { return *stats_; }

  template <class U>
  friend bool operator==(const counting_allocator& a,
                         const counting_allocator<U, Propagate>& b) noexcept {
    return a.stats_ == b.stats_;
  }
  template <class U>
  friend bool operator!=(const counting_allocator& a,
                         const counting_allocator<U, Propagate>& b) noexcept {
    return !(a == b);
  }

 private:
  template <class, bool>
  friend class counting_allocator;

  allocation_stats* stats_;  // never null
};

}  // namespace syncmap_test

#endif  // SYNCMAP_TESTS_SUPPORT_ALLOCATORS_HPP
