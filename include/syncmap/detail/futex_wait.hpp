// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// Parking and waking threads on a 32-bit atomic word: the blocking half of rw_spinlock.
//
// What it is
// ----------
// Three primitives, all on a `std::atomic<std::uint32_t>`:
//   cpu_relax()                      one spin-wait hint (x86 `pause`, ARM `yield`, else nothing).
//   wait_while_equal(word, expected) sleep until `word` is seen holding something else.
//   wake_all(word)                   wake every thread sleeping in wait_while_equal(word, ...).
// A spinning lock uses cpu_relax() for its first few microseconds of waiting and the other two
// once waiting longer would only burn a core the lock holder needs. With more runnable threads
// than cores (the 2-core CI box runs 4-8 test threads) a spinner can occupy the very core the
// holder was preempted from; sleeping in the kernel hands that core back.
//
// Contract
// --------
// - wait_while_equal(word, v) returns only after it has read a value != v from `word` (a relaxed
//   read; callers re-read and acquire the word themselves). It may sleep any number of times
//   before that; it never returns early with the value still equal.
// - The waker protocol: first change `word` with an atomic RMW, then call wake_all(word). A
//   sleeper that compared `word` with v before the change is woken by that wake_all; a sleeper
//   that compares after it sees the new value and does not sleep. So a change followed by a wake
//   is never missed. A wake with no change in between wakes nobody for good: the sleeper re-reads
//   v and sleeps again.
// - With the futex backend wake_all only passes the word's address to the kernel and never
//   dereferences it, so it is harmless if the word's owner has already destroyed it (a woken
//   thread may acquire a lock, release it and free it before the unlocker reaches its wake
//   call): the kernel then wakes nobody or, if the memory now holds another futex, causes a
//   spurious wake-up, which every futex user tolerates. The other backends inherit whatever
//   std::atomic::notify_all does there (libstdc++ only hashes the address) or touch nothing.
//
// Backends, chosen at compile time (every translation unit of a program must choose the same)
// ------------------------------------------------------------------------------------------
// 1. Linux: the futex(2) system call, FUTEX_WAIT_PRIVATE / FUTEX_WAKE_PRIVATE on the atomic's own
//    address. The kernel compares the word with `expected` and queues the caller under its
//    hash-bucket lock, with a full barrier between a waker's store and its check for queued
//    waiters, which is what makes the waker protocol above lose nothing. PRIVATE: the word is
//    never shared between processes, which skips the kernel's mm lookup.
// 2. Elsewhere with C++20 `__cpp_lib_atomic_wait`: std::atomic::wait / notify_all, which give
//    the same guarantee in the standard's terms (a notify that follows a modification in
//    happens-before unblocks a wait that observed an earlier value).
// 3. Otherwise: sleep_for in a loop, 50 us doubling to a 1 ms cap, re-reading the word each
//    time; wake_all does nothing. Correct (a sleeper notices any change within 1 ms) but a
//    waiter can oversleep a release by up to that long.
// Define SYNCMAP_PARK_WITH_ATOMIC_WAIT (C++20 only) or SYNCMAP_PARK_WITH_SLEEP to force backend
// 2 or 3, e.g. to test them on Linux; define it identically in every translation unit.
//
// NOTE: std::atomic::wait is not used on Linux even under C++20: libstdc++ 12 runs its own
// spin phase first (12 relax spins, then 4 sched_yield calls, bits/atomic_wait.h) and keeps a
// process-wide table of waiter counts, while the lock has already spun and yielded before it
// parks; the raw futex keeps one spin policy, the lock's, and works in C++17 too.
#ifndef SYNCMAP_DETAIL_FUTEX_WAIT_HPP
#define SYNCMAP_DETAIL_FUTEX_WAIT_HPP

#include <atomic>
#include <cstdint>

#include "config.hpp"

#if defined(_MSC_VER)
#include <intrin.h>
#endif

#if defined(__linux__) && !defined(SYNCMAP_PARK_WITH_ATOMIC_WAIT) && \
    !defined(SYNCMAP_PARK_WITH_SLEEP)
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#endif

#if defined(__linux__) && defined(SYS_futex) && !defined(SYNCMAP_PARK_WITH_ATOMIC_WAIT) && \
    !defined(SYNCMAP_PARK_WITH_SLEEP)
#define SYNCMAP_DETAIL_PARK_BACKEND_FUTEX 1
#elif defined(__cpp_lib_atomic_wait) && !defined(SYNCMAP_PARK_WITH_SLEEP)
#define SYNCMAP_DETAIL_PARK_BACKEND_ATOMIC_WAIT 1
#else
#define SYNCMAP_DETAIL_PARK_BACKEND_SLEEP 1
#include <algorithm>
#include <chrono>
#include <thread>
#endif

#if defined(SYNCMAP_PARK_WITH_ATOMIC_WAIT) && !defined(SYNCMAP_DETAIL_PARK_BACKEND_ATOMIC_WAIT)
#error "SYNCMAP_PARK_WITH_ATOMIC_WAIT needs C++20 std::atomic::wait (__cpp_lib_atomic_wait)"
#endif

SYNCMAP_NAMESPACE_BEGIN
namespace detail {

// The futex system call reads and compares the word as a plain aligned 32-bit integer, so the
// atomic must be exactly that integer with no lock beside it.
static_assert(sizeof(std::atomic<std::uint32_t>) == 4, "a futex word is exactly 32 bits");
static_assert(std::atomic<std::uint32_t>::is_always_lock_free,
              "the kernel reads the word directly; it cannot take a library lock");

// Which backend this build parks with, for tests and diagnostics.
inline constexpr const char* park_backend_name =
#if defined(SYNCMAP_DETAIL_PARK_BACKEND_FUTEX)
    "futex";
#elif defined(SYNCMAP_DETAIL_PARK_BACKEND_ATOMIC_WAIT)
    "atomic_wait";
#else
    "sleep";
#endif

// One spin-wait hint. On x86 `pause` stops the core from speculating ahead through the spin
// loop (no memory-order machine clear when the lock word changes) and gives the sibling
// hyper-thread the pipeline; ARM's `yield` is the same hint. It orders nothing.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(_M_X64) || defined(_M_IX86)
  _mm_pause();
#elif defined(__aarch64__) || (defined(__arm__) && defined(__ARM_ARCH) && __ARM_ARCH >= 7)
  __asm__ __volatile__("yield" ::: "memory");
#elif defined(_M_ARM64) || defined(_M_ARM)
  __yield();
#endif
}

// Blocks until `word` is read holding a value other than `expected` (see the contract above).
inline void wait_while_equal(std::atomic<std::uint32_t>& word, std::uint32_t expected) noexcept {
#if defined(SYNCMAP_DETAIL_PARK_BACKEND_FUTEX)
  // relaxed: only the value is compared; the caller re-reads the word and acquires it with its
  // own acquire CAS, so nothing is published through this load.
  while (word.load(std::memory_order_relaxed) == expected) {
    // The kernel re-checks `word == expected` atomically with queueing us; a wake after our
    // check, EINTR and EAGAIN (already changed) all simply bring us back to the loop test.
    ::syscall(SYS_futex, static_cast<void*>(&word), FUTEX_WAIT_PRIVATE, expected, nullptr, nullptr,
              0);
  }
#elif defined(SYNCMAP_DETAIL_PARK_BACKEND_ATOMIC_WAIT)
  // relaxed: as above, the caller acquires through its own CAS; std::atomic::wait loops until
  // the value differs, pairing with the notify_all in wake_all().
  word.wait(expected, std::memory_order_relaxed);
#else
  // relaxed: as above. Growing naps: a short wait reacts fast, a long one costs ~1 wake-up/ms.
  std::chrono::microseconds nap{50};
  constexpr std::chrono::microseconds max_nap{1000};
  while (word.load(std::memory_order_relaxed) == expected) {
    std::this_thread::sleep_for(nap);
    nap = (std::min)(nap * 2, max_nap);
  }
#endif
}

// Wakes every thread sleeping in wait_while_equal(word, ...). Call it after changing `word`.
inline void wake_all(std::atomic<std::uint32_t>& word) noexcept {
#if defined(SYNCMAP_DETAIL_PARK_BACKEND_FUTEX)
  // The syscall only uses the address as a key; the kernel's barrier orders the caller's
  // preceding RMW on `word` before its look at the sleeper queue.
  ::syscall(SYS_futex, static_cast<void*>(&word), FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
#elif defined(SYNCMAP_DETAIL_PARK_BACKEND_ATOMIC_WAIT)
  word.notify_all();
#else
  (void)word;  // sleepers poll; there is no one to signal
#endif
}

}  // namespace detail
SYNCMAP_NAMESPACE_END

#endif  // SYNCMAP_DETAIL_FUTEX_WAIT_HPP
