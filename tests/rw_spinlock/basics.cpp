// syncmap tests: rw_spinlock's type properties, try_lock semantics and standard lock wrappers.
// SPDX-License-Identifier: MIT
#include <syncmap/rw_spinlock.hpp>

#include <atomic>
#include <cstdint>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include "support/catch.hpp"

namespace {

using syncmap::rw_spinlock;

// White-box: the lock is a standard-layout class whose only member is its state word, so a
// pointer to it is a pointer to the word. The bit layout is the one documented at `state_`.
std::atomic<std::uint32_t>& lock_word(rw_spinlock& lock) {
  return *reinterpret_cast<std::atomic<std::uint32_t>*>(&lock);
}
constexpr std::uint32_t pending_bit = std::uint32_t{1} << 30;

// Runs `f` on a fresh thread and returns its result, so try_lock probes come from a thread
// that holds nothing (a thread re-locking a lock it holds is undefined for a SharedMutex).
template <class F>
auto on_other_thread(F f) {
  decltype(f()) result{};
  std::thread thread([&] { result = f(); });
  thread.join();
  return result;
}

// Whether another thread could take the lock exclusively / shared right now. A lock it gets
// is released at once, so a wrong answer fails a check instead of wedging the test.
bool other_thread_can_lock(rw_spinlock& lock) {
  return on_other_thread([&] {
    const bool taken = lock.try_lock();
    if (taken) lock.unlock();
    return taken;
  });
}
bool other_thread_can_lock_shared(rw_spinlock& lock) {
  return on_other_thread([&] {
    const bool taken = lock.try_lock_shared();
    if (taken) lock.unlock_shared();
    return taken;
  });
}

// Polls `done` with yields, at most `polls` times; false if it never became true. The bound
// turns a bug into a failed check instead of a hang; a correct lock needs a few polls.
template <class Predicate>
bool eventually(Predicate done, long polls = 2'000'000) {
  for (long i = 0; i < polls; ++i) {
    if (done()) return true;
    std::this_thread::yield();
  }
  return done();
}

// Static storage, constant-initialized: the constructor is constexpr.
rw_spinlock global_lock;

}  // namespace

TEST_CASE("rw_spinlock: type properties", "[rw_spinlock]") {
  STATIC_REQUIRE(sizeof(rw_spinlock) == 4);
  STATIC_REQUIRE(std::is_standard_layout<rw_spinlock>::value);
  STATIC_REQUIRE(std::is_nothrow_default_constructible<rw_spinlock>::value);
  STATIC_REQUIRE_FALSE(std::is_copy_constructible<rw_spinlock>::value);
  STATIC_REQUIRE_FALSE(std::is_copy_assignable<rw_spinlock>::value);
  STATIC_REQUIRE_FALSE(std::is_move_constructible<rw_spinlock>::value);
  STATIC_REQUIRE_FALSE(std::is_move_assignable<rw_spinlock>::value);
  // Compiles only if the default constructor is constexpr.
  [[maybe_unused]] constexpr rw_spinlock constant_initialized{};
  STATIC_REQUIRE(noexcept(std::declval<rw_spinlock&>().unlock()));
  STATIC_REQUIRE(noexcept(std::declval<rw_spinlock&>().unlock_shared()));

  const bool taken = global_lock.try_lock();
  if (taken) global_lock.unlock();
  REQUIRE(taken);
}

TEST_CASE("rw_spinlock: parks with the platform's primitive", "[rw_spinlock]") {
  const std::string backend = syncmap::detail::park_backend_name;
  INFO("park backend: " << backend);
#if defined(__linux__) && !defined(SYNCMAP_PARK_WITH_SLEEP) && \
    !defined(SYNCMAP_PARK_WITH_ATOMIC_WAIT)
  CHECK(backend == "futex");  // never the sleeping fallback where the futex exists
#else
  CHECK(!backend.empty());
#endif
}

TEST_CASE("rw_spinlock: try_lock semantics", "[rw_spinlock]") {
  rw_spinlock lock;

  SECTION("a free lock is taken by either try_lock") {
    const bool taken = lock.try_lock();
    if (taken) lock.unlock();
    REQUIRE(taken);
    const bool taken_shared = lock.try_lock_shared();
    if (taken_shared) lock.unlock_shared();
    REQUIRE(taken_shared);
    REQUIRE(lock_word(lock).load() == 0);
  }

  SECTION("a held writer blocks try_lock and try_lock_shared") {
    lock.lock();
    CHECK_FALSE(other_thread_can_lock(lock));
    CHECK_FALSE(other_thread_can_lock_shared(lock));
    lock.unlock();
    CHECK(other_thread_can_lock(lock));
  }

  SECTION("a reader blocks try_lock but not try_lock_shared") {
    lock.lock_shared();
    CHECK_FALSE(other_thread_can_lock(lock));
    CHECK(other_thread_can_lock_shared(lock));
    lock.unlock_shared();
    CHECK(other_thread_can_lock(lock));
  }

  SECTION("two readers: the writer waits for both") {
    lock.lock_shared();
    std::atomic<bool> release_reader{false};
    std::atomic<bool> reader_in{false};
    std::thread reader([&] {
      lock.lock_shared();
      reader_in = true;
      eventually([&] { return release_reader.load(); });
      lock.unlock_shared();
    });
    const bool reader_entered = eventually([&] { return reader_in.load(); });
    lock.unlock_shared();
    const bool blocked_by_second_reader = !other_thread_can_lock(lock);
    release_reader = true;
    reader.join();
    CHECK(reader_entered);
    CHECK(blocked_by_second_reader);
    CHECK(lock_word(lock).load() == 0);
  }
}

TEST_CASE("rw_spinlock: a pending writer turns new readers away", "[rw_spinlock]") {
  rw_spinlock lock;
  lock.lock_shared();  // the reader the writer waits for

  std::atomic<bool> writer_in{false};
  std::atomic<bool> release_writer{false};
  std::thread writer([&] {
    lock.lock();
    writer_in = true;
    eventually([&] { return release_writer.load(); });
    lock.unlock();
  });

  const bool pending_seen = eventually([&] { return (lock_word(lock).load() & pending_bit) != 0; });
  // The lock is held only shared, yet a new reader must not enter while a writer waits.
  const bool shared_refused_while_pending = !other_thread_can_lock_shared(lock);
  const bool exclusive_refused_while_pending = !other_thread_can_lock(lock);
  const bool writer_entered_early = writer_in.load();

  lock.unlock_shared();  // the writer may go now
  const bool writer_entered = eventually([&] { return writer_in.load(); });
  const bool shared_refused_while_written = !other_thread_can_lock_shared(lock);
  release_writer = true;
  writer.join();

  CHECK(pending_seen);
  CHECK(shared_refused_while_pending);
  CHECK(exclusive_refused_while_pending);
  CHECK_FALSE(writer_entered_early);
  CHECK(writer_entered);
  CHECK(shared_refused_while_written);
  // The acquiring writer cleared the pending bit; nothing is left over once all are gone.
  CHECK(lock_word(lock).load() == 0);
  CHECK(other_thread_can_lock_shared(lock));
}

TEST_CASE("rw_spinlock: works with the standard lock wrappers", "[rw_spinlock]") {
  rw_spinlock lock;
  {
    std::unique_lock<rw_spinlock> exclusive(lock);
    REQUIRE(exclusive.owns_lock());
    CHECK_FALSE(other_thread_can_lock_shared(lock));
  }
  {
    std::shared_lock<rw_spinlock> shared(lock);
    REQUIRE(shared.owns_lock());
    CHECK(on_other_thread([&] {
      std::shared_lock<rw_spinlock> second(lock, std::try_to_lock);
      return second.owns_lock();
    }));
    CHECK_FALSE(on_other_thread([&] {
      std::unique_lock<rw_spinlock> writer(lock, std::try_to_lock);
      return writer.owns_lock();
    }));
  }
  {
    std::unique_lock<rw_spinlock> deferred(lock, std::defer_lock);
    REQUIRE_FALSE(deferred.owns_lock());
    REQUIRE(deferred.try_lock());
    deferred.unlock();
    std::shared_lock<rw_spinlock> shared_deferred(lock, std::defer_lock);
    REQUIRE(shared_deferred.try_lock());
  }
  {
    rw_spinlock other;
    std::scoped_lock both(lock, other);  // std::lock's deadlock avoidance uses try_lock
    CHECK_FALSE(other_thread_can_lock(other));
  }
  {
    std::lock_guard<rw_spinlock> guard(lock);
    CHECK_FALSE(other_thread_can_lock(lock));
  }
  REQUIRE(lock_word(lock).load() == 0);
}

namespace {

// Compiled with clang's -Wthread-safety this checks the lock's capability annotations: the
// analysis must accept every access below, and would flag one made without the lock.
class annotated_counter {
 public:
  void add(int n) {
    lock_.lock();
    value_ += n;
    lock_.unlock();
  }
  bool try_add(int n) {
    if (!lock_.try_lock()) return false;
    value_ += n;
    lock_.unlock();
    return true;
  }
  int get() {
    lock_.lock_shared();
    const int value = value_;
    lock_.unlock_shared();
    return value;
  }
  bool try_get(int& out) {
    if (!lock_.try_lock_shared()) return false;
    out = value_;
    lock_.unlock_shared();
    return true;
  }

 private:
  rw_spinlock lock_;
  int value_ SYNCMAP_GUARDED_BY(lock_) = 0;  // guarded by lock_
};

}  // namespace

TEST_CASE("rw_spinlock: thread-safety annotations accept correct use", "[rw_spinlock]") {
  annotated_counter counter;
  counter.add(2);
  REQUIRE(counter.try_add(3));
  int value = 0;
  REQUIRE(counter.try_get(value));
  CHECK(value == 5);
  CHECK(counter.get() == 5);
}
