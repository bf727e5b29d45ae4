// syncmap tests: the rcu_map family the generic checks in tests/support/ are instantiated with.
// SPDX-License-Identifier: MIT
//
// api_checks.hpp builds its maps from a *family*, a type with a member alias template
// `map<K, T, Hash, KeyEqual, Allocator>`; rcu_map has no lock parameter, so there is one:
//
//   TEST_CASE("...", "[...]") { check_store<rcu_maps>(); }
//
// Also here: helpers several rcu_map test files need and tests/support does not provide.
#ifndef SYNCMAP_TESTS_RCU_MAP_RCU_MAPS_HPP
#define SYNCMAP_TESTS_RCU_MAP_RCU_MAPS_HPP

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include <syncmap/rcu_map.hpp>

#include "support/counted.hpp"

namespace syncmap_test {

struct rcu_maps {
  template <class K, class T, class Hash = std::hash<K>, class KeyEqual = std::equal_to<K>,
            class Allocator = std::allocator<std::pair<const K, T>>>
  using map = syncmap::rcu_map<K, T, Hash, KeyEqual, Allocator>;
};

// The most objects an rcu_map may hold retired-but-unfreed while `threads` threads retire
// into it (rcu_map.hpp, "Memory"; epoch.hpp, I4).
inline std::size_t garbage_bound(std::size_t threads) {
  return syncmap::detail::striped_retire_list::bound(threads);
}

// A value with a heap payload and a canary: the key it belongs to and a version are written
// into a string longer than any small-string buffer, next to a `counted` whose canary every
// copy checks. A reader that copies or inspects a value whose box was freed under it reads a
// DEAD canary (plain builds abort with a message) or freed heap memory (ASan reports it); one
// that gets a value that was never stored for its key sees a payload that does not parse back
// to that key.
class payload_value {
 public:
  payload_value(std::uint64_t key = 0, std::uint64_t version = 0)
      : tag_(key), text_(render(key, version)) {}

  std::uint64_t key() const noexcept { return tag_.value(); }  // checks the canary
  const std::string& text() const noexcept { return text_; }

  // Whether the payload is exactly what payload_value(key, some version) writes; stores the
  // version it encodes.
  bool well_formed_for(std::uint64_t key, std::uint64_t* version = nullptr) const {
    if (tag_.value() != key) return false;
    const std::string prefix = "key=" + std::to_string(key) + ";version=";
    if (text_.compare(0, prefix.size(), prefix) != 0) return false;
    const std::size_t end = text_.find(';', prefix.size());
    if (end == std::string::npos || end == prefix.size()) return false;
    const std::uint64_t parsed = std::stoull(text_.substr(prefix.size(), end - prefix.size()));
    if (text_ != render(key, parsed)) return false;
    if (version != nullptr) *version = parsed;
    return true;
  }

  friend bool operator==(const payload_value& a, const payload_value& b) {
    return a.tag_ == b.tag_ && a.text_ == b.text_;
  }
  friend bool operator!=(const payload_value& a, const payload_value& b) { return !(a == b); }

 private:
  static std::string render(std::uint64_t key, std::uint64_t version) {
    std::string text = "key=" + std::to_string(key) + ";version=" + std::to_string(version) + ";";
    // Pad to at least 48 bytes with a pattern derived from both numbers, so a value torn or
    // mixed from two others does not re-render to itself.
    while (text.size() < 48)
      text.push_back(static_cast<char>('a' + (key + version + text.size()) % 26));
    return text;
  }

  counted tag_;
  std::string text_;
};

inline std::string describe(const payload_value& value) {
  return "payload(" + value.text() + ")";
}

// Spins (yielding) until flag is set or `bound` rounds pass; returns whether it was set.
// acquire: pairs with the release store that sets the flag.
inline bool wait_for_flag(const std::atomic<bool>& flag, std::size_t bound) {
  for (std::size_t round = 0; round < bound; ++round) {
    if (flag.load(std::memory_order_acquire)) return true;
    std::this_thread::yield();
  }
  return flag.load(std::memory_order_acquire);
}

}  // namespace syncmap_test

#endif  // SYNCMAP_TESTS_RCU_MAP_RCU_MAPS_HPP
