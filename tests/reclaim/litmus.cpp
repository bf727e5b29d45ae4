// syncmap tests: store-buffering litmus tests for the fence pairing the epoch protocol rests
// on, in both fence modes. Each round releases two threads together and records an outcome
// the pairing forbids. With a fence removed, x86-64 shows the forbidden outcome every few
// hundred to few thousand rounds (see jitter()), so these tests catch a lost fence in most
// runs, not all; a weaker-memory machine shows it more often.
// SPDX-License-Identifier: MIT
#include <syncmap/detail/asymmetric_fence.hpp>
#include <syncmap/detail/epoch.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <thread>

#include "support/catch.hpp"
#include "support/stress.hpp"

namespace {

using syncmap::detail::epoch_domain;
using syncmap::detail::fence_mode;
using syncmap::detail::retire_list;
using syncmap::detail::retired_node;

// Spins until `word` holds `value`. acquire: pairs with the other thread's release store.
void await(const std::atomic<std::uint64_t>& word, std::uint64_t value) {
  for (unsigned spins = 0; word.load(std::memory_order_acquire) != value; ++spins) {
    if (spins > 4096) std::this_thread::yield();
  }
}

// Busy-waits a pseudo-random 0..95 loop iterations. The light side only sees `go` a
// cache-line transfer after it was stored; sweeping the heavy side's start over that window
// makes the two sides' critical instructions overlap in some rounds. (Measured on the 2-core
// box: with a fence removed, 0..95 finds the forbidden outcome every few hundred rounds when
// the machine is otherwise idle, much less often under load; no jitter or a much wider range
// almost never does.)
void jitter(std::uint64_t& seed) {
  seed ^= seed << 13;
  seed ^= seed >> 7;
  seed ^= seed << 17;
  for (volatile std::uint64_t i = 0, n = seed % 96; i < n; i = i + 1) {
  }
}

// Shared words, one per cache line. Rounds write the round number instead of resetting to 0:
// then each side's load usually hits a line it already holds (fast) while its store needs the
// line back from the other core (slow to drain), the timing in which store buffering shows.
struct litmus_words {
  alignas(syncmap::detail::cache_line_size) std::atomic<std::uint64_t> x{0};
  alignas(syncmap::detail::cache_line_size) std::atomic<std::uint64_t> y{0};
  alignas(syncmap::detail::cache_line_size) std::atomic<std::uint64_t> light_saw{0};
  alignas(syncmap::detail::cache_line_size) std::atomic<std::uint64_t> go{0};
  alignas(syncmap::detail::cache_line_size) std::atomic<std::uint64_t> light_done{0};
  alignas(syncmap::detail::cache_line_size) std::atomic<std::uint64_t> heavy_done{0};
};

// The pattern itself: light side `x = round; light_fence; r1 = y`, heavy side `y = round;
// heavy_fence; r2 = x`. Forbidden: neither saw the other's round.
std::size_t fence_pair_violations(fence_mode mode, std::uint64_t rounds) {
  litmus_words words;
  std::size_t violations = 0;
  std::uint64_t seed = 0x9e3779b97f4a7c15ull;
  std::thread light([&] {
    for (std::uint64_t round = 1; round <= rounds; ++round) {
      await(words.go, round);
      // relaxed everywhere: the fences alone must forbid the outcome.
      words.x.store(round, std::memory_order_relaxed);
      syncmap::detail::light_fence(mode);
      words.light_saw.store(words.y.load(std::memory_order_relaxed), std::memory_order_relaxed);
      words.light_done.store(round, std::memory_order_release);  // release: pairs with await
    }
  });
  for (std::uint64_t round = 1; round <= rounds; ++round) {
    words.go.store(round, std::memory_order_release);  // release: pairs with await
    jitter(seed);
    words.y.store(round, std::memory_order_relaxed);
    syncmap::detail::heavy_fence(mode);
    const std::uint64_t heavy_saw = words.x.load(std::memory_order_relaxed);
    await(words.light_done, round);
    // relaxed: published by the release of light_done.
    if (words.light_saw.load(std::memory_order_relaxed) != round && heavy_saw != round) {
      ++violations;
    }
  }
  light.join();
  return violations;
}

// The same pattern through the domain: a reader opens a section and loads y; the other side
// stores y and advances the epoch twice. If both advances succeed while the reader's section
// is open, the scans missed its epoch word, so its load must have seen this round's y.
// The reader's word store must stay invisible across two scans for a missing fence to show,
// so on x86-64 this catches a missing fence only rarely (the test above is the reliable one);
// it is here as an end-to-end check of the protocol, and for weaker machines.
std::size_t domain_violations(epoch_domain& domain, std::uint64_t rounds) {
  litmus_words words;
  std::size_t violations = 0;
  std::uint64_t seed = 0x9e3779b97f4a7c15ull;
  std::thread reader([&] {
    for (std::uint64_t round = 1; round <= rounds; ++round) {
      await(words.go, round);
      domain.enter();
      // relaxed: the section's protocol is what must order it.
      words.light_saw.store(words.y.load(std::memory_order_relaxed), std::memory_order_relaxed);
      words.light_done.store(round, std::memory_order_release);  // release: pairs with await
      await(words.heavy_done, round);  // stay in the section until the other side scanned
      domain.leave();
    }
  });
  for (std::uint64_t round = 1; round <= rounds; ++round) {
    const std::uint64_t start = domain.epoch();
    words.go.store(round, std::memory_order_release);  // release: pairs with await
    jitter(seed);
    words.y.store(round, std::memory_order_relaxed);  // the "unlink"
    domain.try_advance();
    domain.try_advance();
    const bool twice = domain.epoch() >= start + 2;
    await(words.light_done, round);
    // relaxed: published by the release of light_done.
    if (twice && words.light_saw.load(std::memory_order_relaxed) != round) ++violations;
    words.heavy_done.store(round, std::memory_order_release);  // release: pairs with await
  }
  reader.join();
  return violations;
}

// The retire fence [R] through the real retire(): the retirer does `x = round` (the unlink)
// and retire(node), which fences and then tags the node with the global epoch; the advancer
// runs try_advance(), whose CAS [E] moves the epoch, and then loads x. Forbidden: the tag is
// the epoch from before this round's advance and the load misses the round. Then the node
// would count as retired before an epoch whose readers could still have found it. The
// domain must be in symmetric mode: asymmetric try_advance() sends a membarrier, which
// fences the retirer as well and would hide a missing [R].
struct litmus_node : retired_node {
  litmus_node() {
    reclaim = [](retired_node* self, void*) noexcept { delete static_cast<litmus_node*>(self); };
  }
};
constexpr std::uint64_t no_tag = ~std::uint64_t{0};
// The unlink is a plain store followed by retire() (its fence [R] must order it), or, with
// `unfenced`, a seq_cst exchange followed by retire_unfenced() (the RMW and the tag read [R']
// must).
std::size_t retire_fence_violations(epoch_domain& domain, std::uint64_t rounds,
                                    bool unfenced = false) {
  litmus_words words;
  std::size_t violations = 0;
  std::uint64_t seed = 0x9e3779b97f4a7c15ull;
  std::thread retirer([&] {
    retire_list retired(domain);
    for (std::uint64_t round = 1; round <= rounds; ++round) {
      await(words.go, round);
      // A retire that collects advances the epoch itself; such rounds report no tag. Only this
      // thread retires and collects, so pending() is exact here.
      const bool collects = (retired.pending() + 1) % retire_list::soft_limit == 0;
      auto* node = new litmus_node;
      if (unfenced) {
        words.x.exchange(round, std::memory_order_seq_cst);  // seq_cst: retire_unfenced's pre
        retired.retire_unfenced(node, nullptr);
      } else {
        words.x.store(round, std::memory_order_relaxed);  // relaxed: [R] alone must order it
        retired.retire(node, nullptr);
      }
      // Only this thread collects, so the node cannot be freed before we read its tag.
      words.light_saw.store(collects ? no_tag : node->retire_epoch, std::memory_order_relaxed);
      words.light_done.store(round, std::memory_order_release);  // release: pairs with await
    }
    retired.drain(nullptr);
  });
  for (std::uint64_t round = 1; round <= rounds; ++round) {
    const std::uint64_t before = domain.epoch();
    words.go.store(round, std::memory_order_release);  // release: pairs with await
    jitter(seed);
    domain.try_advance();
    const std::uint64_t advancer_saw = words.x.load(std::memory_order_relaxed);
    await(words.light_done, round);
    // relaxed: published by the release of light_done.
    if (words.light_saw.load(std::memory_order_relaxed) == before && advancer_saw != round) {
      ++violations;
    }
  }
  retirer.join();
  return violations;
}

// Sanitizers serialize atomics through their runtimes, so the forbidden outcome cannot show
// there; a short run still checks that both fence modes work and race-free.
std::size_t litmus_rounds(std::size_t rounds) {
  return syncmap_test::scaled(SYNCMAP_DETAIL_RECLAIM_SANITIZED ? rounds / 10 : rounds);
}

}  // namespace

TEST_CASE("light and heavy fences forbid the store-buffering outcome", "[reclaim][litmus]") {
  const std::size_t rounds = litmus_rounds(10000);
  CHECK(fence_pair_violations(fence_mode::symmetric, rounds) == 0);
  static epoch_domain probe;  // only to learn whether this machine gets asymmetric fences
  if (probe.select_fence_mode() == fence_mode::asymmetric) {
    CHECK(fence_pair_violations(fence_mode::asymmetric, rounds) == 0);
  }
}

TEST_CASE("an open section is never missed by two advances (both fence modes)",
          "[reclaim][litmus]") {
  const std::size_t rounds = litmus_rounds(8000);
  static epoch_domain symmetric;
  REQUIRE(symmetric.select_fence_mode(true) == fence_mode::symmetric);
  CHECK(domain_violations(symmetric, rounds) == 0);
  static epoch_domain machine;
  machine.select_fence_mode();
  CHECK(domain_violations(machine, rounds) == 0);
}

TEST_CASE("a retire's tag never predates an unlink the next advance cannot see",
          "[reclaim][litmus]") {
  const std::size_t rounds = litmus_rounds(20000);
  static epoch_domain symmetric;
  REQUIRE(symmetric.select_fence_mode(true) == fence_mode::symmetric);
  CHECK(retire_fence_violations(symmetric, rounds) == 0);
}

TEST_CASE("an unfenced retire after a seq_cst unlink is tagged as late as a fenced one",
          "[reclaim][litmus]") {
  const std::size_t rounds = litmus_rounds(20000);
  static epoch_domain symmetric;
  REQUIRE(symmetric.select_fence_mode(true) == fence_mode::symmetric);
  CHECK(retire_fence_violations(symmetric, rounds, true) == 0);
}
