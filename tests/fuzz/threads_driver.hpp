// syncmap fuzz targets: the concurrent driver (targets *_threads).
// SPDX-License-Identifier: MIT
//
// Input format (every byte string is a program; make_seeds.py writes examples):
//   byte 0   configuration: bit 0 is handed to the target (key type), bits 1-2 pick the
//            shard count 1, 2, 4 or 8 (sharded_map only), bits 3-4 the rounds 1, 2, 4 or 8
//   the rest is split in two halves, the programs of thread 0 and thread 1. Each phase below
//   runs on a fresh map, both threads released together, each running its program `rounds`
//   times over (more rounds, more overlap):
//
// Phase 1, disjoint keys. Thread t owns the key indices with t's parity, so it can keep an
// exact model of its own keys and check every single-key result against it (key_ops.hpp;
// linearizability makes the other thread invisible on these keys). Whole-map operations run
// concurrently with the other thread's writes and must still be exact on the caller's own
// keys, which nobody else changes: for_each and snapshot show each of them once with its
// value, erase_if(pred) restricted to them erases exactly the model's count, and a copy
// constructed meanwhile holds them all. Afterwards the map must equal the union of the two
// models: nothing lost, nothing extra.
//
// Phase 2, overlapping keys. Both threads work on the same 8 keys with operations whose
// effect on a per-key total each thread can tally: +1 increments (upsert, update when found,
// a load/compare_and_swap loop) and removals whose removed value the caller learns
// (load_and_delete, compare_and_delete, exchange, erase_if(key)). Afterwards, for every key,
// final value + everything removed == every increment made. Concurrent readers check that no
// key appears twice and no value exceeds what the increments could have produced.
#ifndef SYNCMAP_TESTS_FUZZ_THREADS_DRIVER_HPP
#define SYNCMAP_TESTS_FUZZ_THREADS_DRIVER_HPP

#include <array>
#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include "fuzz_support.hpp"
#include "key_ops.hpp"
#include "model_driver.hpp"

namespace syncmap_fuzz {

// Phase 1 operations: 0..14 are key_op; the order is the encoding (make_seeds.py).
enum class disjoint_op : std::uint8_t {
  for_each = static_cast<std::uint8_t>(key_op::count),  // stop-at (0: never)
  snapshot,
  size,
  erase_if_all,    // parameter
  copy_construct,  //
  count
};

inline constexpr const char* disjoint_op_names[] = {"for_each", "snapshot", "size",
                                                    "erase_if(pred)", "copy_construct"};

// Phase 2 operations, each on one of the 8 shared keys (key byte & 7). The order is the
// encoding (make_seeds.py).
enum class shared_op : std::uint8_t {
  upsert_increment,    // +1 (alt: noexcept callback)
  update_increment,    // +1 if found
  cas_increment,       // load, then compare_and_swap(v, v + 1) (try_emplace(1) if absent)
  load_and_delete,     // removes v
  compare_and_delete,  // removes the value just loaded, if still there
  exchange_zero,       // removes the previous value, leaves 0
  load_or_store_zero,  // (alt: load_or_store_with)
  try_emplace_zero,    //
  erase_if_odd,        // removes the value if odd
  read,                // load, contains, visit
  for_each,            //
  snapshot,            //
  erase_if_all_none,   // a predicate that keeps everything
  move_value,          // exchange(k, 0), then upsert(k, += v, v): removes v, then adds it back
  count
};

inline constexpr const char* shared_op_names[] = {
    "upsert +1",  "update +1",       "cas +1",         "load_and_delete",  "compare_and_delete",
    "exchange 0", "load_or_store 0", "try_emplace 0",  "erase_if(odd)",    "read",
    "for_each",   "snapshot",        "erase_if(none)", "exchange + upsert"};

inline constexpr int shared_keys = 8;

// The key index of shared slot 0..7: 0, 9, ..., 63 (short, long and high-bit keys alike).
inline int shared_key(int slot) {
  return slot * 9;
}

// The second thread, kept for the whole process: starting a thread per input would cost more
// than most programs take to run, and the threads would rarely overlap at all.
class partner_thread {
 public:
  static partner_thread& instance() {
    static partner_thread partner;
    return partner;
  }

  // Runs body(1) on the partner thread and body(0) on the caller, released at the same
  // moment; returns when both are done.
  template <class Body>
  void run_pair(const char* target, Body& body) {
    std::atomic<int> ready{0};
    const auto start_line = [&ready] {
      // relaxed: only a start line; the two sides share nothing through this counter.
      ready.fetch_add(1, std::memory_order_relaxed);
      while (ready.load(std::memory_order_relaxed) < 2) {
        std::this_thread::yield();
      }
    };
    {
      std::lock_guard<std::mutex> lock(mu_);
      job_ = [&] {
        context().target = target;
        context().thread = 1;
        start_line();
        body(1);
      };
      state_ = state::posted;
    }
    wake_.notify_all();
    context().target = target;
    context().thread = 0;
    start_line();
    body(0);
    std::unique_lock<std::mutex> lock(mu_);
    wake_.wait(lock, [&] { return state_ == state::done; });
    state_ = state::idle;
    job_ = nullptr;
    context().thread = -1;
  }

  partner_thread(const partner_thread&) = delete;
  partner_thread& operator=(const partner_thread&) = delete;

  ~partner_thread() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      state_ = state::stopping;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  enum class state { idle, posted, done, stopping };

  partner_thread() : thread_([this] { loop(); }) {}

  void loop() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      wake_.wait(lock, [&] { return state_ == state::posted || state_ == state::stopping; });
      if (state_ == state::stopping) return;
      lock.unlock();
      job_();
      lock.lock();
      state_ = state::done;
      wake_.notify_all();
    }
  }

  std::mutex mu_;
  std::condition_variable wake_;
  std::function<void()> job_;  // guarded by mu_ while posting; run unlocked by the partner
  state state_ = state::idle;  // guarded by mu_
  std::thread thread_;         // last: starts once the members above exist
};

template <class Map>
class threads_driver {
  using K = typename Map::key_type;
  using T = typename Map::mapped_type;
  using model_type = model_of<Map>;
  static_assert(std::is_same_v<T, std::uint64_t>, "phase 2 counts with integer values");

 public:
  threads_driver(const char* target, std::size_t shards, int rounds, const std::uint8_t* data,
                 std::size_t size)
      : target_(target), shards_(shards), rounds_(rounds) {
    const std::size_t half = size / 2;
    programs_[0] = {data, half};
    programs_[1] = {data + half, size - half};
    // No program increments more often than it has bytes, per round.
    bound_ = static_cast<std::uint64_t>(size) * static_cast<std::uint64_t>(rounds);
  }

  void run() {
    run_disjoint();
    run_shared();
  }

 private:
  struct program {
    const std::uint8_t* data = nullptr;
    std::size_t size = 0;
  };

  // ---- phase 1 ----

  void run_disjoint() {
    Map map = make_map<Map>(shards_);
    std::array<model_type, 2> models;
    const auto program = [&](int t) {
      for (int round = 0; round < rounds_; ++round) {
        byte_reader in(programs_[t].data, programs_[t].size);
        run_disjoint_program(map, models[t], t, in);
      }
    };
    partner_thread::instance().run_pair(target_, program);
    begin_op("final check (disjoint keys)", 0, -1);
    model_type all = models[0];
    all.insert(models[1].begin(), models[1].end());
    check_contents(map, all, "after both threads (disjoint keys)");
  }

  void run_disjoint_program(Map& map, model_type& model, int t, byte_reader& in) {
    for (std::size_t index = 0; !in.at_end(); ++index) {
      const std::uint8_t op_byte = in.next();
      const auto op =
          static_cast<std::uint8_t>((op_byte & 31) % static_cast<std::uint8_t>(disjoint_op::count));
      const std::uint8_t flags = op_byte & 0xe0;
      if (op < static_cast<std::uint8_t>(key_op::count)) {
        key_byte k = decode_key(in.next());
        k.index = (k.index % (key_space / 2)) * 2 + t;  // own keys: index parity == t
        begin_op(key_op_names[op], index, k.index);
        run_key_op(map, model, static_cast<key_op>(op), flags, k, in);
      } else {
        begin_op(disjoint_op_names[op - static_cast<std::uint8_t>(key_op::count)], index, -1);
        run_disjoint_whole_op(map, model, t, static_cast<disjoint_op>(op), in);
      }
    }
  }

  // Checks the entries of one whole-map read (for_each, snapshot) as they come: no key twice,
  // and the thread's own keys with the model's values.
  class own_key_check {
   public:
    own_key_check(const model_type& model, const char* how) : model_(model), how_(how) {}
    void add(const K& key, const T& value) {
      SYNCMAP_FUZZ_CHECK(seen_.insert(key), std::string(how_) + " produced " +
                                                key_codec<K>::show(key) +
                                                " twice, or a key never stored");
      const auto it = model_.find(key);
      if (it == model_.end()) return;  // the other thread's key (or an own key deleted)
      ++own_;
      SYNCMAP_FUZZ_CHECK(it->second == value, std::string(how_) + " produced own key " +
                                                  key_codec<K>::show(key) + " = " +
                                                  std::to_string(value) + ", model " +
                                                  std::to_string(it->second));
    }
    // `complete`: the read was not stopped early, so it must have shown every own key the
    // model holds (the callers check separately that no own key outside the model appears).
    void finish(bool complete) const {
      if (complete) {
        SYNCMAP_FUZZ_CHECK(own_ == model_.size(), std::string(how_) + " produced " +
                                                      std::to_string(own_) + " of the " +
                                                      std::to_string(model_.size()) + " own keys");
      }
    }

   private:
    const model_type& model_;
    const char* how_;
    key_set<K> seen_;
    std::size_t own_ = 0;
  };

  // Whether `key` is one of thread t's keys.
  static bool owns(int t, const K& key) {
    const int index = key_codec<K>::index_of(key);
    return index >= 0 && index % 2 == t;
  }

  void run_disjoint_whole_op(Map& map, model_type& model, int t, disjoint_op op, byte_reader& in) {
    switch (op) {
      case disjoint_op::for_each: {
        const std::size_t stop_at = in.next() & 63;
        own_key_check check(model, "for_each");
        std::size_t calls = 0;
        const std::size_t visited = map.for_each([&](const K& key, const T& value) {
          SYNCMAP_FUZZ_CHECK(
              !owns(t, key) || model.count(key) != 0,
              "for_each produced own key " + key_codec<K>::show(key) + ", which the model lacks");
          check.add(key, value);
          return ++calls != stop_at;
        });
        SYNCMAP_FUZZ_CHECK(visited == calls, "for_each returned " + std::to_string(visited) +
                                                 " after " + std::to_string(calls) + " calls");
        check.finish(stop_at == 0 || calls < stop_at);
        break;
      }
      case disjoint_op::snapshot: {
        own_key_check check(model, "snapshot");
        for (const auto& [key, value] : map.snapshot()) {
          SYNCMAP_FUZZ_CHECK(
              !owns(t, key) || model.count(key) != 0,
              "snapshot holds own key " + key_codec<K>::show(key) + ", which the model lacks");
          check.add(key, value);
        }
        check.finish(true);
        break;
      }
      case disjoint_op::size: {
        const std::size_t size = map.size();
        SYNCMAP_FUZZ_CHECK(size <= static_cast<std::size_t>(key_space),
                           "size() " + std::to_string(size) + " with 64 possible keys");
        break;
      }
      case disjoint_op::erase_if_all: {
        const std::uint8_t parameter = in.next();
        std::size_t expected = 0;
        for (const auto& [key, value] : model) {
          if (erase_all_predicate(key, value, parameter)) ++expected;
        }
        const std::size_t erased = map.erase_if([&](const K& key, const T& value) {
          const auto it = model.find(key);
          if (it == model.end()) {
            SYNCMAP_FUZZ_CHECK(!owns(t, key), "erase_if(pred) saw own key " +
                                                  key_codec<K>::show(key) +
                                                  ", which the model lacks");
            return false;  // the other thread's key: keep it
          }
          SYNCMAP_FUZZ_CHECK(it->second == value,
                             "erase_if(pred) saw own key " + key_codec<K>::show(key) + " = " +
                                 std::to_string(value) + ", model " + std::to_string(it->second));
          return erase_all_predicate(key, value, parameter);
        });
        SYNCMAP_FUZZ_CHECK(erased == expected, "erase_if(pred) erased " + std::to_string(erased) +
                                                   " own keys, model " + std::to_string(expected));
        for (auto it = model.begin(); it != model.end();) {
          it = erase_all_predicate(it->first, it->second, parameter) ? model.erase(it)
                                                                     : std::next(it);
        }
        break;
      }
      case disjoint_op::copy_construct: {
        const Map copy(map);
        for (int index = t; index < key_space; index += 2) {
          const K& key = key_codec<K>::make(index);
          const auto it = model.find(key);
          const std::optional<T> expected =
              it == model.end() ? std::nullopt : std::optional<T>(it->second);
          const std::optional<T> got = copy.load(key);
          SYNCMAP_FUZZ_CHECK(got == expected, "the copy holds " + show(got) + " for own key " +
                                                  key_codec<K>::show(key) + ", model " +
                                                  show(expected));
        }
        SYNCMAP_FUZZ_CHECK(copy.size() <= static_cast<std::size_t>(key_space),
                           "the copy's size() is " + std::to_string(copy.size()));
        break;
      }
      case disjoint_op::count:
        break;
    }
  }

  // ---- phase 2 ----

  struct tally {
    std::array<std::uint64_t, shared_keys> added{};
    std::array<std::uint64_t, shared_keys> removed{};
  };

  void check_shared_entry(const K& key, std::uint64_t value, const char* how) const {
    const int index = key_codec<K>::index_of(key);
    SYNCMAP_FUZZ_CHECK(
        index >= 0 && index % 9 == 0,
        std::string(how) + " produced " + key_codec<K>::show(key) + ", which nobody stored");
    SYNCMAP_FUZZ_CHECK(value <= bound_, std::string(how) + " produced " + key_codec<K>::show(key) +
                                            " = " + std::to_string(value) + ", more than the " +
                                            std::to_string(bound_) + " increments possible");
  }

  void run_shared() {
    Map map = make_map<Map>(shards_);
    std::array<tally, 2> tallies;
    const auto program = [&](int t) {
      for (int round = 0; round < rounds_; ++round) {
        byte_reader in(programs_[t].data, programs_[t].size);
        run_shared_program(map, tallies[t], in);
      }
    };
    partner_thread::instance().run_pair(target_, program);
    begin_op("final check (shared keys)", 0, -1);
    check_shared_totals(map, tallies);
  }

  void run_shared_program(Map& map, tally& counts, byte_reader& in) {
    for (std::size_t index = 0; !in.at_end(); ++index) {
      const std::uint8_t op_byte = in.next();
      const auto op =
          static_cast<shared_op>((op_byte & 31) % static_cast<std::uint8_t>(shared_op::count));
      const bool alt = (op_byte & flag_alt) != 0;
      const std::uint8_t key_byte_value = in.next();
      const int slot = key_byte_value & 7;
      begin_op(shared_op_names[static_cast<int>(op)], index, shared_key(slot));
      run_shared_op(map, counts, op, alt, slot);
    }
  }

  void check_shared_totals(const Map& map, const std::array<tally, 2>& tallies) const {
    model_type final_contents;
    for (int slot = 0; slot < shared_keys; ++slot) {
      const K& key = key_codec<K>::make(shared_key(slot));
      const std::optional<std::uint64_t> value = map.load(key);
      const std::uint64_t added = tallies[0].added[slot] + tallies[1].added[slot];
      const std::uint64_t removed = tallies[0].removed[slot] + tallies[1].removed[slot];
      SYNCMAP_FUZZ_CHECK(value.value_or(0) + removed == added,
                         "key " + key_codec<K>::show(key) + " ends at " + show(value) + " with " +
                             std::to_string(removed) + " removed, but " + std::to_string(added) +
                             " were added");
      if (value) final_contents.emplace(key, *value);
    }
    check_contents(map, final_contents, "after both threads (shared keys)");
  }

  void run_shared_op(Map& map, tally& counts, shared_op op, bool alt, int slot) {
    const K& key = key_codec<K>::make(shared_key(slot));
    std::uint64_t& added = counts.added[static_cast<std::size_t>(slot)];
    std::uint64_t& removed = counts.removed[static_cast<std::size_t>(slot)];
    switch (op) {
      case shared_op::upsert_increment:
        if (alt) {
          map.upsert(
              key, [](std::uint64_t& v) noexcept { ++v; }, std::uint64_t{1});
        } else {
          map.upsert(
              key, [](std::uint64_t& v) { ++v; }, std::uint64_t{1});
        }
        ++added;
        break;
      case shared_op::update_increment:
        if (map.update(key, [](std::uint64_t& v) { ++v; })) ++added;
        break;
      case shared_op::cas_increment:
        for (;;) {
          const std::optional<std::uint64_t> current = map.load(key);
          if (!current) {
            if (map.try_emplace(key, std::uint64_t{1})) break;
            continue;
          }
          check_shared_entry(key, *current, "load");
          if (map.compare_and_swap(key, *current, *current + 1)) break;
        }
        ++added;
        break;
      case shared_op::load_and_delete:
        if (const std::optional<std::uint64_t> value = map.load_and_delete(key)) {
          check_shared_entry(key, *value, "load_and_delete");
          removed += *value;
        }
        break;
      case shared_op::compare_and_delete:
        if (const std::optional<std::uint64_t> value = map.load(key)) {
          if (map.compare_and_delete(key, *value)) removed += *value;
        }
        break;
      case shared_op::exchange_zero:
        if (const std::optional<std::uint64_t> previous = map.exchange(key, 0)) {
          check_shared_entry(key, *previous, "exchange");
          removed += *previous;
        }
        break;
      case shared_op::load_or_store_zero: {
        const std::pair<std::uint64_t, bool> got =
            alt ? map.load_or_store_with(key, [] { return std::uint64_t{0}; })
                : map.load_or_store(key, 0);
        check_shared_entry(key, got.first, "load_or_store");
        SYNCMAP_FUZZ_CHECK(got.second || got.first == 0,
                           "load_or_store stored " + std::to_string(got.first));
        break;
      }
      case shared_op::try_emplace_zero:
        map.try_emplace(key, std::uint64_t{0});
        break;
      case shared_op::erase_if_odd: {
        // The value the last call saw is the one removed (a later call would be a retry).
        std::uint64_t last = 0;
        const bool erased = map.erase_if(key, [&](const std::uint64_t& v) {
          last = v;
          return v % 2 == 1;
        });
        if (erased) {
          SYNCMAP_FUZZ_CHECK(last % 2 == 1, "erase_if removed an even value");
          removed += last;
        }
        break;
      }
      case shared_op::read: {
        if (const std::optional<std::uint64_t> value = map.load(key)) {
          check_shared_entry(key, *value, "load");
        }
        (void)map.contains(key);
        map.visit(key, [&](const std::uint64_t& v) { check_shared_entry(key, v, "visit"); });
        break;
      }
      case shared_op::for_each: {
        key_set<K> seen;
        std::size_t calls = 0;
        const std::size_t visited = map.for_each([&](const K& k, const std::uint64_t& v) {
          ++calls;
          SYNCMAP_FUZZ_CHECK(seen.insert(k),
                             "for_each produced a key twice, or a key never stored");
          check_shared_entry(k, v, "for_each");
        });
        SYNCMAP_FUZZ_CHECK(visited == calls && calls <= shared_keys,
                           "for_each returned " + std::to_string(visited) + " after " +
                               std::to_string(calls) + " calls");
        break;
      }
      case shared_op::snapshot: {
        key_set<K> seen;
        for (const auto& [k, v] : map.snapshot()) {
          SYNCMAP_FUZZ_CHECK(seen.insert(k), "snapshot holds a key twice, or a key never stored");
          check_shared_entry(k, v, "snapshot");
        }
        break;
      }
      case shared_op::erase_if_all_none: {
        const std::size_t erased = map.erase_if([&](const K& k, const std::uint64_t& v) {
          check_shared_entry(k, v, "erase_if(pred)");
          return false;
        });
        SYNCMAP_FUZZ_CHECK(erased == 0, "erase_if(pred) erased " + std::to_string(erased) +
                                            " entries its predicate kept");
        break;
      }
      case shared_op::move_value:
        if (const std::optional<std::uint64_t> previous = map.exchange(key, 0)) {
          removed += *previous;
          const std::uint64_t moved = *previous;
          map.upsert(
              key, [moved](std::uint64_t& v) { v += moved; }, moved);
          added += moved;
        }
        break;
      case shared_op::count:
        break;
    }
  }

  const char* target_;
  std::size_t shards_;
  int rounds_;
  std::array<program, 2> programs_;
  std::uint64_t bound_ = 0;
};

template <class Map>
void run_threads_program(const char* target, const std::uint8_t* data, std::size_t size) {
  const std::uint8_t config = size > 0 ? data[0] : 0;
  const std::uint8_t* program = size > 0 ? data + 1 : data;
  const std::size_t program_size = size > 0 ? size - 1 : 0;
  const int rounds = 1 << ((config >> 3) & 3);
  threads_driver<Map> driver(target, shard_count_from(config), rounds, program, program_size);
  driver.run();
}

}  // namespace syncmap_fuzz

#endif  // SYNCMAP_TESTS_FUZZ_THREADS_DRIVER_HPP
