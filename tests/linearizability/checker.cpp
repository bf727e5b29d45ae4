// The linearizability checker checked: hand-built histories it must reject and accept, the
// sequential model against the oracle map, and deliberately broken maps it must catch when
// histories.hpp runs them like the real ones.
//
// The hand-built histories are written in the form to_code() prints, so a failing history
// from a map test can be pasted here as a regression case.
#include <cstdint>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>

#include <syncmap/sharded_map.hpp>

#include "histories.hpp"
#include "support/catch.hpp"
#include "support/linearizability.hpp"
#include "support/locked_map.hpp"

using namespace syncmap_test::linearizability;

namespace {

using base_map = syncmap::sharded_map<std::uint64_t, std::uint64_t>;

// Broken on purpose: load() answers from a per-key cache that no write invalidates, the way
// a map that forgot to publish its writes to a reader-side cache would. A single thread
// already shows it (load, store of another value, load), but only if the history has that
// pattern: the test below draws only loads and stores for it.
class stale_load_map : public base_map {
 public:
  std::optional<std::uint64_t> load(const std::uint64_t& key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
    const std::optional<std::uint64_t> value = base_map::load(key);
    cache_.emplace(key, value);
    return value;
  }

 private:
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::uint64_t, std::optional<std::uint64_t>> cache_;  // by mutex_
};

// Broken on purpose: compare_and_swap() is a load and a store, not one atomic step, so two
// threads can both swap from the same expected value. Every single-threaded history is still
// linearizable: only an overlap of two calls shows the bug.
class racy_cas_map : public base_map {
 public:
  bool compare_and_swap(const std::uint64_t& key, const std::uint64_t& expected,
                        std::uint64_t desired) {
    const std::optional<std::uint64_t> current = load(key);
    if (!current || *current != expected) return false;
    std::this_thread::yield();  // widen the window between the check and the write
    store(key, desired);
    return true;
  }
};

bool mentions(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("checker rejects a load of an overwritten value after the overwrite returned",
          "[linearizability][checker]") {
  // T0 stores 1; T1 then stores 2 (not inserted: 1 was there); only after both returned does
  // T0 load, and gets 1. No order that respects real time explains it.
  const history h = {{absent},
                     3,
                     {
                         {0, op_kind::store, 0, 1, 0, {absent, true}, 0, 1},
                         {1, op_kind::store, 0, 2, 0, {absent, false}, 2, 3},
                         {0, op_kind::load, 0, 0, 0, {1, false}, 4, 5},
                     }};
  const verdict v = check(h);
  CHECK_FALSE(v.linearizable);
  CHECK(v.failing_key == 0);
  INFO(v.explanation);
  CHECK(mentions(v.explanation, "not linearizable"));
  CHECK(mentions(v.explanation, "load(k0)"));
  CHECK(mentions(v.explanation, "returned 1, the model says 2"));
}

TEST_CASE("checker accepts the same results when the calls overlap", "[linearizability][checker]") {
  // The second store now overlaps the load, so the load may take effect before it.
  const history h = {{absent},
                     3,
                     {
                         {0, op_kind::store, 0, 1, 0, {absent, true}, 0, 1},
                         {1, op_kind::store, 0, 2, 0, {absent, false}, 2, 5},
                         {0, op_kind::load, 0, 0, 0, {1, false}, 3, 4},
                     }};
  const verdict v = check(h);
  INFO(v.explanation);
  REQUIRE(v.linearizable);
  REQUIRE(v.witness.size() == 1);
  CHECK(v.witness[0] == std::vector<std::size_t>{0, 2, 1});
}

TEST_CASE("checker accepts either order of overlapping calls and only those",
          "[linearizability][checker]") {
  for (const int seen : {absent, 1}) {
    // A load overlapping a store may see the value before or after it...
    const history h = {{absent},
                       3,
                       {
                           {0, op_kind::store, 0, 1, 0, {absent, true}, 0, 3},
                           {1, op_kind::load, 0, 0, 0, {seen, false}, 1, 2},
                       }};
    CHECK(check(h).linearizable);
    // ...but not once the store returned before the load was called.
    history after = h;
    after.operations[1].invoked = 4;
    after.operations[1].responded = 5;
    CHECK(check(after).linearizable == (seen == 1));
  }
}

TEST_CASE("checker rejects two compare_and_swaps that both swapped from one value",
          "[linearizability][checker]") {
  history h = {{0},
               3,
               {
                   {0, op_kind::compare_and_swap, 0, 0, 1, {absent, true}, 0, 3},
                   {1, op_kind::compare_and_swap, 0, 0, 2, {absent, true}, 1, 2},
               }};
  CHECK_FALSE(check(h).linearizable);
  // A store of 0 overlapping both can sit between them.
  h.operations.push_back({2, op_kind::store, 0, 0, 0, {absent, false}, 1, 5});
  CHECK(check(h).linearizable);
}

TEST_CASE("checker rejects a value that was never stored and respects the initial state",
          "[linearizability][checker]") {
  history h = {{1},
               3,
               {
                   {0, op_kind::store, 0, 0, 0, {absent, false}, 0, 3},
                   {1, op_kind::load, 0, 0, 0, {2, false}, 1, 2},
               }};
  CHECK_FALSE(check(h).linearizable);
  h.operations[1].result = {1, false};  // the initial value, read before the store
  CHECK(check(h).linearizable);
  h.initial = {absent};  // now the store should have inserted, and nothing ever held 1
  CHECK_FALSE(check(h).linearizable);
  h.operations[0].result = {absent, true};
  h.operations[1].result = {absent, false};
  CHECK(check(h).linearizable);
}

TEST_CASE("checker models every operation's result", "[linearizability][checker]") {
  // One thread, so the only order is program order: each result must be the model's.
  const history h = {{2, absent},
                     3,
                     {
                         {0, op_kind::update, 0, 2, 0, {absent, true}, 0, 1},     // 2 -> 1
                         {0, op_kind::visit, 0, 0, 0, {1, true}, 2, 3},           //
                         {0, op_kind::upsert, 0, 1, 0, {absent, false}, 4, 5},    // 1 -> 2
                         {0, op_kind::erase_if, 0, 2, 1, {absent, false}, 6, 7},  // 2 != 2?
                         {0, op_kind::erase_if, 0, 2, 0, {absent, true}, 8, 9},   // 2 == 2
                         {0, op_kind::contains, 0, 0, 0, {absent, false}, 10, 11},
                         {0, op_kind::upsert, 0, 1, 2, {absent, true}, 12, 13},    // -> 2
                         {0, op_kind::load_or_store, 0, 0, 0, {2, true}, 14, 15},  //
                         {0, op_kind::exchange, 0, 0, 0, {2, false}, 16, 17},      // -> 0
                         {0, op_kind::compare_and_swap, 0, 1, 2, {absent, false}, 18, 19},
                         {0, op_kind::compare_and_delete, 0, 0, 0, {absent, true}, 20, 21},
                         {0, op_kind::erase, 0, 0, 0, {0, false}, 22, 23},
                         {0, op_kind::load_or_store_with, 0, 1, 0, {1, false}, 24, 25},  // -> 1
                         {0, op_kind::try_emplace, 0, 2, 0, {absent, false}, 26, 27},
                         {0, op_kind::load_and_delete, 0, 0, 0, {1, false}, 28, 29},
                         {0, op_kind::update, 0, 1, 0, {absent, false}, 30, 31},
                         {0, op_kind::load, 0, 0, 0, {absent, false}, 32, 33},
                         {0, op_kind::visit, 0, 0, 0, {absent, false}, 34, 35},
                         {0, op_kind::try_emplace, 1, 2, 0, {absent, true}, 36, 37},
                         {0, op_kind::erase, 1, 0, 0, {1, false}, 38, 39},
                         {0, op_kind::store, 1, 1, 0, {absent, true}, 40, 41},
                     }};
  const verdict v = check(h);
  INFO(v.explanation);
  CHECK(v.linearizable);
  // Any one wrong result breaks it.
  for (std::size_t i = 0; i < h.operations.size(); ++i) {
    history wrong = h;
    op_result& r = wrong.operations[i].result;
    if (r.value == absent) {
      r.flag = !r.flag;
    } else {
      r.value = (r.value + 1) % 3;
    }
    INFO("operation " << i << ": " << describe_call(h.operations[i]));
    CHECK_FALSE(check(wrong).linearizable);
  }
}

TEST_CASE("checker checks each key on its own and names the failing one",
          "[linearizability][checker]") {
  // k0's calls are fine; k1's load sees a value erased before the load was called.
  const history h = {{absent, 1},
                     3,
                     {
                         {0, op_kind::store, 0, 1, 0, {absent, true}, 0, 5},
                         {1, op_kind::erase, 1, 0, 0, {1, false}, 1, 2},
                         {1, op_kind::load, 1, 0, 0, {1, false}, 3, 4},
                         {0, op_kind::load, 0, 0, 0, {1, false}, 6, 7},
                     }};
  const verdict v = check(h);
  REQUIRE_FALSE(v.linearizable);
  CHECK(v.failing_key == 1);
  INFO(v.explanation);
  CHECK(mentions(v.explanation, "operations on k1"));
  CHECK(mentions(v.explanation, "erase(k1)"));
  CHECK_FALSE(mentions(v.explanation, "store(k0, 1)"));  // only the failing key's calls
  // Fix k1 and break k0 (its load misses the store that returned before it): k0 is named.
  history k0_broken = h;
  k0_broken.operations[2].result = {absent, false};
  k0_broken.operations[3].result = {absent, false};
  const verdict v0 = check(k0_broken);
  CHECK_FALSE(v0.linearizable);
  CHECK(v0.failing_key == 0);
}

TEST_CASE("checker refuses malformed histories", "[linearizability][checker]") {
  const operation load0 = {0, op_kind::load, 0, 0, 0, {absent, false}, 0, 1};
  history h = {{absent}, 3, {load0}};
  CHECK_NOTHROW(check(h));
  h.operations[0].key = 1;  // no such key
  CHECK_THROWS_AS(check(h), std::invalid_argument);
  h.operations[0] = load0;
  h.operations[0].responded = 0;  // returned before it was called
  CHECK_THROWS_AS(check(h), std::invalid_argument);
  h.operations[0] = load0;
  h.operations.push_back({0, op_kind::load, 0, 0, 0, {absent, false}, 0, 2});  // same thread
  CHECK_THROWS_AS(check(h), std::invalid_argument);
  h = {{5}, 3, {}};  // initial value outside 0..2
  CHECK_THROWS_AS(check(h), std::invalid_argument);
}

TEST_CASE("a history prints as a table and as code that rebuilds it",
          "[linearizability][checker]") {
  const history h = {{absent, 2},
                     3,
                     {
                         {0, op_kind::compare_and_swap, 1, 2, 0, {absent, true}, 0, 3},
                         {1, op_kind::load_or_store, 0, 1, 0, {1, false}, 1, 2},
                     }};
  CHECK(to_code(h) ==
        "{{absent, 2}, 3, {\n"
        "  {0, op_kind::compare_and_swap, 1, 2, 0, {absent, true}, 0, 3},\n"
        "  {1, op_kind::load_or_store, 0, 1, 0, {1, false}, 1, 2},\n"
        "}}");
  const std::string table = describe(h);
  INFO(table);
  CHECK(mentions(table, "initial: k0=absent k1=2"));
  CHECK(mentions(table, "compare_and_swap(k1, 2, 0)"));
  CHECK(mentions(table, "(1, false)"));
  CHECK(mentions(table, "[--]"));  // the first call spans all four stamps
}

TEST_CASE("checker stays fast on a long history of overlapping calls",
          "[linearizability][checker]") {
  // 4 threads x 8 calls on one key, each call overlapping the calls around it in the other
  // threads (thread t's call i spans stamps 8i+2t .. 8i+2t+7): up to 9^4 linearized sets.
  // With the last result impossible, the search must exhaust all of them before it fails.
  history h = {{0}, 2, {}};
  for (std::size_t t = 0; t < 4; ++t) {
    for (std::size_t i = 0; i < 8; ++i) {
      operation op;
      op.thread = t;
      op.kind = i % 2 == 0 ? op_kind::compare_and_swap : op_kind::load;
      op.a = 0;
      op.b = 0;
      op.result = i % 2 == 0 ? op_result{absent, true} : op_result{0, false};
      op.invoked = 8 * i + 2 * t;
      op.responded = op.invoked + 7;
      h.operations.push_back(op);
    }
  }
  CHECK(check(h).linearizable);
  h.operations.back().result = {1, false};  // a load of a value nobody wrote
  CHECK_FALSE(check(h).linearizable);
}

TEST_CASE("the model agrees with the oracle map on single-threaded runs",
          "[linearizability][checker]") {
  // With one thread a history is linearizable iff every result is the model's: this checks
  // the model (and perform()'s encoding) against locked_map, the obviously correct map.
  history_options options;
  options.min_threads = options.max_threads = 1;
  options.min_operations = options.max_operations = 30;
  options.max_keys = 2;
  using oracle = syncmap_test::locked_map<std::uint64_t, std::uint64_t>;
  const run_summary summary = run_histories("locked_map, 1 thread", history_count(500), 0xc0de00,
                                            options, [] { return oracle(); });
  INFO(summary.first_failure);
  CHECK(summary.failures == 0);
}

TEST_CASE("concurrent histories of the oracle map are linearizable", "[linearizability][checker]") {
  // locked_map holds one lock across every call: no false alarms allowed.
  using oracle = syncmap_test::locked_map<std::uint64_t, std::uint64_t>;
  const run_summary summary = run_histories("locked_map", history_count(1000), 0xc0de10,
                                            history_options{}, [] { return oracle(); });
  print_summary("locked_map", summary);
  INFO(summary.first_failure);
  CHECK(summary.failures == 0);
}

TEST_CASE("checker catches a map whose load returns a stale cached value",
          "[linearizability][checker][broken]") {
  // Loads and stores on one key, so that almost every history holds a load, a completed
  // store of another value, and a later load. With every kind drawn uniformly only 1-4 of 60
  // histories did, and a CI run of the sanitized builds once caught none.
  history_options options;
  options.max_keys = 1;
  options.kinds = {op_kind::load, op_kind::load, op_kind::store};
  const run_summary summary = run_histories(
      "stale_load_map", history_count(300), 0xbad000, options, [] { return stale_load_map(); },
      /*keep_going=*/true);
  print_summary("stale_load_map (broken on purpose)", summary);
  INFO(summary.failures << " of " << summary.histories << " histories caught it");
  INFO(summary.first_failure);
  REQUIRE(summary.failures > 0);
  CHECK(mentions(summary.first_failure, "load(k"));
}

TEST_CASE("checker catches a map whose compare_and_swap is not atomic",
          "[linearizability][checker][broken]") {
  // Only CAS, load and store, on one key with values 0..1: two threads often try to swap
  // from the same value at once. Stops at the first catch.
  history_options options;
  options.max_keys = 1;
  options.value_space = 2;
  options.kinds = {op_kind::compare_and_swap, op_kind::compare_and_swap, op_kind::load,
                   op_kind::store};
  options.routes = {key_route::stored_dirty};
  const run_summary summary = run_histories("racy_cas_map", history_count(5000), 0xbad100, options,
                                            [] { return racy_cas_map(); });
  print_summary("racy_cas_map (broken on purpose)", summary);
  INFO(summary.first_failure);
  REQUIRE(summary.failures == 1);
  CHECK(mentions(summary.first_failure, "compare_and_swap(k0"));
}
