// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// syncmap::rw_spinlock: a 4-byte, writer-preferring reader-writer lock that spins briefly,
// then yields, then parks on its own word. It is the default SharedMutex of sharded_map, where
// each shard packs this lock beside its table header in one cache line, and usable on its own.
//
// Design
// ------
// All state is one 32-bit atomic word (layout at `state_`). Uncontended operations are one
// atomic RMW each and inline; everything that has to wait lives in out-of-line slow paths.
//
// Waiting goes through three phases, each cheaper for the machine and dearer for latency:
//   1. spin: re-read the word between bursts of cpu_relax() that double from 1 to 64 pauses,
//      for critical sections that end within microseconds (a shard's lookup or insert);
//   2. yield: std::this_thread::yield() a few times, so a preempted holder on an oversubscribed
//      core can run;
//   3. park: set the "parked" bit and sleep in the kernel on the word (detail/futex_wait.hpp).
// A thread that has parked once does not spin again in that acquisition: a wake-up is for all
// sleepers, and a herd of woken threads spinning on two cores would only slow the one winner.
//
// Why no wake-up is lost is argued at park_then_recheck(); the invariants it rests on:
//   (I1) the parked bit is set only by a waiter's CAS from a state that blocks that waiter;
//   (I2) the parked bit is cleared only by clear_parked_and_wake(), which wakes every sleeper
//        right after clearing it; nothing else clears it (acquiring CASes carry it over);
//   (I3) the only transitions that unblock a waiter are unlock() (drops the writer bit) and the
//        last unlock_shared() (reader count 1 -> 0); both are RMWs that see the parked bit in
//        the value they replace, and call clear_parked_and_wake() when it is set.
//   (I4) the writer-pending bit is set only by a writer waiting in lock() and cleared only when
//        a writer acquires; so while it is set some writer is waiting, and clearing it never
//        unblocks anybody (the writer bit goes up in the same CAS).
//
// NOTE: unlock() is fetch_sub(writer bit) and clears the parked bit in a second RMW only when
// it was set: a single fetch_and(~(writer | parked)) whose old value is used compiles to a
// lock cmpxchg retry loop on x86 (g++ 12 -O2, checked), fetch_sub to one lock xadd.
// Wake-ups are for all sleepers: one bit cannot tell a sleeping reader from a sleeping writer,
// and a woken thread that finds the lock taken again simply parks again (one more futex round
// trip). Waking one thread would need a count of sleepers, and bits to spare we do not have.
// NOTE: that herd has a measured price. In the 8-thread oversubscription test (writers sleep
// while holding) the futex build made ~51k futex and ~52k sched_yield calls for ~2.5k sleeping
// holds and took 0.8 s; the polling fallback (SYNCMAP_PARK_WITH_SLEEP) took 0.3 s there.
// Polling only wins when holds are long and waiters many; it loses the prompt hand-off and
// burns wake-ups on idle waits, so futex stays the default.

/// \file
/// syncmap::rw_spinlock: the 4-byte reader-writer lock of sharded_map's shards.
#ifndef SYNCMAP_RW_SPINLOCK_HPP
#define SYNCMAP_RW_SPINLOCK_HPP

#include <atomic>
#include <cstdint>
#include <thread>
#include <type_traits>

#include "detail/config.hpp"
#include "detail/futex_wait.hpp"

SYNCMAP_NAMESPACE_BEGIN

/// A reader-writer lock in one 32-bit word, meeting the standard *SharedMutex* requirements
/// (so `std::unique_lock`, `std::shared_lock` and `std::scoped_lock` work with it).
///
/// Use it for short critical sections where waiters are usually released within microseconds
/// and memory matters: it is 4 bytes against `std::shared_mutex`'s 56 (glibc), and uncontended
/// lock/unlock pairs are one atomic RMW each. Waiters spin briefly, then yield, then sleep in
/// the kernel, so a long or preempted holder costs its waiters no CPU. Prefer
/// `std::shared_mutex` when sections block (I/O, allocation-heavy work) for long stretches or
/// when readers must never starve.
///
/// Fairness: writer-preferring. A writer that has to wait raises a "writer pending" flag that
/// turns new readers away, so a steady stream of readers cannot starve writers. The other side
/// of that: a steady stream of writers can starve readers, and readers that arrive while a
/// writer waits wait too. There is no FIFO order among writers or among readers.
///
/// Not recursive. Calling `lock()` or `lock_shared()` in a thread that already holds the lock
/// in any mode deadlocks (a shared re-lock deadlocks as soon as a writer is pending, and is
/// undefined for a SharedMutex anyway); so does `lock()` from a thread holding it shared
/// (there is no upgrade). Unlocking a lock the thread does not hold is undefined.
///
/// Memory ordering: `unlock()` synchronizes with the next `lock()`/`lock_shared()`, and every
/// `unlock_shared()` synchronizes with the next `lock()`, as for `std::shared_mutex`.
///
/// Cost: every member is noexcept. Uncontended, each lock or unlock is one atomic RMW, inline;
/// an acquisition that has to wait spins, yields, then sleeps for as long as the lock stays
/// taken, and the unlock that frees sleepers adds one wake-up system call.
class SYNCMAP_CAPABILITY("mutex") rw_spinlock {
 public:
  /// An unlocked lock. constexpr, so a rw_spinlock with static storage is constant-initialized.
  constexpr rw_spinlock() noexcept : state_(0) {}
  /// Not copyable, like every mutex.
  rw_spinlock(const rw_spinlock&) = delete;
  /// Not assignable, like every mutex.
  rw_spinlock& operator=(const rw_spinlock&) = delete;
  /// pre: no thread holds the lock or waits for it.
  ~rw_spinlock() = default;

  /// Exclusive lock. Blocks while any reader or writer holds the lock; while it waits, new
  /// readers are turned away (writer preference). Synchronizes with the previous unlock() and
  /// every unlock_shared() since. Uncontended: one CAS.
  void lock() noexcept SYNCMAP_ACQUIRE() SYNCMAP_NO_THREAD_SAFETY_ANALYSIS {
    std::uint32_t expected = 0;
    // acquire: we read what the previous holder wrote; pairs with the release RMW in unlock()
    // and unlock_shared(). Weak: a spurious failure just takes the slow path, which re-checks.
    if (SYNCMAP_LIKELY(state_.compare_exchange_weak(expected, writer_bit, std::memory_order_acquire,
                                                    std::memory_order_relaxed))) {
      return;
    }
    lock_slow();
  }

  /// Exclusive lock if no reader or writer holds it now; returns whether it took it. Never
  /// blocks, and returns false only if it found the lock held (never spuriously, though the
  /// standard would allow it); it may take the lock ahead of a waiting writer. On success it
  /// synchronizes as lock() does.
  bool try_lock() noexcept SYNCMAP_TRY_ACQUIRE(true) SYNCMAP_NO_THREAD_SAFETY_ANALYSIS {
    // relaxed: only a hint for the CAS below, which carries the acquire.
    std::uint32_t seen = state_.load(std::memory_order_relaxed);
    while ((seen & (writer_bit | reader_mask)) == 0) {
      // acquire: pairs with the release RMW in unlock()/unlock_shared(), as in lock(). The
      // pending and parked bits are kept: their writer is still waiting and sleepers still
      // need our unlock() to wake them.
      if (state_.compare_exchange_weak(seen, seen | writer_bit, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
        return true;
      }
    }
    return false;
  }

  /// Releases the exclusive lock and wakes every sleeping waiter, if any. Synchronizes with
  /// the next lock(), lock_shared() or successful try_lock() / try_lock_shared().
  /// pre: this thread holds the lock exclusively.
  void unlock() noexcept SYNCMAP_RELEASE() SYNCMAP_NO_THREAD_SAFETY_ANALYSIS {
    // release: publishes every write of the critical section; pairs with the acquire CAS in
    // lock()/lock_shared()/try_lock*() of the next holder. No reader can be counted while the
    // writer bit is up, so subtracting it leaves pending/parked as they were.
    const std::uint32_t previous = state_.fetch_sub(writer_bit, std::memory_order_release);
    if (SYNCMAP_UNLIKELY((previous & parked_bit) != 0)) clear_parked_and_wake();  // (I3)
  }

  /// Shared lock. Blocks while a writer holds the lock or is waiting for it. Synchronizes
  /// with the previous unlock(). Uncontended: one CAS.
  void lock_shared() noexcept SYNCMAP_ACQUIRE_SHARED() SYNCMAP_NO_THREAD_SAFETY_ANALYSIS {
    // relaxed: a hint for the CAS, which carries the acquire.
    std::uint32_t seen = state_.load(std::memory_order_relaxed);
    // acquire: we read what the last writer wrote; pairs with the release fetch_sub in
    // unlock(). Weak: a spurious failure just takes the slow path, which re-checks.
    if (SYNCMAP_LIKELY((seen & reader_blockers) == 0) &&
        state_.compare_exchange_weak(seen, seen + 1, std::memory_order_acquire,
                                     std::memory_order_relaxed)) {
      return;
    }
    lock_shared_slow();
  }

  /// Shared lock if no writer holds the lock or waits for it now; returns whether it took it.
  /// Never blocks, and returns false only if it found a writer holding or waiting (it retries
  /// its CAS while other readers change the count). On success it synchronizes as
  /// lock_shared() does.
  bool try_lock_shared() noexcept
      SYNCMAP_TRY_ACQUIRE_SHARED(true) SYNCMAP_NO_THREAD_SAFETY_ANALYSIS {
    // relaxed: a hint for the CAS, which carries the acquire.
    std::uint32_t seen = state_.load(std::memory_order_relaxed);
    while ((seen & reader_blockers) == 0) {
      // acquire: pairs with the release fetch_sub in unlock(), as in lock_shared().
      if (state_.compare_exchange_weak(seen, seen + 1, std::memory_order_acquire,
                                       std::memory_order_relaxed)) {
        return true;
      }
    }
    return false;
  }

  /// Releases a shared lock; the last reader out wakes every sleeping waiter, if any.
  /// Synchronizes with the next lock() or successful try_lock().
  /// pre: this thread holds the lock shared.
  void unlock_shared() noexcept SYNCMAP_RELEASE_SHARED() SYNCMAP_NO_THREAD_SAFETY_ANALYSIS {
    // release: our reads of the protected data happen before the next writer's writes; pairs
    // with the acquire CAS in lock()/try_lock().
    const std::uint32_t previous = state_.fetch_sub(1, std::memory_order_release);
    // Only the last reader out can unblock anyone (a writer waiting for the count to drain).
    if (SYNCMAP_UNLIKELY((previous & (parked_bit | reader_mask)) == (parked_bit | 1))) {
      clear_parked_and_wake();  // (I3)
    }
  }

 private:
  // Bit layout of state_:
  //   bits 0..28  reader count: threads holding the lock shared
  //   bit  29     parked: some thread may be asleep in wait_while_equal(state_, ...)
  //   bit  30     writer pending: a writer waits in lock(); new readers must not enter
  //   bit  31     writer holds the lock exclusively (then the reader count is 0)
  // The reader count cannot overflow into bit 29: each thread holds at most one shared lock,
  // and no system runs 2^29 threads.
  static constexpr std::uint32_t reader_mask = (std::uint32_t{1} << 29) - 1;
  static constexpr std::uint32_t parked_bit = std::uint32_t{1} << 29;
  static constexpr std::uint32_t pending_bit = std::uint32_t{1} << 30;
  static constexpr std::uint32_t writer_bit = std::uint32_t{1} << 31;
  // What keeps a new reader out: a holding or a waiting writer.
  static constexpr std::uint32_t reader_blockers = writer_bit | pending_bit;

  // Waiting policy, per acquisition that has to wait (see "Design" above):
  // - spin_rounds: round r spins 2^r cpu_relax() then re-reads the word, so 7 rounds spin
  //   1 + 2 + ... + 64 = 127 pauses: 0.1 to 6 us at 3 GHz depending on the core's pause
  //   latency (~3-10 cycles on Zen 1 and pre-Skylake Intel, ~65 on Zen 2+, ~140 on Skylake
  //   and later). A shard operation holds the lock for 50-500 ns, so a holder that is
  //   running usually releases within this, and the waiter never pays a system call.
  // - yield_rounds: 4 sched_yield calls (~1 us each when nobody else is runnable). Past the
  //   spin phase the holder is most likely preempted; a yield lets it run on this core when
  //   threads outnumber cores, without the sleep-and-wake round trip of parking (several us, two
  //   syscalls). More yields only keep a busy box's run queue churning.
  // After both phases the waiter parks until the word changes. Parking is what keeps waiters
  // off the CPU: 6 threads waiting out a 300 ms hold used 2.5 ms of CPU in all (measured).
  // NOTE: a sweep of spin_rounds {0, 4, 7, 10} x yield_rounds {0, 4, 16} with 8 threads on
  // the shared 2-core dev box (load average ~6) was noise-bound: throughput of one setting
  // varied 3x between runs, more than between settings. The values above rest on the
  // reasoning, not on that sweep; re-tune on a quiet machine with the bench preset.
  static constexpr unsigned spin_rounds = 7;
  static constexpr unsigned yield_rounds = 4;

  // The whole lock. Written only with atomic RMWs, except the plain loads that steer them.
  std::atomic<std::uint32_t> state_;

  SYNCMAP_NOINLINE void lock_slow() noexcept {
    unsigned round = 0;
    for (;;) {
      // relaxed: a hint for the CASes below; the acquire is on the one that takes the lock.
      std::uint32_t seen = state_.load(std::memory_order_relaxed);
      if ((seen & (writer_bit | reader_mask)) == 0) {
        // acquire: pairs with the release RMW in unlock()/unlock_shared(). Clears pending, our
        // wait being over (other waiting writers raise it again, I4); keeps parked, so our
        // unlock() wakes the sleepers (I2).
        if (state_.compare_exchange_weak(seen, (seen & parked_bit) | writer_bit,
                                         std::memory_order_acquire, std::memory_order_relaxed)) {
          return;
        }
        continue;  // the word changed under us: look again before waiting
      }
      if ((seen & pending_bit) == 0) {
        // relaxed: the pending bit publishes no data; it only turns away readers whose own
        // acquire CAS then fails on this very word.
        if (!state_.compare_exchange_weak(seen, seen | pending_bit, std::memory_order_relaxed,
                                          std::memory_order_relaxed)) {
          continue;
        }
        seen |= pending_bit;
      }
      wait_a_little(round, seen);
    }
  }

  SYNCMAP_NOINLINE void lock_shared_slow() noexcept {
    unsigned round = 0;
    for (;;) {
      // relaxed: a hint for the CAS, which carries the acquire.
      std::uint32_t seen = state_.load(std::memory_order_relaxed);
      if ((seen & reader_blockers) == 0) {
        // acquire: pairs with the release fetch_sub in unlock().
        if (state_.compare_exchange_weak(seen, seen + 1, std::memory_order_acquire,
                                         std::memory_order_relaxed)) {
          return;
        }
        continue;  // another reader got in first, or a writer arrived: look again
      }
      wait_a_little(round, seen);
    }
  }

  // One waiting step for a thread that found the word at `seen`, a state that blocks it.
  // `round` counts this acquisition's steps through the spin, yield and park phases.
  void wait_a_little(unsigned& round, std::uint32_t seen) noexcept {
    if (round < spin_rounds) {
      for (std::uint32_t i = 0, n = std::uint32_t{1} << round; i < n; ++i)
        detail::cpu_relax();
      ++round;
    } else if (round < spin_rounds + yield_rounds) {
      std::this_thread::yield();
      ++round;
    } else {
      park_then_recheck(seen);
    }
  }

  // Sleeps until the word leaves `seen`, a state that blocks the caller; returns at once if
  // the word has already left it. The caller then re-reads the word and tries again.
  //
  // Why no wake-up is lost. Suppose T sleeps in wait_while_equal(state_, v), v with the parked
  // bit set (T only sleeps on such a v: it saw it, or set the bit itself below).
  //   - T went to sleep because the word still held v, a state that blocks T. Whatever
  //     unblocks T is an unlock (I3), an RMW later in the word's modification order than T's
  //     check; it replaces a value that still has the parked bit, unless some
  //     clear_parked_and_wake() cleared it in between, which is itself followed by a wake.
  //     Either way a clear_parked_and_wake() follows T's check, and its wake_all comes after
  //     its clearing RMW, so the futex guarantee (detail/futex_wait.hpp: change, then wake)
  //     either finds T queued or makes T's own check see the changed word.
  //   - The CAS that sets the bit succeeds only if the word still equals `seen`, i.e. is still
  //     a state blocking T at that instant (I1); an unlock that came first changed the word,
  //     the CAS fails and T re-examines instead of sleeping. The same word value recurring
  //     (another writer re-locked: ABA) is harmless: it is then a blocking state again, and
  //     the bit is now set for the new holder's unlock to see.
  //   - A wake-up T did not need (a sleeper woken by the last reader while a writer got in
  //     first) only costs T a look at the word and another park.
  void park_then_recheck(std::uint32_t seen) noexcept {
    if ((seen & parked_bit) == 0) {
      // relaxed: the bit carries no data, only the promise that the next unlock wakes us; the
      // argument above needs nothing but this word's single modification order.
      if (!state_.compare_exchange_strong(seen, seen | parked_bit, std::memory_order_relaxed,
                                          std::memory_order_relaxed)) {
        return;  // the word moved on: maybe we can take the lock now
      }
      seen |= parked_bit;
    }
    detail::wait_while_equal(state_, seen);
  }

  // pre: the caller's RMW just replaced a value with the parked bit set and unblocked someone.
  SYNCMAP_NOINLINE void clear_parked_and_wake() noexcept {
    // relaxed: as for setting the bit; the sleepers acquire the lock through their own CAS.
    // The futex syscall's barrier orders this RMW before the wake's look at the sleep queue.
    state_.fetch_and(~parked_bit, std::memory_order_relaxed);
    detail::wake_all(state_);  // (I2): everyone who slept on the bit we just cleared
  }
};

// sharded_map packs the lock into the shard's cache line next to the table header.
static_assert(sizeof(rw_spinlock) == 4, "rw_spinlock must stay one 32-bit word");
static_assert(std::is_standard_layout<rw_spinlock>::value,
              "tests read the word through a pointer to the lock");

SYNCMAP_NAMESPACE_END

#endif  // SYNCMAP_RW_SPINLOCK_HPP
