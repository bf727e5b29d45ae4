// syncmap tests: epoch_domain on its own. Read sections, records, fence-mode selection,
// try_advance and synchronize.
// SPDX-License-Identifier: MIT
#include <syncmap/detail/epoch.hpp>

#include <atomic>
#include <cstdlib>
#include <thread>

#include "support/catch.hpp"

namespace {

using syncmap::detail::epoch_domain;
using syncmap::detail::fence_mode;
using syncmap::detail::read_guard;

// Spins (yielding) until `flag` is true. acquire: pairs with the setter's release store.
void wait_for(const std::atomic<bool>& flag) {
  while (!flag.load(std::memory_order_acquire))
    std::this_thread::yield();
}

// A thread holding a read section of `domain` open until leave() (or destruction).
class parked_reader {
 public:
  explicit parked_reader(epoch_domain& domain)
      : thread_([this, &domain] {
          read_guard guard(domain);
          entered_.store(true, std::memory_order_release);  // release: pairs with wait_for
          wait_for(release_);
        }) {
    wait_for(entered_);
  }
  parked_reader(const parked_reader&) = delete;
  parked_reader& operator=(const parked_reader&) = delete;
  ~parked_reader() { leave(); }
  // Closes the section; its leave() happens before whatever the caller does next.
  void leave() {
    release_.store(true, std::memory_order_release);  // release: pairs with wait_for
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool> entered_{false};
  std::atomic<bool> release_{false};
  std::thread thread_;
};

}  // namespace

TEST_CASE("read sections nest and report in_section", "[reclaim][domain]") {
  static epoch_domain domain;
  CHECK_FALSE(domain.in_section());
  {
    read_guard outer(domain);
    CHECK(domain.in_section());
    {
      read_guard inner(domain);
      CHECK(domain.in_section());
    }
    CHECK(domain.in_section());
  }
  CHECK_FALSE(domain.in_section());
  CHECK(domain.registered_records() == 1);
  CHECK(domain.active_records() == 1);  // this thread keeps its record until it exits
}

TEST_CASE("sections of different domains nest independently", "[reclaim][domain]") {
  // More domains than the owner's fixed slots, so the overflow list is used too.
  static epoch_domain domains[7];
  for (auto& domain : domains)
    domain.enter();
  for (auto& domain : domains)
    CHECK(domain.in_section());
  // Leave in an order that misses the one-entry TLS cache every time.
  for (int i = 0; i < 7; i += 2)
    domains[i].leave();
  for (int i = 0; i < 7; ++i)
    CHECK(domains[i].in_section() == (i % 2 == 1));
  for (int i = 1; i < 7; i += 2)
    domains[i].leave();
  for (auto& domain : domains) {
    CHECK_FALSE(domain.in_section());
    CHECK(domain.registered_records() == 1);
  }
}

TEST_CASE("fence mode: forced symmetric, environment opt-out, and fixed once chosen",
          "[reclaim][domain][fence]") {
  static epoch_domain forced;
  CHECK(forced.select_fence_mode(true) == fence_mode::symmetric);
  // Already chosen: a later request cannot change it.
  CHECK(forced.select_fence_mode(false) == fence_mode::symmetric);

  static epoch_domain opted_out;
  REQUIRE(::setenv("SYNCMAP_NO_MEMBARRIER", "1", 1) == 0);
  const fence_mode opted_out_mode = opted_out.select_fence_mode();
  REQUIRE(::unsetenv("SYNCMAP_NO_MEMBARRIER") == 0);
  CHECK(opted_out_mode == fence_mode::symmetric);

  // Without the opt-out the domain takes whatever this machine supports; the first
  // section fixes it.
  static epoch_domain probed;
  { read_guard guard(probed); }
  const fence_mode probed_mode = probed.select_fence_mode(true);
  CHECK(probed_mode == syncmap::detail::probe_fence_mode());
#if SYNCMAP_TSAN
  CHECK(probed_mode == fence_mode::symmetric);  // TSan models no membarrier
#endif
  CHECK(probed.try_advance());  // the heavy fence of the chosen mode works
}

// [K] in epoch.hpp: the inline enter() gives a cached domain's section a compiler barrier for
// its light fence, so a symmetric-mode domain (which needs a real fence) must never be cached
// outside TSan; there every domain is symmetric and the inline path fences for real.
TEST_CASE("the TLS cache names only domains whose inline light fence is right for them",
          "[reclaim][domain][fence]") {
  static epoch_domain symmetric;
  REQUIRE(symmetric.select_fence_mode(true) == fence_mode::symmetric);
  for (int i = 0; i < 2; ++i) {  // the second section would hit a filled cache
    read_guard outer(symmetric);
    read_guard inner(symmetric);
    CHECK(symmetric.in_section());
  }
  CHECK_FALSE(symmetric.in_section());
  const bool symmetric_cached = syncmap::detail::epoch_tls.cache.domain == &symmetric;
  CHECK(symmetric_cached == (SYNCMAP_TSAN != 0));

  static epoch_domain machine;
  { read_guard guard(machine); }
  const bool machine_cached = syncmap::detail::epoch_tls.cache.domain == &machine;
  CHECK(machine_cached ==
        (SYNCMAP_TSAN != 0 || machine.select_fence_mode() == fence_mode::asymmetric));
}

TEST_CASE("try_advance waits for sections of older epochs only", "[reclaim][domain]") {
  static epoch_domain domain;
  const auto start = domain.epoch();
  CHECK(domain.try_advance());  // nobody in a section
  CHECK(domain.epoch() == start + 1);

  parked_reader reader(domain);
  // The reader shows the current epoch: one advance is allowed, the next is not.
  CHECK(domain.try_advance());
  CHECK(domain.epoch() == start + 2);
  CHECK_FALSE(domain.try_advance());
  CHECK_FALSE(domain.try_advance());
  CHECK(domain.epoch() == start + 2);
  reader.leave();
  CHECK(domain.try_advance());
  CHECK(domain.epoch() == start + 3);
}

TEST_CASE("try_advance spares the heavy fence while a section that blocked it stays open",
          "[reclaim][domain]") {
  static epoch_domain domain;
  parked_reader reader(domain);
  CHECK(domain.try_advance());  // the reader shows the current epoch, then an older one
  auto fences = domain.heavy_fences();
  CHECK_FALSE(domain.try_advance());  // a fenced scan finds the reader's section first
  CHECK(domain.heavy_fences() == ++fences);
  for (int i = 0; i < 100; ++i)
    CHECK_FALSE(domain.try_advance());
  // A descheduled reader would otherwise cost every collection a membarrier (epoch.hpp).
  CHECK(domain.heavy_fences() == fences);
  reader.leave();  // happens before the next scan: the word reads 0
  CHECK(domain.try_advance());
  CHECK(domain.heavy_fences() == fences + 1);
}

TEST_CASE("synchronize waits for a section opened before it", "[reclaim][domain][sync]") {
  static epoch_domain domain;
  std::atomic<bool> entered{false};
  std::atomic<bool> release{false};
  std::atomic<bool> sync_started{false};
  std::atomic<bool> sync_done{false};
  std::thread reader([&] {
    read_guard guard(domain);
    entered.store(true, std::memory_order_release);  // release: pairs with wait_for
    wait_for(release);
  });
  wait_for(entered);
  std::thread syncer([&] {
    sync_started.store(true, std::memory_order_release);  // release: pairs with wait_for
    domain.synchronize();
    sync_done.store(true, std::memory_order_release);  // release: pairs with the loads below
  });
  wait_for(sync_started);
  for (int i = 0; i < 100; ++i)
    std::this_thread::yield();
  // Not a timing assertion: the reader's section is still open, so this must hold however
  // long we waited.
  CHECK_FALSE(sync_done.load(std::memory_order_acquire));
  release.store(true, std::memory_order_release);  // release: pairs with wait_for
  reader.join();
  syncer.join();
  CHECK(sync_done.load(std::memory_order_acquire));
}

TEST_CASE("synchronize does not wait for a section opened after its first advance",
          "[reclaim][domain][sync]") {
  // A private domain: only the synchronize() below advances it, so it starts from `start`.
  static epoch_domain domain;
  { read_guard warm_up(domain); }
  const auto start = domain.epoch();
  std::atomic<bool> sync_done{false};
  std::atomic<bool> entered{false};
  std::thread reader([&] {
    // acquire (in epoch()): our section then reads an epoch >= start + 1.
    while (domain.epoch() < start + 1)
      std::this_thread::yield();
    read_guard guard(domain);
    entered.store(true, std::memory_order_release);  // release: pairs with wait_for
    // Stays open until synchronize() has returned: if synchronize waited for it, the test
    // would hang here (ctest's timeout reports it).
    wait_for(sync_done);
  });
  domain.synchronize();
  sync_done.store(true, std::memory_order_release);  // release: pairs with wait_for
  reader.join();
  CHECK(entered.load(std::memory_order_acquire));
  CHECK(domain.epoch() >= start + 2);
}

TEST_CASE("synchronize orders a section's reads before later writes (TSan checks the edge)",
          "[reclaim][domain][sync]") {
  static epoch_domain domain;
  int plain = 1;  // deliberately not atomic: TSan reports a race unless synchronize orders it
  std::atomic<bool> parked{false};
  std::atomic<int> seen{0};
  std::thread reader([&] {
    read_guard guard(domain);
    seen.store(plain, std::memory_order_relaxed);
    // relaxed on purpose: this flag must not create the happens-before edge itself.
    parked.store(true, std::memory_order_relaxed);
  });
  while (!parked.load(std::memory_order_relaxed))
    std::this_thread::yield();
  domain.synchronize();
  plain = 2;  // after synchronize the reader's section is over: no race
  reader.join();
  CHECK(seen.load() == 1);
}

TEST_CASE("synchronize makes progress while readers keep entering", "[reclaim][domain][sync]") {
  static epoch_domain domain;
  std::atomic<bool> stop{false};
  auto churn = [&] {
    while (!stop.load(std::memory_order_relaxed)) {  // relaxed: a stop request only
      read_guard guard(domain);
      std::this_thread::yield();
    }
  };
  std::thread a(churn);
  std::thread b(churn);
  // With two readers overlapping there is almost always a section open; a grace period that
  // waited for "no reader at all" would starve here.
  for (int i = 0; i < 50; ++i)
    domain.synchronize();
  stop.store(true, std::memory_order_relaxed);
  a.join();
  b.join();
  SUCCEED();
}
