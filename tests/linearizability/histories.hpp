// syncmap tests: random concurrent histories run against a map, then checked for
// linearizability (support/linearizability.hpp).
// SPDX-License-Identifier: MIT
//
// One history: a fresh map is prepared into a random initial state (see key_route), then
// 2-4 threads, released together by run_threads(), each run 3-6 random single-key operations
// over 1-3 keys with values 0..2, so compare-and-swaps and conditional erases succeed often.
// Each call is stamped from one shared seq_cst counter right before it and right after it
// returns; results go into per-thread slots (no sharing while the threads run) and are merged
// into a linearizability::history after the join. A short random spin, now and then a
// yield, before each call shifts the threads against each other so that different
// interleavings are tried. Short calls rarely overlap when the threads share a core (a loaded
// CI box), so a third of the calls that take a callback (visit, load_or_store_with's make,
// update, upsert, erase_if) yield inside it: another thread then runs in the middle of the
// call, against sharded_map's held shard lock or between rcu_map's copy and its publishing
// CAS, which then fails and retries. The callbacks stay pure functions of the value.
//
// The plan (initial state, key routes, operations, spin lengths) comes from one seed, and a
// failure prints it: SYNCMAP_LINEARIZABILITY_SEED=<seed> re-runs only that plan, as many
// times as the test would run histories, to catch the interleaving again. The threads'
// timing is not replayable; the printed history is, through the checker.
//
// Counts are nominal numbers scaled by SYNCMAP_STRESS_SCALE and divided by
// sanitizer_divisor in sanitized builds (a history there costs 5-10x more).
#ifndef SYNCMAP_TESTS_LINEARIZABILITY_HISTORIES_HPP
#define SYNCMAP_TESTS_LINEARIZABILITY_HISTORIES_HPP

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "support/catch.hpp"
#include "support/linearizability.hpp"
#include "support/random_ops.hpp"
#include "support/stress.hpp"
#include "support/thread_runner.hpp"

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define SYNCMAP_LINEARIZABILITY_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
#define SYNCMAP_LINEARIZABILITY_SANITIZED 1
#endif
#endif
#ifndef SYNCMAP_LINEARIZABILITY_SANITIZED
#define SYNCMAP_LINEARIZABILITY_SANITIZED 0
#endif

namespace syncmap_test {
namespace linearizability {

inline constexpr std::size_t sanitizer_divisor = SYNCMAP_LINEARIZABILITY_SANITIZED ? 5 : 1;

// How many histories a test runs: `nominal` scaled by SYNCMAP_STRESS_SCALE, fewer under a
// sanitizer; at least 1.
inline std::size_t history_count(std::size_t nominal) {
  const std::size_t n = scaled(nominal) / sanitizer_divisor;
  return n == 0 ? 1 : n;
}

// How a key reaches its initial state before the threads start. For rcu_map each route
// leaves the key's entry in a different place (Go's sync.Map states); for sharded_map they
// all end the same way, but cost nothing to run.
enum class key_route : unsigned char {
  never_stored,         // absent: no entry anywhere
  stored_dirty,         // present: stored after the last promotion (dirty table only)
  erased_from_dirty,    // absent: stored and erased after the last promotion
  stored_read,          // present: stored, then promoted by for_each (read table)
  overwritten_in_read,  // present: promoted with another value, then stored over in place
  erased_from_read,     // absent: promoted, then erased (read-table entry with no value)
  expunged,             // absent: as erased_from_read, then a new key rebuilds the dirty
                        //   table, which expunges the entry
};
// (The first new key stored after a promotion expunges every erased read-table entry, so in
// a plan that also has stored_dirty or erased_from_dirty keys, erased_from_read keys end up
// expunged too.)

inline const char* name(key_route route) {
  switch (route) {
    case key_route::never_stored:
      return "never stored";
    case key_route::stored_dirty:
      return "stored, dirty table";
    case key_route::erased_from_dirty:
      return "erased from the dirty table";
    case key_route::stored_read:
      return "stored, promoted to the read table";
    case key_route::overwritten_in_read:
      return "promoted, then overwritten in the read table";
    case key_route::erased_from_read:
      return "promoted, then erased";
    case key_route::expunged:
      return "promoted, erased, expunged";
  }
  return "?";
}

inline bool route_present(key_route route) {
  return route == key_route::stored_dirty || route == key_route::stored_read ||
         route == key_route::overwritten_in_read;
}

inline bool route_promoted(key_route route) {
  return route == key_route::stored_read || route == key_route::overwritten_in_read ||
         route == key_route::erased_from_read || route == key_route::expunged;
}

inline const std::vector<key_route>& dirty_routes() {
  static const std::vector<key_route> routes = {key_route::never_stored, key_route::stored_dirty,
                                                key_route::stored_dirty,
                                                key_route::erased_from_dirty};
  return routes;
}
inline const std::vector<key_route>& read_routes() {
  static const std::vector<key_route> routes = {key_route::stored_read, key_route::stored_read,
                                                key_route::overwritten_in_read,
                                                key_route::erased_from_read, key_route::expunged};
  return routes;
}
inline const std::vector<key_route>& all_routes() {
  static const std::vector<key_route> routes = {
      key_route::never_stored, key_route::stored_dirty,        key_route::erased_from_dirty,
      key_route::stored_read,  key_route::overwritten_in_read, key_route::erased_from_read,
      key_route::expunged};
  return routes;
}

struct history_options {
  std::size_t min_threads = 2;
  std::size_t max_threads = 4;
  std::size_t min_operations = 3;  // per thread
  std::size_t max_operations = 6;
  std::size_t min_keys = 1;
  std::size_t max_keys = 3;
  int value_space = 3;
  std::vector<op_kind> kinds{all_op_kinds.begin(), all_op_kinds.end()};  // drawn uniformly
  std::vector<key_route> routes = all_routes();                          // drawn uniformly
  // Before each call: a yield one time in yield_one_in, else a spin of 0..max_spin-1
  // compiler barriers half the time (max_spin 0: never).
  std::uint64_t yield_one_in = 16;
  unsigned max_spin = 256;
  // A call with a callback yields inside it one time in callback_yield_one_in (0: never).
  std::uint64_t callback_yield_one_in = 3;
};

// A key the operations never touch: storing it after the erasures makes rcu_map rebuild its
// dirty table from the read table (expunging the erased entries) without touching the model.
inline constexpr std::size_t bystander_key = 1000;

struct planned_history {
  std::uint64_t seed = 0;
  history initial;  // initial contents and value_space; operations left empty
  std::vector<key_route> routes;
  std::vector<std::vector<operation>> threads;              // each thread's calls, results unset
  std::vector<std::vector<unsigned>> pauses;                // per call: spin length; ~0u = yield
  std::vector<std::vector<unsigned char>> callback_yields;  // per call: yield in the callback
};

inline planned_history make_plan(std::uint64_t seed, const history_options& options) {
  seeded_random random(seed);
  const auto between = [&](std::size_t low, std::size_t high) {
    return low + static_cast<std::size_t>(random.below(high - low + 1));
  };
  const auto value = [&] { return static_cast<int>(random.below(options.value_space)); };
  planned_history plan;
  plan.seed = seed;
  plan.initial.value_space = options.value_space;
  const std::size_t keys = between(options.min_keys, options.max_keys);
  for (std::size_t k = 0; k < keys; ++k) {
    const key_route route = options.routes[random.below(options.routes.size())];
    plan.routes.push_back(route);
    plan.initial.initial.push_back(route_present(route) ? value() : absent);
  }
  const std::size_t threads = between(options.min_threads, options.max_threads);
  plan.threads.resize(threads);
  plan.pauses.resize(threads);
  plan.callback_yields.resize(threads);
  for (std::size_t t = 0; t < threads; ++t) {
    const std::size_t calls = between(options.min_operations, options.max_operations);
    for (std::size_t i = 0; i < calls; ++i) {
      operation op;
      op.thread = t;
      op.kind = options.kinds[random.below(options.kinds.size())];
      op.key = static_cast<std::size_t>(random.below(keys));
      switch (op.kind) {  // arguments an operation does not take stay 0
        case op_kind::load:
        case op_kind::contains:
        case op_kind::visit:
        case op_kind::load_and_delete:
        case op_kind::erase:
          break;
        case op_kind::upsert:
        case op_kind::update:
          op.a = 1 + static_cast<int>(random.below(std::max(options.value_space - 1, 1)));
          if (op.kind == op_kind::upsert) op.b = value();
          break;
        case op_kind::erase_if:
          op.a = value();
          op.b = static_cast<int>(random.below(2));
          break;
        case op_kind::compare_and_swap:
          op.a = value();
          op.b = value();
          break;
        default:
          op.a = value();
          break;
      }
      plan.threads[t].push_back(op);
      unsigned pause = 0;
      if (options.yield_one_in != 0 && random.chance(options.yield_one_in)) {
        pause = ~0u;
      } else if (options.max_spin != 0 && random.chance(2)) {
        pause = static_cast<unsigned>(random.below(options.max_spin));
      }
      plan.pauses[t].push_back(pause);
      plan.callback_yields[t].push_back(options.callback_yield_one_in != 0 &&
                                        random.chance(options.callback_yield_one_in));
    }
  }
  return plan;
}

inline std::string describe_plan(const planned_history& plan) {
  std::string out = "  seed " + std::to_string(plan.seed) + "; key routes:";
  for (std::size_t k = 0; k < plan.routes.size(); ++k)
    out += std::string(k == 0 ? " " : ", ") + key_name(k) + " " + name(plan.routes[k]);
  return out + "\n";
}

namespace detail {

template <class Map>
typename Map::mapped_type make_value(int v) {
  return value_codec<typename Map::mapped_type>::make(static_cast<std::uint64_t>(v));
}
template <class Map>
int number(const typename Map::mapped_type& value) {
  return static_cast<int>(value_codec<typename Map::mapped_type>::number(value));
}
template <class Map>
op_result from_optional(const std::optional<typename Map::mapped_type>& value) {
  return {value ? number<Map>(*value) : absent, false};
}

inline void pause(unsigned spins) {
  if (spins == ~0u) {
    std::this_thread::yield();
    return;
  }
  for (unsigned i = 0; i < spins; ++i)
    std::atomic_signal_fence(std::memory_order_seq_cst);  // a compiler barrier: keeps the loop
}

}  // namespace detail

// Brings `map` (empty) to the plan's initial contents along the plan's key routes.
template <class Map>
void prepare(Map& map, const planned_history& plan) {
  using detail::make_value;
  const auto key = [](std::size_t k) { return key_maker<typename Map::key_type>::make(k); };
  const std::size_t keys = plan.routes.size();
  const int space = plan.initial.value_space;
  bool promote = false;
  bool expunge = false;
  for (std::size_t k = 0; k < keys; ++k) {
    const key_route route = plan.routes[k];
    if (!route_promoted(route)) continue;
    const int v = plan.initial.initial[k];
    // overwritten_in_read promotes another value first; erased routes promote any value.
    const int first = route == key_route::stored_read ? v : (v == absent ? 0 : (v + 1) % space);
    map.store(key(k), make_value<Map>(first));
    promote = true;
    expunge = expunge || route == key_route::expunged;
  }
  if (promote) map.for_each([](const auto&, const auto&) {});  // rcu_map: promotes the dirty table
  for (std::size_t k = 0; k < keys; ++k) {
    const key_route route = plan.routes[k];
    if (route == key_route::erased_from_read || route == key_route::expunged) map.erase(key(k));
    if (route == key_route::overwritten_in_read) {
      map.store(key(k), make_value<Map>(plan.initial.initial[k]));
    }
  }
  if (expunge) map.store(key(bystander_key), make_value<Map>(0));
  for (std::size_t k = 0; k < keys; ++k) {
    const key_route route = plan.routes[k];
    if (route == key_route::stored_dirty) {
      map.store(key(k), make_value<Map>(plan.initial.initial[k]));
    } else if (route == key_route::erased_from_dirty) {
      map.store(key(k), make_value<Map>(0));
      map.erase(key(k));
    }
  }
}

// Calls the operation `op` describes on `map`, returning its result encoded as the model's.
// With yield_in_callback, the callback (if the operation takes one) yields first.
template <class Map>
op_result perform(Map& map, const operation& op, const typename Map::key_type& key, int value_space,
                  bool yield_in_callback = false) {
  using T = typename Map::mapped_type;
  using detail::from_optional;
  using detail::make_value;
  using detail::number;
  // Pure (rcu_map may run it more than once): the same input always gives the same output.
  const auto maybe_yield = [yield_in_callback] {
    if (yield_in_callback) std::this_thread::yield();
  };
  const auto bump = [delta = op.a, value_space, maybe_yield](T& stored) {
    maybe_yield();
    stored = make_value<Map>((number<Map>(stored) + delta) % value_space);
  };
  switch (op.kind) {
    case op_kind::load:
      return from_optional<Map>(map.load(key));
    case op_kind::contains:
      return {absent, map.contains(key)};
    case op_kind::visit: {
      int seen = absent;
      const bool found = map.visit(key, [&](const T& stored) {
        maybe_yield();
        seen = number<Map>(stored);
      });
      return {seen, found};
    }
    case op_kind::store:
      return {absent, map.store(key, make_value<Map>(op.a))};
    case op_kind::load_or_store: {
      const auto [value, loaded] = map.load_or_store(key, make_value<Map>(op.a));
      return {number<Map>(value), loaded};
    }
    case op_kind::load_or_store_with: {
      const int a = op.a;
      const auto [value, loaded] = map.load_or_store_with(key, [a, maybe_yield] {
        maybe_yield();
        return make_value<Map>(a);
      });
      return {number<Map>(value), loaded};
    }
    case op_kind::try_emplace:
      return {absent, map.try_emplace(key, make_value<Map>(op.a))};
    case op_kind::load_and_delete:
      return from_optional<Map>(map.load_and_delete(key));
    case op_kind::erase:
      return {static_cast<int>(map.erase(key)), false};
    case op_kind::exchange:
      return from_optional<Map>(map.exchange(key, make_value<Map>(op.a)));
    case op_kind::compare_and_swap:
      return {absent, map.compare_and_swap(key, make_value<Map>(op.a), make_value<Map>(op.b))};
    case op_kind::compare_and_delete:
      return {absent, map.compare_and_delete(key, make_value<Map>(op.a))};
    case op_kind::upsert:
      return {absent, map.upsert(key, bump, make_value<Map>(op.b))};
    case op_kind::update:
      return {absent, map.update(key, bump)};
    case op_kind::erase_if: {
      const int a = op.a;
      const bool unequal = op.b != 0;
      return {absent, map.erase_if(key, [a, unequal, maybe_yield](const T& stored) {
                maybe_yield();
                return (number<Map>(stored) == a) != unequal;
              })};
    }
  }
  return {};
}

// Runs the plan's threads on `map` (already prepared) and returns the recorded history.
template <class Map>
history run_plan(Map& map, const planned_history& plan) {
  std::vector<typename Map::key_type> keys;
  for (std::size_t k = 0; k < plan.routes.size(); ++k)
    keys.push_back(key_maker<typename Map::key_type>::make(k));
  std::vector<std::vector<operation>> recorded = plan.threads;  // each thread writes its own
  std::atomic<std::uint64_t> clock{0};
  const int space = plan.initial.value_space;
  run_threads(recorded.size(), [&](std::size_t t) {
    std::vector<operation>& mine = recorded[t];
    for (std::size_t i = 0; i < mine.size(); ++i) {
      detail::pause(plan.pauses[t][i]);
      operation& op = mine[i];
      // seq_cst, and a read-modify-write: every stamp synchronizes with every later one, so
      // an earlier response stamp than another call's invocation stamp means happens-before
      // (support/linearizability.hpp, "Soundness of the stamps").
      op.invoked = clock.fetch_add(1, std::memory_order_seq_cst);
      op.result = perform(map, op, keys[op.key], space, plan.callback_yields[t][i] != 0);
      op.responded = clock.fetch_add(1, std::memory_order_seq_cst);
    }
  });
  history h = plan.initial;
  for (const auto& ops : recorded)
    h.operations.insert(h.operations.end(), ops.begin(), ops.end());
  return h;
}

// Whether two operations of different threads on one key overlap in time: the history
// tested something only a concurrent run can.
inline bool has_overlap(const history& h) {
  for (std::size_t i = 0; i < h.operations.size(); ++i) {
    for (std::size_t j = i + 1; j < h.operations.size(); ++j) {
      const operation& x = h.operations[i];
      const operation& y = h.operations[j];
      if (x.thread != y.thread && x.key == y.key && x.invoked < y.responded &&
          y.invoked < x.responded) {
        return true;
      }
    }
  }
  return false;
}

struct run_summary {
  std::size_t histories = 0;
  std::size_t operations = 0;
  std::size_t overlapping = 0;  // histories with at least one overlapping pair on one key
  std::size_t failures = 0;
  double seconds = 0;
  std::string first_failure;  // the report of the first non-linearizable history
};

// Runs `count` planned histories (seeds first_seed, first_seed+1, ...; or only
// SYNCMAP_LINEARIZABILITY_SEED, `count` times) on fresh maps from make_map() and checks each.
// Stops at the first failure unless keep_going.
template <class MakeMap>
run_summary run_histories(const std::string& label, std::size_t count, std::uint64_t first_seed,
                          const history_options& options, MakeMap make_map,
                          bool keep_going = false) {
  std::optional<std::uint64_t> replay;
  if (const char* text = std::getenv("SYNCMAP_LINEARIZABILITY_SEED")) {
    replay = std::strtoull(text, nullptr, 10);
  }
  run_summary summary;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < count; ++i) {
    const planned_history plan = make_plan(replay ? *replay : first_seed + i, options);
    auto map = make_map();
    prepare(map, plan);
    const history h = run_plan(map, plan);
    ++summary.histories;
    summary.operations += h.operations.size();
    if (has_overlap(h)) ++summary.overlapping;
    const verdict v = check(h);
    if (!v.linearizable) {
      ++summary.failures;
      if (summary.first_failure.empty()) {
        summary.first_failure =
            label + ": history " + std::to_string(i) + " of " + std::to_string(count) + ", " +
            std::to_string(plan.threads.size()) + " threads\n" + describe_plan(plan) +
            v.explanation + "  the whole history:\n" + describe(h) +
            "  as code (linearizability::history h = ...):\n" + to_code(h) +
            "\n  re-run this plan: SYNCMAP_LINEARIZABILITY_SEED=" + std::to_string(plan.seed) +
            "\n";
      }
      if (!keep_going) break;
    }
  }
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

// One line on stdout (ctest shows it with -V or on failure): what a run covered and its rate.
inline void print_summary(const std::string& label, const run_summary& summary) {
  std::printf(
      "linearizability: %s: %zu histories (%zu operations, %zu%% with overlapping calls on one "
      "key) in %.2f s, %.0f histories/s%s\n",
      label.c_str(), summary.histories, summary.operations,
      summary.histories == 0 ? std::size_t{0} : 100 * summary.overlapping / summary.histories,
      summary.seconds, summary.seconds > 0 ? summary.histories / summary.seconds : 0.0,
      summary.failures == 0 ? "" : ", NOT LINEARIZABLE");
  std::fflush(stdout);
}

// The test body: run, report, and REQUIRE that every history was linearizable.
template <class MakeMap>
void check_histories(const std::string& label, std::size_t nominal, std::uint64_t first_seed,
                     const history_options& options, MakeMap make_map) {
  const run_summary summary =
      run_histories(label, history_count(nominal), first_seed, options, make_map);
  print_summary(label, summary);
  INFO(summary.first_failure);
  REQUIRE(summary.failures == 0);
}

}  // namespace linearizability
}  // namespace syncmap_test

#endif  // SYNCMAP_TESTS_LINEARIZABILITY_HISTORIES_HPP
