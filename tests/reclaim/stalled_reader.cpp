// syncmap tests: back-pressure. A reader parked inside a section blocks reclamation; a writer
// retiring past hard_limit must then block (not grow without bound) until the reader leaves,
// except a writer that is itself inside a section, which must not deadlock on itself.
// SPDX-License-Identifier: MIT
#include <syncmap/detail/epoch.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>

#include "support/catch.hpp"

namespace {

using syncmap::detail::epoch_domain;
using syncmap::detail::read_guard;
using syncmap::detail::retire_list;
using syncmap::detail::retired_node;

std::atomic<std::int64_t> live_nodes{0};

struct counted_node : retired_node {
  counted_node() {
    reclaim = &destroy;
    live_nodes.fetch_add(1, std::memory_order_relaxed);  // relaxed: a count read after joins
  }
  static void destroy(retired_node* node, void*) noexcept {
    delete static_cast<counted_node*>(node);
    live_nodes.fetch_sub(1, std::memory_order_relaxed);  // relaxed: as above
  }
};

// Spins (yielding) until `flag` is true. acquire: pairs with the setter's release store.
void wait_for(const std::atomic<bool>& flag) {
  while (!flag.load(std::memory_order_acquire))
    std::this_thread::yield();
}

}  // namespace

TEST_CASE("a writer blocks at hard_limit while a reader is parked, then completes",
          "[reclaim][stalled]") {
  static epoch_domain domain;
  const std::int64_t live_at_start = live_nodes.load();
  retire_list retired(domain);
  constexpr std::size_t to_retire = retire_list::hard_limit + 64;
  std::atomic<bool> parked{false};
  std::atomic<bool> release{false};
  std::atomic<bool> writer_done{false};
  std::atomic<std::size_t> writer_progress{0};

  std::thread reader([&] {
    read_guard guard(domain);
    parked.store(true, std::memory_order_release);  // release: pairs with wait_for
    wait_for(release);
  });
  wait_for(parked);
  std::thread writer([&] {
    for (std::size_t i = 0; i < to_retire; ++i) {
      retired.retire(new counted_node, nullptr);
      writer_progress.store(i + 1, std::memory_order_relaxed);  // relaxed: a progress gauge
    }
    writer_done.store(true, std::memory_order_release);  // release: pairs with the loads below
  });

  // Wait until the writer has reached the limit (or, if back-pressure is broken, finished).
  while (retired.pending() < retire_list::hard_limit &&
         !writer_done.load(std::memory_order_acquire)) {
    std::this_thread::yield();
  }
  for (int i = 0; i < 200; ++i)
    std::this_thread::yield();
  // Not a timing assertion: with the reader still parked no node retired after it entered
  // can be freed, so the writer cannot get below hard_limit, whatever the scheduling.
  CHECK_FALSE(writer_done.load(std::memory_order_acquire));
  CHECK(writer_progress.load() < to_retire);
  CHECK(retired.pending() <= retire_list::hard_limit + 1);

  release.store(true, std::memory_order_release);  // release: pairs with wait_for
  reader.join();
  writer.join();
  CHECK(writer_done.load(std::memory_order_acquire));
  retired.drain(nullptr);
  CHECK(retired.pending() == 0);
  CHECK(live_nodes.load() == live_at_start);
}

TEST_CASE("a writer inside its own section retires past hard_limit without deadlock",
          "[reclaim][stalled]") {
  static epoch_domain domain;
  const std::int64_t live_at_start = live_nodes.load();
  retire_list retired(domain);
  constexpr std::size_t to_retire = retire_list::hard_limit + 256;
  std::thread writer([&] {
    {
      read_guard guard(domain);
      // Our own section blocks the second advance: nothing retired here can be freed yet,
      // so pending() passes hard_limit, and retire() must only try, not wait.
      for (std::size_t i = 0; i < to_retire; ++i)
        retired.retire(new counted_node, nullptr);
    }
    // Outside the section the usual rule applies again and this one may wait, briefly.
    retired.retire(new counted_node, nullptr);
  });
  writer.join();  // a deadlock hangs here (ctest's timeout reports it)
  retired.drain(nullptr);
  CHECK(retired.pending() == 0);
  CHECK(live_nodes.load() == live_at_start);
}

TEST_CASE("a writer in a section of another domain still gets back-pressure here",
          "[reclaim][stalled]") {
  // Sections are per domain: being inside domain `other` does not exempt a writer from
  // waiting on `domain`, and the wait is not a self-deadlock because nothing it waits for
  // depends on `other`.
  static epoch_domain domain;
  static epoch_domain other;
  const std::int64_t live_at_start = live_nodes.load();
  retire_list retired(domain);
  std::thread writer([&] {
    read_guard guard(other);
    for (std::size_t i = 0; i < retire_list::hard_limit + 64; ++i) {
      retired.retire(new counted_node, nullptr);
    }
  });
  writer.join();
  CHECK(retired.pending() <= retire_list::hard_limit + 1);
  retired.drain(nullptr);
  CHECK(live_nodes.load() == live_at_start);
}
