// syncmap tests: functors and values that throw on demand, and a hash that always collides.
// SPDX-License-Identifier: MIT
//
// Fault injection works through fault_point: a countdown armed with n makes the n-th call
// from now throw injected_fault, once, and then stays quiet until armed again. One global
// fault_point per kind of user code (hash, equality, value construction/copy/move) lets a
// test sweep n = 1, 2, ... across a single map operation until the operation succeeds, which
// makes every call site inside that operation throw once (Boost.Unordered's exception tests
// throw every Nth call instead; a sweep is deterministic, so a failure names its n).
//
// The countdown is global and atomic rather than thread-local so that a concurrent test can
// arm it once and have exactly one thread, whichever gets there, take the throw.
//
// colliding_hash<K> returns one constant for every key, so every key lands in the same shard
// and the same probe sequence with the same tag: the worst case for any hash table, and the
// way to make equality (not the hash) decide every lookup. colliding_key is a key type whose
// std::hash is colliding_hash, so even default-hashed maps collide on it.
#ifndef SYNCMAP_TESTS_SUPPORT_THROWING_HPP
#define SYNCMAP_TESTS_SUPPORT_THROWING_HPP

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>

#include "counted.hpp"

namespace syncmap_test {

// What every injected throw throws; what() names the fault point.
class injected_fault : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class fault_point {
 public:
  constexpr explicit fault_point(const char* name) noexcept : name_(name) {}
  fault_point(const fault_point&) = delete;
  fault_point& operator=(const fault_point&) = delete;

  // The n-th hit() from now throws (n >= 1); n == 0 disarms.
  void arm(std::int64_t n) noexcept {
    // relaxed: tests arm before starting the threads that hit (thread start synchronizes).
    countdown_.store(n, std::memory_order_relaxed);
  }
  void disarm() noexcept { arm(0); }

  // Whether the armed throw is still pending.
  bool armed() const noexcept {
    return countdown_.load(std::memory_order_relaxed) > 0;  // relaxed: see arm()
  }

  // Calls of hit() so far, thrown or not.
  std::uint64_t hits() const noexcept {
    return hits_.load(std::memory_order_relaxed);  // relaxed: a statistic read after joins
  }

  void hit() {
    hits_.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic, see hits()
    // relaxed: only the countdown's own value matters; the fetch_sub's atomicity makes
    // exactly one caller see 1, whatever the interleaving.
    if (countdown_.load(std::memory_order_relaxed) <= 0) return;
    if (countdown_.fetch_sub(1, std::memory_order_relaxed) == 1) {
      throw injected_fault(std::string("injected fault: ") + name_);
    }
  }

  const char* name() const noexcept { return name_; }

 private:
  const char* name_;
  std::atomic<std::int64_t> countdown_{0};  // > 0: hits left until the throw; <= 0: disarmed
  std::atomic<std::uint64_t> hits_{0};
};

inline fault_point hash_faults{"hash"};
inline fault_point equal_faults{"key equality"};
inline fault_point value_faults{"value construction/copy/move"};

// Arms a fault point for a scope and disarms it on exit, so a failing test cannot leave a
// pending throw behind for the next one.
class armed_fault {
 public:
  armed_fault(fault_point& point, std::int64_t n) noexcept : point_(point) { point_.arm(n); }
  ~armed_fault() { point_.disarm(); }
  armed_fault(const armed_fault&) = delete;
  armed_fault& operator=(const armed_fault&) = delete;

  // Whether the throw happened (the countdown ran out) during the scope so far.
  bool fired() const noexcept { return !point_.armed(); }

 private:
  fault_point& point_;
};

// std::hash (or Base) that hits hash_faults first.
template <class Key, class Base = std::hash<Key>>
struct throwing_hash : Base {
  std::size_t operator()(const Key& key) const {
    hash_faults.hit();
    return Base::operator()(key);
  }
};

// std::equal_to (or Base) that hits equal_faults first.
template <class Key, class Base = std::equal_to<Key>>
struct throwing_equal : Base {
  bool operator()(const Key& a, const Key& b) const {
    equal_faults.hit();
    return Base::operator()(a, b);
  }
};

// A value whose every constructor and assignment hits value_faults before it changes
// anything. It holds a counted, so instance_check also sees throwing_values.
class throwing_value {
 public:
  throwing_value(std::uint64_t value = 0) : value_(checked(value)) {}
  throwing_value(const throwing_value& other) : value_(checked(other.value_)) {}
  throwing_value(throwing_value&& other) : value_(checked(other.value_)) {}

  throwing_value& operator=(const throwing_value& other) {
    value_faults.hit();
    value_ = other.value_;
    return *this;
  }
  throwing_value& operator=(throwing_value&& other) {
    value_faults.hit();
    value_ = other.value_;
    return *this;
  }

  ~throwing_value() = default;

  std::uint64_t value() const noexcept { return value_.value(); }

  friend bool operator==(const throwing_value& a, const throwing_value& b) noexcept {
    return a.value_ == b.value_;
  }
  friend bool operator!=(const throwing_value& a, const throwing_value& b) noexcept {
    return !(a == b);
  }

 private:
  template <class Source>
  static const Source& checked(const Source& source) {
    value_faults.hit();
    return source;
  }

  counted value_;
};

inline std::string describe(const throwing_value& value) {
  return "throwing_value(" + std::to_string(value.value()) + ")";
}

// Every key hashes to the same value.
template <class Key>
struct colliding_hash {
  static constexpr std::size_t the_hash = 0x5eed5eedu;
  std::size_t operator()(const Key&) const noexcept { return the_hash; }
};

// A key type whose std::hash is colliding_hash: maps keyed by it collide with no extra
// template arguments.
struct colliding_key {
  std::uint64_t id = 0;

  colliding_key() = default;
  colliding_key(std::uint64_t key_id) noexcept : id(key_id) {}

  friend bool operator==(const colliding_key& a, const colliding_key& b) noexcept {
    return a.id == b.id;
  }
  friend bool operator!=(const colliding_key& a, const colliding_key& b) noexcept {
    return !(a == b);
  }
};

inline std::string describe(const colliding_key& key) {
  return "colliding_key(" + std::to_string(key.id) + ")";
}

}  // namespace syncmap_test

namespace std {
template <>
struct hash<syncmap_test::colliding_key>
    : syncmap_test::colliding_hash<syncmap_test::colliding_key> {};
}  // namespace std

#endif  // SYNCMAP_TESTS_SUPPORT_THROWING_HPP
