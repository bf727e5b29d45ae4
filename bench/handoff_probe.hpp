// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// How long one cache line takes to move between two cores, measured next to every benchmark.
//
// On a virtual machine the host decides which physical cores run its vCPUs, and it moves them.
// On the 2-vCPU development VM (an AMD EPYC host) a line handed back and forth between the two
// vCPUs took about 30 ns most of the time and about 165 ns in stretches of a few seconds, and
// in those stretches every benchmark whose threads share lines ran 2-3x slower, ours and the
// peers' alike (sharded_map's 90/10 at 2 threads: 80-100 Mops/s, then 23-38). One run could
// not tell that from a change in the code, which is what made the oversubscription cells
// unreadable (bench/README.md, "Host placement"). So thread 0 runs this probe before (unless
// its last figure is under 50 ms old) and after every benchmark run, while the benchmark's
// other threads wait at Google Benchmark's barriers (asleep on a condition variable), and
// reports the larger figure as the counter handoff_ns; bench_report.py sets aside repetitions
// measured while it was far above the run's usual figure.
//
// Two probe threads pinned to the first two CPUs the process may use pass a counter back and
// forth through one cache line. Linux only; elsewhere, with fewer than two CPUs allowed, or
// when the CPUs are too busy for it to finish in 50 ms, it reports 0 (no figure).
#ifndef SYNCMAP_BENCH_HANDOFF_PROBE_HPP
#define SYNCMAP_BENCH_HANDOFF_PROBE_HPP

#include <atomic>
#include <chrono>
#include <cstdint>
#include <thread>

#if defined(__linux__)
#include <pthread.h>
#include <sched.h>
#endif

namespace syncmap_bench {

// Nanoseconds per one-way handoff of a cache line between the first two allowed CPUs, or 0.
inline double measure_handoff_ns() {
#if defined(__linux__)
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return 0;
  int cpus[2] = {-1, -1};
  for (int cpu = 0, found = 0; cpu < CPU_SETSIZE && found < 2; ++cpu) {
    if (CPU_ISSET(cpu, &allowed)) cpus[found++] = cpu;
  }
  if (cpus[1] < 0) return 0;

  constexpr std::uint64_t handoffs = 2000;  // 60 us at 30 ns, 0.33 ms at 165 ns
  alignas(64) std::atomic<std::uint64_t> turn{0};
  std::atomic<int> pinned{0};
  std::atomic<bool> failed{false};  // a pin failed, or the deadline passed
  double elapsed_ns = 0;            // written by the first player, read after join()
  auto player = [&](int cpu, std::uint64_t parity) {
    cpu_set_t only;
    CPU_ZERO(&only);
    CPU_SET(cpu, &only);
    // Unpinned, both players could share a CPU and each handoff would wait for a time slice.
    if (pthread_setaffinity_np(pthread_self(), sizeof only, &only) != 0) {
      failed.store(true, std::memory_order_relaxed);
    }
    pinned.fetch_add(1, std::memory_order_relaxed);
    while (pinned.load(std::memory_order_relaxed) < 2) {
    }
    if (failed.load(std::memory_order_relaxed)) return;
    const auto start = std::chrono::steady_clock::now();
    // A player descheduled by another process would make the other spin for a time slice per
    // handoff; past the deadline the probe gives no figure rather than a wrong one.
    const auto deadline = start + std::chrono::milliseconds(50);
    // acquire/release: each player waits for the other's increment; the order they impose is
    // the handoff being timed.
    for (std::uint64_t value = parity; value < handoffs; value += 2) {
      for (unsigned spins = 1; turn.load(std::memory_order_acquire) != value; ++spins) {
        if (spins % 4096 == 0 && (failed.load(std::memory_order_relaxed) ||
                                  std::chrono::steady_clock::now() > deadline)) {
          failed.store(true, std::memory_order_relaxed);
          return;
        }
      }
      turn.store(value + 1, std::memory_order_release);
    }
    if (parity == 0) {
      elapsed_ns =
          std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start)
              .count();
    }
  };
  std::thread first(player, cpus[0], 0);
  std::thread second(player, cpus[1], 1);
  first.join();
  second.join();
  if (failed.load(std::memory_order_relaxed)) return 0;
  return elapsed_ns / static_cast<double>(handoffs - 1);
#else
  return 0;
#endif
}

}  // namespace syncmap_bench

#endif  // SYNCMAP_BENCH_HANDOFF_PROBE_HPP
