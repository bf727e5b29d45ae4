// syncmap tests: the use-after-free net. Writers replace a heap payload behind an atomic
// pointer and retire the old one; readers inside read sections read every byte of whatever
// they loaded. Under ASan a premature free is a heap-use-after-free report; in other builds
// the reclaim function poisons the payload first, so a reader that sees a freed box fails
// its content check. Both fence modes run: the machine's choice and forced symmetric.
// SPDX-License-Identifier: MIT
#include <syncmap/detail/epoch.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

#include "support/catch.hpp"
#include "support/stress.hpp"
#include "support/thread_runner.hpp"

namespace {

using syncmap::detail::epoch_domain;
using syncmap::detail::fence_mode;
using syncmap::detail::read_guard;
using syncmap::detail::retire_list;
using syncmap::detail::retired_node;

std::atomic<std::int64_t> live_boxes{0};

char fill_for(std::uint64_t serial) {
  return static_cast<char>('a' + serial % 26);
}

struct payload_box : retired_node {
  explicit payload_box(std::uint64_t serial_in)
      : serial(serial_in), payload(64 + serial_in % 193, fill_for(serial_in)) {
    reclaim = &destroy;
    live_boxes.fetch_add(1, std::memory_order_relaxed);  // relaxed: a count read after joins
  }

  static void destroy(retired_node* node, void*) noexcept {
    auto* box = static_cast<payload_box*>(node);
    box->payload.assign(box->payload.size(), '#');  // poison: a late reader sees '#'
    box->serial = ~std::uint64_t{0};
    delete box;
    live_boxes.fetch_sub(1, std::memory_order_relaxed);  // relaxed: as above
  }

  std::uint64_t serial;
  std::string payload;  // 64..256 bytes on the heap, every byte fill_for(serial)
};

void run_use_after_free_net(epoch_domain& domain) {
  const std::int64_t live_at_start = live_boxes.load();
  retire_list retired(domain);
  std::atomic<payload_box*> slot{new payload_box(0)};
  const std::size_t replacements = syncmap_test::scaled(12000);
  std::atomic<int> writers_running{2};

  syncmap_test::run_threads(4, [&](std::size_t index) {
    if (index < 2) {
      for (std::size_t i = 1; i <= replacements; ++i) {
        auto* fresh = new payload_box((std::uint64_t{index} << 32) | i);
        // acq_rel: release publishes the new box's payload to readers' acquire loads;
        // acquire makes the old box's contents ours to retire.
        payload_box* old = slot.exchange(fresh, std::memory_order_acq_rel);
        retired.retire(old, nullptr);
      }
      writers_running.fetch_sub(1, std::memory_order_release);  // release: pairs below
      return;
    }
    std::size_t reads = 0;
    // acquire: pairs with the writers' final release; keep reading until both are done.
    while (writers_running.load(std::memory_order_acquire) != 0 || reads < 1000) {
      read_guard guard(domain);
      // acquire: pairs with the writers' exchange; the payload is fully built.
      const payload_box* box = slot.load(std::memory_order_acquire);
      const char expected = fill_for(box->serial);
      const std::size_t size = box->payload.size();
      SYNCMAP_THREAD_CHECK(size >= 64 && size <= 256);
      std::size_t mismatches = 0;
      for (std::size_t i = 0; i < size; ++i)
        mismatches += box->payload[i] != expected;
      SYNCMAP_THREAD_CHECK(mismatches == 0);
      ++reads;
    }
  });

  retired.retire(slot.exchange(nullptr), nullptr);
  retired.drain(nullptr);
  CHECK(retired.pending() == 0);
  CHECK(live_boxes.load() == live_at_start);
}

}  // namespace

TEST_CASE("no reader sees a freed payload (machine's fence mode)", "[reclaim][uaf]") {
  static epoch_domain domain;
  const fence_mode mode = domain.select_fence_mode();
  INFO("fence mode " << (mode == fence_mode::asymmetric ? "asymmetric" : "symmetric"));
  run_use_after_free_net(domain);
}

TEST_CASE("no reader sees a freed payload (symmetric fences)", "[reclaim][uaf]") {
  static epoch_domain domain;
  REQUIRE(domain.select_fence_mode(true) == fence_mode::symmetric);
  run_use_after_free_net(domain);
}
