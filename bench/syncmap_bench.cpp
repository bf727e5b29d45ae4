// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// syncmap_bench: every map in maps.hpp on every workload in workloads.hpp, plus bytes per
// entry. Run it through scripts/bench.sh, which builds it, stores the JSON and prints the
// ratios; `syncmap_bench --help` lists the modes.
//
// Benchmark names are <workload>/<key type>/<key count>/<map id>, then Google Benchmark's
// /real_time/threads:<n>; memory benchmarks are memory/u64/<key count>/<map id>.
// scripts/bench_report.py parses exactly that, and reads the map and workload lists (in
// column and row order) from the JSON context this program writes.
//
// Timing. Throughput runs use real time: with threads, CPU time would hide every microsecond a
// thread spends descheduled, which is the cost being measured when 4 or 8 threads share 2 cores.
// items_per_second is the sum over threads of operations per second of wall time.
//
// Thread 0 prepares shared inputs before the loop; the other threads read them only after the
// loop has started, because the loop's first step is Google Benchmark's start barrier (a mutex
// handshake, so thread 0's writes happen-before every thread's reads). Reading them before
// the loop crashes the smoke test: the pointers are still null, or left from an earlier run.
#include <benchmark/benchmark.h>

#include <sys/utsname.h>
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <syncmap/version.hpp>

#include "heap.hpp"
#include "keys.hpp"
#include "maps.hpp"
#include "syncmap_bench_build_info.hpp"
#include "workloads.hpp"

namespace syncmap_bench {
namespace {

// ---------------------------------------------------------------------------------------------
// Modes.

struct mode_spec {
  const char* name;
  bool string_keys;  // also run every throughput benchmark on string keys
  std::vector<std::size_t> key_counts;
  std::vector<int> threads;
  bool throughput;          // false: memory benchmarks only
  std::size_t memory_keys;  // entries in the memory benchmark's map
  // Defaults for Google Benchmark's flags, used unless the command line sets them. Several
  // short repetitions rather than one long run: bench_report.py keeps the best repetition,
  // which filters out the moments other processes took the CPU.
  double min_time;  // seconds per repetition
  int repetitions;
  bool verify;  // check results too (smoke mode, the ctest)
  const char* description;
};

constexpr std::size_t k2_10 = std::size_t{1} << 10;
constexpr std::size_t k2_20 = std::size_t{1} << 20;

// clang-format off
const mode_spec modes[] = {
  // name     strings keys            threads        tput   memory min_t reps verify
  {"quick",   false, {k2_20},         {1, 2, 4},     true,  k2_20, 0.07,  3,  false,
   "2^20 uint64 keys, 1/2/4 threads, every workload and map, memory (~3.5 min)"},
  {"full",    true,  {k2_10, k2_20},  {1, 2, 4, 8},  true,  k2_20, 0.2,   3,  false,
   "2^10 and 2^20 keys, uint64 and string keys, 1/2/4/8 threads, memory (< 30 min)"},
  {"memory",  false, {},              {},            false, k2_20, 0,     1,  false,
   "bytes per entry at 2^20 uint64 entries only"},
  {"smoke",   true,  {k2_10},         {1, 2},        true,  k2_10, 0.001, 1,  true,
   "every benchmark once, briefly, on 2^10 keys, checking results (the ctest)"},
};
// clang-format on

// The fill workload times at least this many inserts per iteration (several fresh maps when the
// key count is small), so the two barriers per iteration stay a small part of what is timed.
constexpr std::size_t fill_inserts_per_iteration = std::size_t{1} << 16;

// Smoke mode checks results, not only that benchmarks run: each check that fails marks its
// benchmark as errored and makes main() return 1, so the ctest smoke test fails.
bool verify_results = false;
std::atomic<bool> verification_failed{false};

void fail_check(benchmark::State& state, const char* what) {
  // relaxed: main() reads it only after every benchmark thread has been joined, and the join
  // orders this store before that load.
  verification_failed.store(true, std::memory_order_relaxed);
  state.SkipWithError(what);
}

// ---------------------------------------------------------------------------------------------
// A reusable barrier that blocks instead of spinning: with 8 threads on 2 cores a spinning
// waiter would steal the CPU from the thread it is waiting for.
class thread_barrier {
 public:
  explicit thread_barrier(int count) : count_(count) {}

  void arrive_and_wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    const unsigned long generation = generation_;
    if (++arrived_ == count_) {
      arrived_ = 0;
      ++generation_;
      released_.notify_all();
      return;
    }
    released_.wait(lock, [&] { return generation_ != generation; });
  }

 private:
  std::mutex mutex_;  // guards arrived_ and generation_
  std::condition_variable released_;
  const int count_;
  int arrived_ = 0;
  unsigned long generation_ = 0;  // bumped each time the last thread arrives
};

// ---------------------------------------------------------------------------------------------
// Runners.

// Workloads on a prefilled map whose population stays steady.
template <class Map, class Key>
void run_steady(benchmark::State& state, workload_id w, std::size_t key_count) {
  // Written by thread 0 before the start barrier, read by every thread after it.
  static Map* map = nullptr;
  static const std::vector<op_stream<Key>>* streams = nullptr;
  if (state.thread_index() == 0) {
    map = &cached_prefilled_map<Map, Key>(info(w).initial, key_count);
    streams = &cached_streams<Key>(w, key_count, static_cast<std::size_t>(state.threads()));
  }

  auto it = state.begin();  // the start barrier: thread 0's setup is visible from here on
  const auto end = state.end();
  const op_stream<Key>& stream = (*streams)[static_cast<std::size_t>(state.thread_index())];
  const std::size_t length = stream.keys.size();
  std::size_t i = 0;
  std::size_t loads = 0;
  std::size_t hits = 0;

  switch (w) {
    case workload_id::load_hits:
    case workload_id::load_misses:
    case workload_id::hot_key_reads:
      for (; it != end; ++it) {
        hits += map->load(stream.keys[i]);
        if (++i == length) i = 0;
      }
      loads = static_cast<std::size_t>(state.iterations());
      break;
    case workload_id::zipf_upsert:
      for (; it != end; ++it) {
        map->upsert_add(stream.keys[i], 1);
        if (++i == length) i = 0;
      }
      break;
    default:
      for (; it != end; ++it) {
        const Key& key = stream.keys[i];
        switch (stream.ops[i]) {
          case op_kind::load:
            ++loads;
            hits += map->load(key);
            break;
          case op_kind::store:
            map->store(key, i);
            break;
          case op_kind::erase:
            map->erase(key);
            break;
        }
        if (++i == length) i = 0;
      }
      break;
  }

  state.SetItemsProcessed(state.iterations());
  if (verify_results) {
    // Every load of a present key hits, and no load of an absent key does.
    if ((w == workload_id::load_hits || w == workload_id::hot_key_reads ||
         w == workload_id::load90_store10) &&
        hits != loads) {
      fail_check(state, "a load of a present key missed");
    }
    if (w == workload_id::load_misses && hits != 0) {
      fail_check(state, "a load of an absent key hit");
    }
  }
  if (loads != 0) {
    // A harness self-check: ~1 for load_hits, 0 for load_misses, ~0.5 for the 50/25/25 mix.
    state.counters["hit_ratio"] =
        benchmark::Counter(static_cast<double>(hits) / loads, benchmark::Counter::kAvgThreads);
  }
}

// Filling fresh maps from empty; each thread inserts its own slice of the keys.
template <class Map, class Key>
void run_fill(benchmark::State& state, std::size_t key_count) {
  static const std::vector<Key>* keys = nullptr;
  static std::vector<std::unique_ptr<Map>> maps;
  static std::optional<thread_barrier> barrier;
  const std::size_t maps_per_iteration =
      std::max<std::size_t>(1, fill_inserts_per_iteration / key_count);
  const int threads = state.threads();
  if (state.thread_index() == 0) {
    prefilled_maps.clear();  // prefilled maps left by earlier benchmarks only cost memory now
    keys = &cached_keys<Key>(key_count).hits;
    maps.clear();
    maps.resize(maps_per_iteration);
    barrier.emplace(threads);
  }

  auto it = state.begin();  // the start barrier: thread 0's setup is visible from here on
  const auto end = state.end();
  const auto thread = static_cast<std::size_t>(state.thread_index());
  const std::size_t first = key_count * thread / static_cast<std::size_t>(threads);
  const std::size_t last = key_count * (thread + 1) / static_cast<std::size_t>(threads);
  for (; it != end; ++it) {
    state.PauseTiming();
    // Every thread has passed the previous iteration's closing barrier: the maps are idle.
    if (thread == 0) {
      for (auto& map : maps)
        map = std::make_unique<Map>();
    }
    if (threads > 1) barrier->arrive_and_wait();  // the fresh maps are visible to all
    state.ResumeTiming();
    for (auto& map : maps) {
      for (std::size_t i = first; i < last; ++i)
        map->store((*keys)[i], i);
    }
    // Timed: a fill ends when its slowest thread does.
    if (threads > 1) barrier->arrive_and_wait();
  }
  if (thread == 0) {
    // Everyone passed the last closing barrier: the maps are complete and idle.
    if (verify_results) {
      for (const auto& map : maps) {
        for (const Key& key : *keys) {
          if (!map->load(key)) {
            fail_check(state, "fill lost a key");
            break;
          }
        }
      }
    }
    for (auto& map : maps)
      map.reset();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(last - first) *
                          static_cast<std::int64_t>(maps_per_iteration));
}

template <class Map, class Key>
void run_workload(benchmark::State& state, workload_id w, std::size_t key_count) {
  if (w == workload_id::fill) {
    run_fill<Map, Key>(state, key_count);
  } else {
    run_steady<Map, Key>(state, w, key_count);
  }
}

// Heap bytes per entry after filling an empty map with key_count uint64 -> uint64 entries,
// without reserve(): the footprint a map grows to on its own.
template <class Map>
void run_memory(benchmark::State& state, std::size_t key_count) {
  prefilled_maps.clear();
  const std::vector<std::uint64_t>& keys = cached_keys<std::uint64_t>(key_count).hits;
  double bytes = 0;
  for (auto _ : state) {
    const std::optional<std::size_t> before = heap_bytes_in_use();
    auto map = std::make_unique<Map>();
    for (std::size_t i = 0; i < key_count; ++i)
      map->store(keys[i], i);
    const std::optional<std::size_t> after = heap_bytes_in_use();
    if (!before || !after) {
      state.SkipWithError("heap usage unavailable: needs glibc >= 2.33 (mallinfo2)");
      break;
    }
    bytes = static_cast<double>(*after) - static_cast<double>(*before);
  }
  state.counters["bytes_per_entry"] = bytes / static_cast<double>(key_count);
  state.counters["heap_bytes"] = bytes;
}

// ---------------------------------------------------------------------------------------------
// Registration.

// Maps innermost: the maps of one table row (workload, threads) run back to back, seconds
// apart, so a ratio compares measurements taken under the same background load; they share
// one set of streams, and each map keeps its prefilled instance across the row's workloads.
template <class Key>
void register_throughput(const mode_spec& mode) {
  for (const std::size_t key_count : mode.key_counts) {
    for (const workload_info& w : workloads) {
      for (const int threads : mode.threads) {
        for_each_map([&](auto tag) {
          using Map = typename decltype(tag)::template type<Key>;
          if (is_read_only_floor<Map>::value && !w.read_only) return;  // it has no lock
          const std::string name = std::string(w.id) + '/' + key_traits<Key>::tag + '/' +
                                   std::to_string(key_count) + '/' + Map::id();
          const workload_id which = w.which;
          benchmark::RegisterBenchmark(name.c_str(),
                                       [which, key_count](benchmark::State& state) {
                                         run_workload<Map, Key>(state, which, key_count);
                                       })
              ->UseRealTime()
              ->Threads(threads);
        });
      }
    }
  }
}

void register_memory(std::size_t key_count) {
  for_each_map([&](auto tag) {
    using Map = typename decltype(tag)::template type<std::uint64_t>;
    using Measured = typename decltype(tag)::template heap_type<std::uint64_t>;
    if (is_read_only_floor<Map>::value) return;  // the same table as absl_flat_mutex
    const std::string name =
        std::string("memory/u64/") + std::to_string(key_count) + '/' + Map::id();
    benchmark::RegisterBenchmark(
        name.c_str(),
        [key_count](benchmark::State& state) { run_memory<Measured>(state, key_count); })
        ->Iterations(1)
        ->Repetitions(1);  // deterministic enough; a 2^20 fill per repetition is not cheap
  });
}

void register_mode(const mode_spec& mode) {
  if (mode.throughput) {
    register_throughput<std::uint64_t>(mode);
    if (mode.string_keys) register_throughput<std::string>(mode);
  }
  register_memory(mode.memory_keys);
}

// ---------------------------------------------------------------------------------------------
// Context: what ran, on what, built how. bench_report.py reads the syncmap.* keys.

std::string first_line_with(const char* path, const char* prefix) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) {
      const auto colon = line.find(':');
      if (colon == std::string::npos) return line;
      const auto start = line.find_first_not_of(" \t", colon + 1);
      return start == std::string::npos ? std::string() : line.substr(start);
    }
  }
  return "unknown";
}

void add_context(const mode_spec& mode) {
  using benchmark::AddCustomContext;
  AddCustomContext("syncmap.version", SYNCMAP_VERSION);
  AddCustomContext("syncmap.mode", mode.name);
  AddCustomContext("syncmap.reference", unordered_map_mutex<std::uint64_t>::id());

  std::string map_ids;
  for_each_map([&](auto tag) {
    using Map = typename decltype(tag)::template type<std::uint64_t>;
    if (!map_ids.empty()) map_ids += ',';
    map_ids += Map::id();
    AddCustomContext(std::string("syncmap.map.") + Map::id(), Map::name());
  });
  AddCustomContext("syncmap.maps", map_ids);
  AddCustomContext("syncmap.maps_skipped", SYNCMAP_BENCH_SKIPPED_PEERS);

  std::string workload_ids;
  for (const workload_info& w : workloads) {
    if (!workload_ids.empty()) workload_ids += ',';
    workload_ids += w.id;
    AddCustomContext(std::string("syncmap.workload.") + w.id, w.description);
  }
  AddCustomContext("syncmap.workloads", workload_ids);
  AddCustomContext("syncmap.memory_keys", std::to_string(mode.memory_keys));

  AddCustomContext("build.compiler", SYNCMAP_BENCH_COMPILER);
  AddCustomContext("build.cxx_flags", SYNCMAP_BENCH_CXX_FLAGS);
  AddCustomContext("build.build_type", SYNCMAP_BENCH_BUILD_TYPE);
  AddCustomContext("build.cplusplus", std::to_string(__cplusplus));
  AddCustomContext("build.google_benchmark", SYNCMAP_BENCH_BENCHMARK_VERSION);
#if SYNCMAP_BENCH_HAVE_ABSL
  AddCustomContext("peer.absl", std::to_string(ABSL_LTS_RELEASE_VERSION));
#endif
#if SYNCMAP_BENCH_HAVE_TBB
  AddCustomContext("peer.tbb", TBB_VERSION_STRING);
  AddCustomContext("peer.tbb_allocator",
                   tbb::tbb_allocator<char>::allocator_type() == tbb::tbb_allocator<char>::scalable
                       ? "scalable (tbbmalloc)"
                       : "standard (malloc)");
#endif
#if SYNCMAP_BENCH_HAVE_LIBCUCKOO
  AddCustomContext("peer.libcuckoo", SYNCMAP_BENCH_LIBCUCKOO_VERSION);
#endif

  AddCustomContext("machine.cpu_model", first_line_with("/proc/cpuinfo", "model name"));
  AddCustomContext("machine.hardware_threads", std::to_string(std::thread::hardware_concurrency()));
  struct utsname uts {};
  if (uname(&uts) == 0) {
    AddCustomContext("machine.kernel", std::string(uts.sysname) + ' ' + uts.release);
  }
  AddCustomContext("machine.mem_total", first_line_with("/proc/meminfo", "MemTotal"));
}

void print_help() {
  std::printf(
      "syncmap_bench [--mode=MODE] [Google Benchmark flags]\n\n"
      "Modes (default quick):\n");
  for (const mode_spec& mode : modes)
    std::printf("  %-8s %s\n", mode.name, mode.description);
  std::printf(
      "\nNames: <workload>/<u64|str>/<keys>/<map>/real_time/threads:<n> and "
      "memory/u64/<keys>/<map>.\nNarrow with --benchmark_filter=REGEX; maps:");
  for_each_map(
      [](auto tag) { std::printf(" %s", decltype(tag)::template type<std::uint64_t>::id()); });
  std::printf("\n\nGoogle Benchmark's own flags follow.\n\n");
}

}  // namespace
}  // namespace syncmap_bench

int main(int argc, char** argv) {
  using namespace syncmap_bench;
  // Take --mode out of argv; the mode's defaults go in front of the caller's flags, so that a
  // flag given on the command line, parsed later, wins.
  const mode_spec* mode = &modes[0];
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i > 0 && arg.rfind("--mode=", 0) == 0) {
      const std::string wanted = arg.substr(7);
      mode = nullptr;
      for (const mode_spec& m : modes) {
        if (wanted == m.name) mode = &m;
      }
      if (mode == nullptr) {
        std::fprintf(stderr, "syncmap_bench: unknown mode '%s' (see --help)\n", wanted.c_str());
        return 2;
      }
      continue;
    }
    if (arg == "--help" || arg == "-h") print_help();
    args.push_back(argv[i]);
  }
  std::vector<std::string> defaults;
  if (mode->min_time > 0) {
    defaults.push_back("--benchmark_min_time=" + std::to_string(mode->min_time));
  }
  if (mode->repetitions > 1) {
    defaults.push_back("--benchmark_repetitions=" + std::to_string(mode->repetitions));
    // The console shows mean/median/stddev/cv; the JSON keeps every repetition.
    defaults.push_back("--benchmark_display_aggregates_only=true");
  }
  for (std::size_t i = 0; i < defaults.size(); ++i) {
    args.insert(args.begin() + 1 + static_cast<std::ptrdiff_t>(i), defaults[i].data());
  }
  int args_count = static_cast<int>(args.size());
  args.push_back(nullptr);

  benchmark::Initialize(&args_count, args.data());
  if (benchmark::ReportUnrecognizedArguments(args_count, args.data())) return 1;
  add_context(*mode);
  register_mode(*mode);
  verify_results = mode->verify;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  // relaxed: every thread that could store it has been joined (see fail_check).
  if (verification_failed.load(std::memory_order_relaxed)) {
    std::fprintf(stderr, "syncmap_bench: result checks failed (see the errors above)\n");
    return 1;
  }
  return 0;
}
