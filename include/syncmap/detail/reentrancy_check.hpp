// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// Debug-build detection of a callback that calls back into the map whose lock it runs under.
//
// sharded_map runs visit/update/upsert/erase_if/for_each callbacks while holding a shard
// lock. A callback that calls the same map would deadlock (an exclusive request against a
// lock this thread holds) or, worse, silently work most of the time (a shared request that
// happens to hit another shard) and deadlock under load. So in debug builds every operation
// first asks "is this thread inside a callback of this map?" and aborts with a message naming
// the operation if so; operations that run callbacks record the map for the callback's
// duration.
//
// The record is a small thread-local stack of map addresses: callbacks of *different* maps may
// nest (that is allowed), so it is a stack and not a single pointer. Its depth is bounded
// by the nesting the program itself does; a fixed array of 32 keeps it allocation-free, and a
// deeper nesting is reported instead of overflowing.
//
// Release builds (NDEBUG, or SYNCMAP_DISABLE_REENTRANCY_CHECK) compile all of this to
// nothing: the guard is an empty object and the calls are empty inline functions.
#ifndef SYNCMAP_DETAIL_REENTRANCY_CHECK_HPP
#define SYNCMAP_DETAIL_REENTRANCY_CHECK_HPP

#include "config.hpp"

#if SYNCMAP_REENTRANCY_CHECK
#include <cstdio>
#include <cstdlib>
#endif

SYNCMAP_NAMESPACE_BEGIN
namespace detail {

#if SYNCMAP_REENTRANCY_CHECK

struct reentrancy_stack {
  static constexpr int capacity = 32;
  const void* maps[capacity];
  int depth;
};

// Thread-private; zero-initialized, so no TLS constructor runs.
inline thread_local reentrancy_stack tls_reentrancy_stack{};

[[noreturn]] inline void reentrancy_abort(const char* map_kind, const char* operation) {
  std::fprintf(stderr,
               "syncmap: re-entrant call to %s::%s from inside a callback of the same map "
               "(the callback runs under the map's shard lock; calling the map from it would "
               "deadlock). Move the call out of the callback.\n",
               map_kind, operation);
  std::abort();
}

// Aborts if the calling thread is inside a callback of `map`.
inline void check_not_reentrant(const void* map, const char* map_kind, const char* operation) {
  const reentrancy_stack& stack = tls_reentrancy_stack;
  for (int i = 0; i < stack.depth; ++i) {
    if (stack.maps[i] == map) reentrancy_abort(map_kind, operation);
  }
}

// Checks, then marks the calling thread as inside a callback of `map` until destroyed.
class callback_scope {
 public:
  callback_scope(const void* map, const char* map_kind, const char* operation) {
    check_not_reentrant(map, map_kind, operation);
    reentrancy_stack& stack = tls_reentrancy_stack;
    if (stack.depth == reentrancy_stack::capacity) {
      std::fprintf(stderr, "syncmap: callbacks of syncmap maps nested more than %d deep\n",
                   reentrancy_stack::capacity);
      std::abort();
    }
    stack.maps[stack.depth++] = map;
  }
  ~callback_scope() { --tls_reentrancy_stack.depth; }
  callback_scope(const callback_scope&) = delete;
  callback_scope& operator=(const callback_scope&) = delete;
};

#else

inline void check_not_reentrant(const void*, const char*, const char*) noexcept {}

class callback_scope {
 public:
  callback_scope(const void*, const char*, const char*) noexcept {}
  callback_scope(const callback_scope&) = delete;
  callback_scope& operator=(const callback_scope&) = delete;
};

#endif

}  // namespace detail
SYNCMAP_NAMESPACE_END

#endif  // SYNCMAP_DETAIL_REENTRANCY_CHECK_HPP
