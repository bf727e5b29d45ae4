// syncmap tests: retire_list accounting. Every retired node is freed exactly once, pending()
// returns to zero after drain(), the documented garbage bound holds under churn, and lists
// can be created and destroyed concurrently in one domain.
// SPDX-License-Identifier: MIT
#include <syncmap/detail/epoch.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "support/catch.hpp"
#include "support/stress.hpp"
#include "support/thread_runner.hpp"

namespace {

using syncmap::detail::epoch_domain;
using syncmap::detail::read_guard;
using syncmap::detail::retire_list;
using syncmap::detail::retired_node;

// A node that records its own freeing in a per-id counter, so a double free or a node never
// freed shows up as a count other than 1.
struct tracked_node : retired_node {
  tracked_node(std::atomic<unsigned char>* freed_counter, void* expected_owner)
      : freed(freed_counter), owner(expected_owner) {
    reclaim = &destroy;
  }

  static void destroy(retired_node* node, void* owner_arg) noexcept {
    auto* self = static_cast<tracked_node*>(node);
    // relaxed: per-id event counts, read after joining every thread.
    self->freed->fetch_add(1, std::memory_order_relaxed);
    if (owner_arg != self->owner) self->freed->fetch_add(100, std::memory_order_relaxed);
    delete self;
  }

  std::atomic<unsigned char>* freed;
  void* owner;
};

// A thread that opens a read section of `domain` and keeps it open until close() (or
// destruction). The constructor returns once the section is open.
class held_section {
 public:
  explicit held_section(epoch_domain& domain)
      : thread_([this, &domain] {
          read_guard guard(domain);
          opened_.store(true, std::memory_order_release);  // release: pairs with the wait below
          // acquire: pairs with close()'s release.
          while (!closing_.load(std::memory_order_acquire))
            std::this_thread::yield();
        }) {
    // acquire: pairs with the release above.
    while (!opened_.load(std::memory_order_acquire))
      std::this_thread::yield();
  }
  held_section(const held_section&) = delete;
  held_section& operator=(const held_section&) = delete;
  ~held_section() { close(); }

  void close() {
    closing_.store(true, std::memory_order_release);  // release: pairs with the thread's wait
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> opened_{false};
  std::atomic<bool> closing_{false};
  std::thread thread_;  // declared last: it starts once the flags exist
};

}  // namespace

TEST_CASE("every retired node is freed exactly once, with its owner", "[reclaim][retire]") {
  static epoch_domain domain;
  retire_list retired(domain);
  int owner_tag = 0;  // any address: the reclaim function checks it is passed through
  void* const owner = &owner_tag;
  const std::size_t per_writer = syncmap_test::scaled(20000);
  std::vector<std::atomic<unsigned char>> freed(2 * per_writer);
  std::atomic<int> writers_running{2};

  syncmap_test::run_threads(4, [&](std::size_t index) {
    if (index < 2) {
      for (std::size_t i = 0; i < per_writer; ++i) {
        auto* node = new tracked_node(&freed[index * per_writer + i], owner);
        if (i % 3 == 0) {
          read_guard guard(domain);  // some retires happen inside a section
          retired.retire(node, owner);
        } else {
          retired.retire(node, owner);
        }
        if (i % 1000 == 999) retired.collect(owner);
      }
      writers_running.fetch_sub(1, std::memory_order_relaxed);  // relaxed: a stop signal
      return;
    }
    while (writers_running.load(std::memory_order_relaxed) != 0) {  // relaxed: as above
      read_guard guard(domain);
      std::this_thread::yield();
    }
  });

  retired.drain(owner);
  CHECK(retired.pending() == 0);
  std::size_t wrong = 0;
  for (auto& count : freed)
    wrong += count.load() != 1;
  CHECK(wrong == 0);
}

TEST_CASE("pending() stays within hard_limit + retiring threads while a reader stalls",
          "[reclaim][retire][bound]") {
  static epoch_domain domain;
  retire_list retired(domain);
  constexpr std::size_t writers = 2;
  const std::size_t stalls = syncmap_test::scaled(3);
  std::vector<std::atomic<unsigned char>> freed_sink(1);  // counts are not checked here
  std::atomic<bool> reader_done{false};
  std::atomic<int> writers_running{static_cast<int>(writers)};
  std::atomic<std::size_t> max_pending{0};
  std::atomic<std::size_t> stalls_reaching_limit{0};

  syncmap_test::run_threads(4, [&](std::size_t index) {
    if (index < writers) {
      // relaxed: a stop signal; the nodes are published through the list.
      while (!reader_done.load(std::memory_order_relaxed)) {
        retired.retire(new tracked_node(&freed_sink[0], nullptr), nullptr);
      }
      writers_running.fetch_sub(1, std::memory_order_relaxed);  // relaxed: a stop signal
    } else if (index == writers) {
      // The stalling reader: holds a section until the writers have hit the hard limit (or
      // a bounded number of yields, should they be slow), then lets go; repeats.
      for (std::size_t round = 0; round < stalls; ++round) {
        read_guard guard(domain);
        for (std::size_t spins = 0; spins < 2000000; ++spins) {
          if (retired.pending() >= retire_list::hard_limit) {
            stalls_reaching_limit.fetch_add(1, std::memory_order_relaxed);  // relaxed: a count
            break;
          }
          std::this_thread::yield();
        }
      }
      reader_done.store(true, std::memory_order_relaxed);  // relaxed: a stop signal
    } else {
      // The sampler.
      while (writers_running.load(std::memory_order_relaxed) != 0) {  // relaxed: as above
        const std::size_t now = retired.pending();
        std::size_t seen = max_pending.load(std::memory_order_relaxed);
        // relaxed: a running maximum, read after the join.
        while (now > seen &&
               !max_pending.compare_exchange_weak(seen, now, std::memory_order_relaxed)) {
        }
        std::this_thread::yield();
      }
    }
  });

  INFO("max pending " << max_pending.load() << ", stalls reaching the limit "
                      << stalls_reaching_limit.load() << " of " << stalls);
  CHECK(max_pending.load() <= retire_list::hard_limit + writers);
  CHECK(stalls_reaching_limit.load() > 0);  // the bound was actually exercised
  retired.drain(nullptr);
  CHECK(retired.pending() == 0);
}

TEST_CASE("many retire_lists are created and destroyed concurrently in one domain",
          "[reclaim][retire]") {
  static epoch_domain domain;
  const std::size_t lists_per_thread = syncmap_test::scaled(200);
  std::vector<std::atomic<unsigned char>> freed(3 * lists_per_thread * 20);
  retire_list long_lived(domain);
  std::atomic<int> makers_running{3};

  syncmap_test::run_threads(4, [&](std::size_t index) {
    if (index < 3) {
      for (std::size_t l = 0; l < lists_per_thread; ++l) {
        auto list = std::make_unique<retire_list>(domain);
        void* const owner = list.get();
        for (std::size_t n = 0; n < 20; ++n) {
          auto* node = new tracked_node(&freed[(index * lists_per_thread + l) * 20 + n], owner);
          if (n % 2 == 0) {
            read_guard guard(domain);
            list->retire(node, owner);
          } else {
            list->retire(node, owner);
          }
        }
        list->collect(owner);
        list->drain(owner);
        SYNCMAP_THREAD_CHECK(list->pending() == 0);
      }
      makers_running.fetch_sub(1, std::memory_order_relaxed);  // relaxed: a stop signal
      return;
    }
    // A reader/writer on a long-lived list in the same domain, meanwhile.
    std::vector<std::atomic<unsigned char>> sink(1);
    while (makers_running.load(std::memory_order_relaxed) != 0) {  // relaxed: as above
      read_guard guard(domain);
      long_lived.retire(new tracked_node(&sink[0], nullptr), nullptr);
    }
    long_lived.drain(nullptr);
  });

  CHECK(long_lived.pending() == 0);
  std::size_t wrong = 0;
  for (auto& count : freed)
    wrong += count.load() != 1;
  CHECK(wrong == 0);
}

// drain() called while a section opened before the retire is still open must wait for that
// section: the node stays unfreed and drain() does not return until the section closes.
// Guards the grace period (synchronize) in drain(); rcu_map never drains, so no other test
// checks it. See docs/verification.md.
TEST_CASE("drain waits for a section opened before the node was retired", "[reclaim][retire]") {
  static epoch_domain domain;
  retire_list retired(domain);
  std::atomic<unsigned char> freed{0};
  std::atomic<bool> drained{false};
  held_section reader(domain);
  retired.retire(new tracked_node(&freed, nullptr), nullptr);
  std::thread drainer([&] {
    retired.drain(nullptr);
    drained.store(true, std::memory_order_release);  // release: pairs with the loads below
  });
  // Give drain() time to do its work; a drain that does not wait returns within this.
  for (int i = 0; i < 2000 && !drained.load(std::memory_order_acquire); ++i)
    std::this_thread::yield();
  // Not a timing assertion: the section is still open, so this must hold however long we
  // waited.
  CHECK_FALSE(drained.load(std::memory_order_acquire));
  CHECK(freed.load() == 0);
  reader.close();
  drainer.join();
  CHECK(freed.load() == 1);
  CHECK(retired.pending() == 0);
}

TEST_CASE("one advance serves every list: a collection skips its own when the clock moved",
          "[reclaim][retire]") {
  // Every advance is a heavy fence (membarrier). A collection advances only if the clock has
  // not moved since its list's previous collection; otherwise another list's advance already
  // aged its batches. Single-threaded on a private domain, so every advance is one of these.
  static epoch_domain domain;
  retire_list first(domain);
  retire_list second(domain);
  std::vector<std::atomic<unsigned char>> freed(16);
  std::size_t used = 0;
  // Each collection below first gets a fresh node, so its list always holds a batch that is
  // not yet safe (a list with nothing held returns before considering an advance).
  auto collect_with_new_node = [&](retire_list& list) {
    REQUIRE(used < freed.size());
    list.retire(new tracked_node(&freed[used++], nullptr), nullptr);
    list.collect(nullptr);
  };
  collect_with_new_node(first);
  collect_with_new_node(second);  // `second` has now seen the clock at some epoch E
  const std::uint64_t seen_by_second = domain.epoch();
  // `first` advances (at most two collections: the first may only record the clock).
  for (int i = 0; i < 2 && domain.epoch() == seen_by_second; ++i)
    collect_with_new_node(first);
  const std::uint64_t advanced = domain.epoch();
  REQUIRE(advanced == seen_by_second + 1);
  collect_with_new_node(second);  // the clock moved since its last collection: no advance
  CHECK(domain.epoch() == advanced);
  collect_with_new_node(second);  // it has not moved since: this one advances
  CHECK(domain.epoch() == advanced + 1);

  first.drain(nullptr);
  second.drain(nullptr);
  CHECK(first.pending() == 0);
  CHECK(second.pending() == 0);
  for (std::size_t i = 0; i < used; ++i)
    CHECK(freed[i].load() == 1);
}
