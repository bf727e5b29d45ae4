// syncmap tests: start N threads together, join them, rethrow the first failure.
// SPDX-License-Identifier: MIT
//
// Concurrency tests only find bugs when the threads really overlap. Spawning a thread takes
// tens of microseconds, long enough for the first thread to finish a short loop before the
// last one starts, so every worker first waits at a start gate that opens only when all of
// them have arrived (Boost.Unordered's thread_runner and Lincheck do the same).
//
// Catch2's assertion macros are not thread-safe, so workers never use them. A worker reports
// a broken invariant by throwing (SYNCMAP_THREAD_CHECK does it with file, line and the
// expression); run_threads() catches it, lets the other workers finish, and rethrows the
// first one in the calling thread, where Catch2 reports it.
#ifndef SYNCMAP_TESTS_SUPPORT_THREAD_RUNNER_HPP
#define SYNCMAP_TESTS_SUPPORT_THREAD_RUNNER_HPP

#include <atomic>
#include <cstddef>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "stress.hpp"

namespace syncmap_test {

// 4 workers on the 2-core CI box by default: 2x oversubscription makes the scheduler preempt
// threads inside critical sections, which is where the bugs are. SYNCMAP_STRESS_THREADS
// changes it for soak runs (stress.hpp).
inline const std::size_t default_thread_count = stress_thread_count();

// A one-shot barrier (std::latch is C++20). Waiters spin briefly and then yield, so an
// oversubscribed machine still makes progress.
class start_gate {
 public:
  explicit start_gate(std::size_t expected) : remaining_(expected) {}

  void arrive_and_wait() noexcept {
    // relaxed (both): the gate only lines up start times; it publishes nothing, since all
    // the workers read was written before std::thread's constructor, which synchronizes.
    remaining_.fetch_sub(1, std::memory_order_relaxed);
    for (unsigned spins = 0; remaining_.load(std::memory_order_relaxed) != 0; ++spins) {
      if (spins > 64) std::this_thread::yield();
    }
  }

 private:
  std::atomic<std::size_t> remaining_;
};

// Thrown by SYNCMAP_THREAD_CHECK in a worker thread.
class thread_check_failure : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

[[noreturn]] inline void fail_thread_check(const char* expression, const char* file, int line,
                                           const std::string& detail = {}) {
  std::string message =
      std::string(file) + ":" + std::to_string(line) + ": check failed: " + expression;
  if (!detail.empty()) message += " (" + detail + ")";
  throw thread_check_failure(message);
}

// Runs body(thread_index) on `count` threads released together. Returns once all have
// finished; rethrows the first exception any of them threw. A worker that waits for another
// one must bound its wait, since the other may have thrown.
template <class Body>
void run_threads(std::size_t count, Body body) {
  start_gate gate(count);
  std::mutex failure_mutex;
  std::exception_ptr first_failure;  // guarded by failure_mutex
  std::vector<std::thread> threads;
  threads.reserve(count);
  for (std::size_t index = 0; index < count; ++index) {
    threads.emplace_back([&, index] {
      gate.arrive_and_wait();
      try {
        body(index);
      } catch (...) {
        std::lock_guard<std::mutex> lock(failure_mutex);
        if (!first_failure) first_failure = std::current_exception();
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  if (first_failure) std::rethrow_exception(first_failure);
}

}  // namespace syncmap_test

// Check a condition inside a worker thread; throw thread_check_failure when it is false.
// The _MSG form appends `detail` (a std::string) to the message.
#define SYNCMAP_THREAD_CHECK(expression)                                  \
  do {                                                                    \
    if (!(expression)) {                                                  \
      ::syncmap_test::fail_thread_check(#expression, __FILE__, __LINE__); \
    }                                                                     \
  } while (false)
#define SYNCMAP_THREAD_CHECK_MSG(expression, detail)                              \
  do {                                                                            \
    if (!(expression)) {                                                          \
      ::syncmap_test::fail_thread_check(#expression, __FILE__, __LINE__, detail); \
    }                                                                             \
  } while (false)

#endif  // SYNCMAP_TESTS_SUPPORT_THREAD_RUNNER_HPP
