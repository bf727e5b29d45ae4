// syncmap tests: rw_spinlock's parking path (waiters asleep in the kernel are woken by the
// right unlock) and its writer preference; plus the park/wake primitives on their own.
// SPDX-License-Identifier: MIT
//
// A lost wake-up shows up here as a hang (a thread asleep forever), not as a failed check:
// every test below finishes in milliseconds when the lock is correct.
#include <syncmap/detail/futex_wait.hpp>
#include <syncmap/rw_spinlock.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

#include "support/catch.hpp"
#include "support/stress.hpp"
#include "support/thread_runner.hpp"

namespace {

using syncmap::rw_spinlock;

// White-box access to the state word; layout as documented at rw_spinlock::state_.
std::atomic<std::uint32_t>& lock_word(rw_spinlock& lock) {
  return *reinterpret_cast<std::atomic<std::uint32_t>*>(&lock);
}
constexpr std::uint32_t parked_bit = std::uint32_t{1} << 29;
constexpr std::uint32_t pending_bit = std::uint32_t{1} << 30;

// Polls `done`, sleeping 1 ms between polls, at most `polls` times. Generous: the waits
// below take microseconds to a few milliseconds; the bound only turns a bug into a failure.
template <class Predicate>
bool eventually(Predicate done, int polls = 10'000) {
  for (int i = 0; i < polls; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return done();
}

}  // namespace

TEST_CASE("rw_spinlock: a sleeping writer's unlock wakes parked readers and writers",
          "[rw_spinlock]") {
  rw_spinlock lock;
  long protected_value = 0;  // plain: the lock orders every access
  std::atomic<int> finished{0};
  constexpr int waiter_count = 6;  // 3 readers, 3 writers

  lock.lock();
  std::vector<std::thread> waiters;
  for (int i = 0; i < waiter_count; ++i) {
    waiters.emplace_back([&, i] {
      if (i % 2 == 0) {
        lock.lock_shared();
        [[maybe_unused]] const long seen = protected_value;
        lock.unlock_shared();
      } else {
        lock.lock();
        ++protected_value;
        lock.unlock();
      }
      finished.fetch_add(1);
    });
  }
  // Hold the lock until some waiter has run out of spins and yields and parked, then ~20 ms
  // longer so the others park too.
  const bool parked_seen = eventually([&] { return (lock_word(lock).load() & parked_bit) != 0; });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const int finished_while_held = finished.load();
  lock.unlock();  // must wake every sleeper
  for (auto& waiter : waiters)
    waiter.join();

  CHECK(parked_seen);
  CHECK(finished_while_held == 0);
  CHECK(finished.load() == waiter_count);
  CHECK(protected_value == waiter_count / 2);
  CHECK(lock_word(lock).load() == 0);  // the last unlock cleared the parked bit
}

TEST_CASE("rw_spinlock: the last reader out wakes a parked writer", "[rw_spinlock]") {
  rw_spinlock lock;
  std::atomic<bool> writer_done{false};
  std::atomic<bool> release_second_reader{false};
  std::atomic<bool> second_reader_in{false};

  lock.lock_shared();  // first reader: this thread
  std::thread second_reader([&] {
    lock.lock_shared();
    second_reader_in = true;
    eventually([&] { return release_second_reader.load(); });
    lock.unlock_shared();
  });
  const bool both_readers_in = eventually([&] { return second_reader_in.load(); });

  std::thread writer([&] {
    lock.lock();
    lock.unlock();
    writer_done = true;
  });
  const bool writer_parked = eventually([&] {
    const std::uint32_t word = lock_word(lock).load();
    return (word & (parked_bit | pending_bit)) == (parked_bit | pending_bit);
  });

  // A reader that is not the last one leaving must not let the writer in.
  release_second_reader = true;
  second_reader.join();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const bool writer_done_early = writer_done.load();

  lock.unlock_shared();  // the last reader: must wake the writer
  writer.join();

  CHECK(both_readers_in);
  CHECK(writer_parked);
  CHECK_FALSE(writer_done_early);
  CHECK(writer_done.load());
  CHECK(lock_word(lock).load() == 0);
}

TEST_CASE("rw_spinlock: readers parked behind a pending writer get in after it", "[rw_spinlock]") {
  rw_spinlock lock;
  long protected_value = 0;  // plain: the lock orders every access
  std::atomic<int> readers_done{0};
  std::atomic<long> value_seen_by_readers{0};

  lock.lock_shared();  // keeps the writer waiting with its pending bit up
  std::thread writer([&] {
    lock.lock();
    protected_value = 42;
    lock.unlock();
  });
  const bool pending_seen = eventually([&] { return (lock_word(lock).load() & pending_bit) != 0; });

  std::vector<std::thread> readers;
  for (int i = 0; i < 3; ++i) {
    readers.emplace_back([&] {
      lock.lock_shared();  // refused while the writer is pending: parks
      value_seen_by_readers.fetch_add(protected_value);
      lock.unlock_shared();
      readers_done.fetch_add(1);
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let them park
  const int readers_done_early = readers_done.load();
  lock.unlock_shared();
  writer.join();
  for (auto& reader : readers)
    reader.join();

  CHECK(pending_seen);
  CHECK(readers_done_early == 0);
  CHECK(readers_done.load() == 3);
  // Writer preference: the parked readers entered only after the writer had written.
  CHECK(value_seen_by_readers.load() == 3 * 42);
  CHECK(lock_word(lock).load() == 0);
}

// Four readers hold the lock in overlapping turns, so the reader count rarely drops to 0.
// A reader-preferring lock lets them starve the writer; this one must let the writer in every
// time, long before the readers reach their (generous) iteration bound.
TEST_CASE("rw_spinlock: a writer gets in while readers keep the lock busy", "[rw_spinlock]") {
  rw_spinlock lock;
  long protected_value = 0;  // plain: the lock orders every access
  constexpr std::size_t reader_count = 4;
  const long writer_rounds = static_cast<long>(syncmap_test::scaled(200));
  // Per reader and per writer round; a fair run needs a tiny fraction of it.
  constexpr std::size_t starvation_bound = 500'000;
  std::atomic<bool> writer_finished{false};
  std::atomic<bool> readers_started{false};
  std::atomic<bool> bound_hit{false};

  syncmap_test::run_threads(reader_count + 1, [&](std::size_t index) {
    if (index == reader_count) {  // the writer
      // Bounded wait: a reader that threw never sets the flag.
      for (int i = 0; i < 100'000 && !readers_started.load(); ++i)
        std::this_thread::yield();
      for (long round = 0; round < writer_rounds; ++round) {
        lock.lock();
        ++protected_value;
        lock.unlock();
      }
      writer_finished = true;
      return;
    }
    long last_value = 0;
    std::size_t since_progress = 0;
    std::size_t iteration = 0;
    while (!writer_finished.load()) {
      lock.lock_shared();
      readers_started = true;
      const long value = protected_value;
      // Hold the lock a while so the readers' turns overlap; now and then across a yield, as a
      // preempted reader would, so the count stays above 0 while the others come and go.
      for (int spin = 0; spin < 64; ++spin)
        syncmap::detail::cpu_relax();
      if (++iteration % 16 == 0) std::this_thread::yield();
      lock.unlock_shared();
      SYNCMAP_THREAD_CHECK(value >= last_value);
      since_progress = value == last_value ? since_progress + 1 : 0;
      last_value = value;
      if (since_progress > starvation_bound) {
        // The writer made no progress in all that time: it is starved. Stop the readers so
        // it gets in and the test ends with a failure instead of running on.
        bound_hit = true;
        while (!writer_finished.load())
          std::this_thread::yield();
      }
    }
  });

  CHECK_FALSE(bound_hit.load());
  CHECK(protected_value == writer_rounds);
  CHECK(lock_word(lock).load() == 0);
}

TEST_CASE("detail::wait_while_equal and wake_all", "[rw_spinlock]") {
  std::atomic<std::uint32_t> word{7};

  SECTION("returns at once when the word already differs") {
    syncmap::detail::wait_while_equal(word, 8);
    SUCCEED();
  }

  SECTION("a sleeper wakes when the word changes and wake_all follows") {
    std::atomic<int> awake{0};
    std::vector<std::thread> sleepers;
    for (int i = 0; i < 3; ++i) {
      sleepers.emplace_back([&] {
        syncmap::detail::wait_while_equal(word, 7);
        awake.fetch_add(1);
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let them fall asleep
    const int awake_early = awake.load();
    syncmap::detail::wake_all(word);  // a wake without a change: they must sleep on
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    const int awake_after_empty_wake = awake.load();
    word.store(9);
    syncmap::detail::wake_all(word);
    for (auto& sleeper : sleepers)
      sleeper.join();
    CHECK(awake_early == 0);
    CHECK(awake_after_empty_wake == 0);
    CHECK(awake.load() == 3);
  }
}
