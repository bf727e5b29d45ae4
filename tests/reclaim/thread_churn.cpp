// syncmap tests: thread records under thread churn and at thread exit. Threads never
// unregister explicitly; their records must come back to the domain when they exit and be
// adopted by later threads, and a thread_local destructor that runs after the record owner is
// gone must still be able to open sections and retire.
// SPDX-License-Identifier: MIT
#include <syncmap/detail/epoch.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

#include "support/catch.hpp"
#include "support/stress.hpp"
#include "support/thread_runner.hpp"

namespace {

using syncmap::detail::epoch_domain;
using syncmap::detail::epoch_thread_phase;
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

}  // namespace

TEST_CASE("short-lived threads return their records; the registry stays small",
          "[reclaim][churn]") {
  static epoch_domain domain;  // private: the counts below are this test's alone
  const std::int64_t live_at_start = live_nodes.load();
  retire_list retired(domain);
  constexpr std::size_t wave = 4;
  const std::size_t threads_total = syncmap_test::scaled(200);
  std::size_t max_registered = 0;

  for (std::size_t started = 0; started < threads_total; started += wave) {
    std::vector<std::thread> threads;
    for (std::size_t t = 0; t < wave; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < 3; ++i) {
          read_guard guard(domain);
          read_guard nested(domain);
        }
        retired.retire(new counted_node, nullptr);
        // Exit without any explicit unregistration.
      });
    }
    for (auto& thread : threads)
      thread.join();
    // Joined threads have run their thread_local destructors: every record is free again.
    CHECK(domain.active_records() == 0);
    if (domain.registered_records() > max_registered) max_registered = domain.registered_records();
  }
  INFO("records ever registered: " << max_registered);
  CHECK(max_registered <= wave + 1);
  retired.drain(nullptr);
  CHECK(retired.pending() == 0);
  CHECK(live_nodes.load() == live_at_start);
}

// active_records() scanning registries while threads register in them for the first time
// (each wave uses a fresh domain, so every wave pushes new records): it follows only fully
// published records and never counts more in use than there are threads. Guards the acquire
// load of the registry head in active_records(); see docs/verification.md.
TEST_CASE("active_records() may scan while new threads register", "[reclaim][churn]") {
  static epoch_domain domains[16];  // private and fresh: none has a record yet
  constexpr std::size_t wave = 4;
  std::atomic<bool> stop{false};
  std::atomic<std::size_t> most_active{0};
  std::thread scanner([&] {
    std::size_t most = 0;
    while (!stop.load(std::memory_order_relaxed)) {  // relaxed: a stop request only
      for (const auto& domain : domains)
        most = std::max(most, domain.active_records());
    }
    most_active.store(most, std::memory_order_relaxed);  // relaxed: read after the join
  });
  const std::size_t waves = syncmap_test::scaled(16);  // past 16 the records are reused
  for (std::size_t w = 0; w < waves; ++w) {
    epoch_domain& domain = domains[w % 16];
    syncmap_test::run_threads(wave, [&](std::size_t) {
      read_guard guard(domain);
      std::this_thread::yield();
    });
  }
  stop.store(true, std::memory_order_relaxed);
  scanner.join();
  CHECK(most_active.load() <= wave);
  for (const auto& domain : domains) {
    CHECK(domain.active_records() == 0);
    CHECK(domain.registered_records() <= wave);
  }
}

namespace {

epoch_domain exit_domain;
epoch_domain exit_domain_other;
retire_list* exit_list = nullptr;
std::atomic<int> late_sections_ok{0};
std::atomic<int> late_saw_exited_phase{0};

// Constructed before the thread first uses a domain, so destroyed after the record owner:
// its destructor runs when the owner is already gone.
struct late_user {
  bool armed = false;
  ~late_user() {
    if (!armed) return;
    if (syncmap::detail::epoch_tls.phase == epoch_thread_phase::exited) {
      late_saw_exited_phase.fetch_add(1, std::memory_order_relaxed);  // relaxed: read after join
    }
    bool ok = true;
    {
      read_guard outer(exit_domain);
      read_guard other(exit_domain_other);  // two borrowed records at once
      read_guard nested(exit_domain);
      ok = ok && exit_domain.in_section() && exit_domain_other.in_section();
    }
    ok = ok && !exit_domain.in_section() && !exit_domain_other.in_section();
    exit_list->retire(new counted_node, nullptr);
    if (ok) late_sections_ok.fetch_add(1, std::memory_order_relaxed);  // relaxed: as above
  }
};

// Function-local on purpose: a namespace-scope thread_local would be initialized by this
// file's TLS init function, which (GCC) also constructs every inline thread_local the file
// uses, the record owner included, first; the order we need would be lost.
late_user& tls_late_user() {
  thread_local late_user user;
  return user;
}

}  // namespace

TEST_CASE("a thread_local destructor after the record owner's uses borrowed records",
          "[reclaim][churn][exit]") {
  const std::int64_t live_at_start = live_nodes.load();
  retire_list retired(exit_domain);
  exit_list = &retired;
  constexpr int thread_count = 8;
  for (int t = 0; t < thread_count; ++t) {
    std::thread thread([] {
      tls_late_user().armed = true;   // constructed before the owner
      read_guard guard(exit_domain);  // constructs the owner
    });
    thread.join();
  }
  CHECK(late_saw_exited_phase.load() == thread_count);
  CHECK(late_sections_ok.load() == thread_count);
  CHECK(exit_domain.active_records() == 0);
  CHECK(exit_domain_other.active_records() == 0);
  CHECK(exit_domain.registered_records() <= 2);
  CHECK(exit_domain_other.registered_records() <= 1);
  retired.drain(nullptr);
  exit_list = nullptr;
  CHECK(live_nodes.load() == live_at_start);
}

namespace {

epoch_domain lend_domain;
std::atomic<int> lend_left_ok{0};

// Holds a section that it opened after construction (so after the owner was constructed)
// and closes it only in its destructor, which runs after the owner's.
struct section_holder {
  bool open = false;
  ~section_holder() {
    if (!open) return;
    const bool in_before = lend_domain.in_section();
    lend_domain.leave();
    if (in_before && !lend_domain.in_section()) {
      lend_left_ok.fetch_add(1, std::memory_order_relaxed);  // relaxed: read after join
    }
  }
};

section_holder& tls_section_holder() {
  thread_local section_holder holder;
  return holder;
}

}  // namespace

TEST_CASE("a section still open when the owner is destroyed is closed later without harm",
          "[reclaim][churn][exit]") {
  constexpr int thread_count = 4;
  for (int t = 0; t < thread_count; ++t) {
    std::thread thread([] {
      section_holder& holder = tls_section_holder();  // constructed before the owner
      lend_domain.enter();                            // constructs the owner
      holder.open = true;
    });
    thread.join();
  }
  CHECK(lend_left_ok.load() == thread_count);
  CHECK(lend_domain.active_records() == 0);
  CHECK(lend_domain.registered_records() == 1);
  CHECK(lend_domain.try_advance());  // no stale open section left behind
}
