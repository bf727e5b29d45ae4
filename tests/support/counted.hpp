// syncmap tests: a value type that counts its instances and detects use after destruction.
// SPDX-License-Identifier: MIT
//
// `counted` wraps a 64-bit number. Every constructor increments a static atomic, the
// destructor increments another, so live() = constructed - destroyed is the number of
// instances alive right now: a map that leaks a value leaves live() above its starting
// point, a map that destroys one twice leaves it below (oneTBB's MyData, Boost's raii).
//
// Each instance also carries a canary word, `alive_canary` from construction until the
// destructor overwrites it with `dead_canary`. Every read, copy, move, assignment and
// comparison checks it: touching an object after its destructor ran (a value read through a
// dangling slot, a double destroy) fails the check even in a build without ASan. A failed
// check prints what it caught and aborts, because the process's memory is already corrupt.
//
// Counters are global, so tests that assert on them must not overlap (Catch2 runs test cases
// one at a time) and must compare against the value at their start: instance_check does
// that.
#ifndef SYNCMAP_TESTS_SUPPORT_COUNTED_HPP
#define SYNCMAP_TESTS_SUPPORT_COUNTED_HPP

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>

namespace syncmap_test {

class counted {
 public:
  static constexpr std::uint64_t alive_canary = 0x11fe'a11c'e0b1'ec75ull;
  static constexpr std::uint64_t dead_canary = 0xdead'dead'dead'deadull;

  // Implicit from a number, so generic tests can write map.store(k, 7) for any value type.
  counted(std::uint64_t value = 0) noexcept : value_(value) { note_constructed(); }

  counted(const counted& other) noexcept : value_(other.checked_value()) { note_constructed(); }

  // A moved-from counted keeps its number: moves are copies here, which keeps every
  // instance valid and lets the canary check every one of them.
  counted(counted&& other) noexcept : value_(other.checked_value()) { note_constructed(); }

  counted& operator=(const counted& other) noexcept {
    check_alive("assigned to");
    value_ = other.checked_value();
    return *this;
  }

  counted& operator=(counted&& other) noexcept {
    check_alive("move-assigned to");
    value_ = other.checked_value();
    return *this;
  }

  ~counted() {
    check_alive("destroyed");
    canary_ = dead_canary;
    // relaxed: a pure event count; tests read it after joining every thread (join
    // synchronizes), and live() promises nothing while other threads still run.
    destroyed_.fetch_add(1, std::memory_order_relaxed);
  }

  std::uint64_t value() const noexcept { return checked_value(); }

  friend bool operator==(const counted& a, const counted& b) noexcept {
    return a.checked_value() == b.checked_value();
  }
  friend bool operator!=(const counted& a, const counted& b) noexcept { return !(a == b); }

  // Instances alive now (constructed - destroyed) and the raw counts.
  static long long live() noexcept { return static_cast<long long>(constructed() - destroyed()); }
  static std::uint64_t constructed() noexcept {
    return constructed_.load(std::memory_order_relaxed);  // relaxed: see the destructor
  }
  static std::uint64_t destroyed() noexcept {
    return destroyed_.load(std::memory_order_relaxed);  // relaxed: see the destructor
  }

 private:
  static void note_constructed() noexcept {
    constructed_.fetch_add(1, std::memory_order_relaxed);  // relaxed: see the destructor
  }

  std::uint64_t checked_value() const noexcept {
    check_alive("read");
    return value_;
  }

  void check_alive(const char* what) const noexcept {
    if (canary_ != alive_canary) {
      std::fprintf(stderr,
                   "syncmap_test::counted at %p %s while not alive (canary 0x%016llx): "
                   "use after destruction or of uninitialized memory\n",
                   static_cast<const void*>(this), what, static_cast<unsigned long long>(canary_));
      std::abort();
    }
  }

  std::uint64_t value_;
  std::uint64_t canary_ = alive_canary;

  inline static std::atomic<std::uint64_t> constructed_{0};
  inline static std::atomic<std::uint64_t> destroyed_{0};
};

inline std::string describe(const counted& value) {
  return "counted(" + std::to_string(value.value()) + ")";
}

// Remembers counted::live() at construction; leaked() is how many instances were created
// since and are still alive (negative: destroyed more than created).
class instance_check {
 public:
  instance_check() noexcept : live_at_start_(counted::live()) {}
  long long leaked() const noexcept { return counted::live() - live_at_start_; }

 private:
  long long live_at_start_;
};

}  // namespace syncmap_test

namespace std {
template <>
struct hash<syncmap_test::counted> {
  std::size_t operator()(const syncmap_test::counted& value) const noexcept {
    return std::hash<std::uint64_t>()(value.value());
  }
};
}  // namespace std

#endif  // SYNCMAP_TESTS_SUPPORT_COUNTED_HPP
