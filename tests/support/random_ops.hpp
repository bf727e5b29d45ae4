// syncmap tests: seeded random operation sequences, checked against std::unordered_map.
// SPDX-License-Identifier: MIT
//
// The single-threaded differential test (Go's TestMapMatchesRWMutex): a seeded generator
// draws a sequence of operations covering every API.md operation over a small key space, and
// the driver applies each one to the map under test and to a std::unordered_map model,
// comparing the results one by one; at the end it compares the whole contents through
// snapshot(), for_each() and a load() of every key. A small key space (8 keys by default)
// makes overwrites, deletes of present keys, successful compare-and-swaps and re-inserts
// after deletes common instead of rare.
//
// Results are compared through their printed form (show()), which is also what a failure
// reports: the seed, the failing operation's index, every operation before it, and both
// results. Re-running one seed replays the exact sequence: SYNCMAP_RANDOM_SEED=<seed> makes
// run_random_sequences() run only that seed.
//
// Generic over the map (any type with the API.md surface; reserve() is used when present),
// the key type (through key_maker: std::uint64_t, std::string, colliding_key, or any type a
// test specializes it for) and the value type (through value_codec: integers, counted,
// throwing_value). When the map's hasher and key_equal are both transparent and the key
// type has a lookup form (std::string_view for std::string), every operation taking
// `const K&` is called with either form at random.
//
// Callbacks given to update()/upsert() are pure functions of the value: rcu_map may run them
// more than once, and the results must not depend on how often they ran.
#ifndef SYNCMAP_TESTS_SUPPORT_RANDOM_OPS_HPP
#define SYNCMAP_TESTS_SUPPORT_RANDOM_OPS_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "counted.hpp"
#include "stress.hpp"
#include "throwing.hpp"

namespace syncmap_test {

// ---- printing results ----

template <class T>
std::string show(const T& value);

template <class T>
std::string show(const std::optional<T>& value) {
  return value ? show(*value) : std::string("none");
}

template <class A, class B>
std::string show(const std::pair<A, B>& value) {
  return "(" + show(value.first) + ", " + show(value.second) + ")";
}

template <class T>
std::string show(const T& value) {
  if constexpr (std::is_same_v<T, bool>) {
    return value ? "true" : "false";
  } else if constexpr (std::is_arithmetic_v<T>) {
    return std::to_string(value);
  } else if constexpr (std::is_same_v<T, std::string>) {
    return "\"" + value + "\"";
  } else {
    return describe(value);  // found by ADL: counted, throwing_value, colliding_key, ...
  }
}

// ---- key and value makers ----

// key_maker<K>::make(i) is the i-th key; index(key) recovers i. A specialization may add
// `template <class F> static void with_lookup(std::size_t i, F f)`, calling f with the
// heterogeneous form of the i-th key, and then declares that form as `lookup_type`.
template <class Key>
struct key_maker;

template <>
struct key_maker<std::uint64_t> {
  // Spread out, so consecutive indices are not consecutive integers.
  static std::uint64_t make(std::size_t i) { return i * 1000003u + 17u; }
  static std::size_t index(std::uint64_t key) {
    return static_cast<std::size_t>((key - 17u) / 1000003u);
  }
};

template <>
struct key_maker<std::string> {
  // Odd indices get keys longer than any small-string buffer, so both the inline and the
  // heap representation of std::string are stored, moved and destroyed.
  static std::string make(std::size_t i) {
    return (i % 2 == 1 ? std::string("a-key-long-enough-to-live-on-the-heap-") : std::string("k")) +
           std::to_string(i);
  }
  static std::size_t index(const std::string& key) {
    const std::size_t digits = key.find_last_not_of("0123456789") + 1;
    return static_cast<std::size_t>(std::stoull(key.substr(digits)));
  }
  using lookup_type = std::string_view;
  template <class F>
  static void with_lookup(std::size_t i, F f) {
    const std::string key = make(i);
    f(std::string_view(key));
  }
};

template <>
struct key_maker<colliding_key> {
  static colliding_key make(std::size_t i) { return colliding_key(i); }
  static std::size_t index(const colliding_key& key) { return static_cast<std::size_t>(key.id); }
};

// A transparent hash for std::string keys: std::string, std::string_view and const char* all
// hash alike, so lookups by std::string_view need no temporary std::string. Pair it with
// std::equal_to<> (also transparent).
struct transparent_string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view key) const noexcept {
    return std::hash<std::string_view>()(key);
  }
};

// value_codec<V> maps between a small number and a value.
template <class T, class = void>
struct value_codec {
  static T make(std::uint64_t n) { return T(n); }
  static std::uint64_t number(const T& value) { return value.value(); }
};

template <class T>
struct value_codec<T, std::enable_if_t<std::is_arithmetic_v<T>>> {
  static T make(std::uint64_t n) { return static_cast<T>(n); }
  static std::uint64_t number(const T& value) { return static_cast<std::uint64_t>(value); }
};

// ---- detection of optional operations ----

template <class Map, class = void>
struct has_reserve : std::false_type {};
template <class Map>
struct has_reserve<Map, std::void_t<decltype(std::declval<Map&>().reserve(std::size_t{}))>>
    : std::true_type {};

template <class T, class = void>
struct has_is_transparent : std::false_type {};
template <class T>
struct has_is_transparent<T, std::void_t<typename T::is_transparent>> : std::true_type {};

template <class Maker, class = void>
struct has_lookup_form : std::false_type {};
template <class Maker>
struct has_lookup_form<Maker, std::void_t<typename Maker::lookup_type>> : std::true_type {};

// Whether random_ops calls Map's `const K&` operations with the key's heterogeneous form.
template <class Map>
inline constexpr bool uses_heterogeneous_lookup_v =
    has_is_transparent<typename Map::hasher>::value&& has_is_transparent<
        typename Map::key_equal>::value&& has_lookup_form<key_maker<typename Map::key_type>>::value;

// ---- the driver ----

struct random_ops_options {
  std::size_t operations = 64;    // per sequence
  std::size_t key_space = 8;      // keys 0..key_space-1
  std::uint64_t value_space = 4;  // values 0..value_space-1
};

// splitmix64: tiny, and its output for a seed is the same on every platform (unlike the
// standard distributions), so a printed seed replays anywhere.
class seeded_random {
 public:
  explicit seeded_random(std::uint64_t seed) noexcept : state_(seed) {}
  std::uint64_t next() noexcept {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform enough in [0, bound) for test purposes.
  std::uint64_t below(std::uint64_t bound) noexcept { return next() % bound; }
  bool chance(std::uint64_t one_in) noexcept { return below(one_in) == 0; }

 private:
  std::uint64_t state_;
};

template <class Map>
class random_ops_runner {
 public:
  using key_type = typename Map::key_type;
  using mapped_type = typename Map::mapped_type;
  using keys = key_maker<key_type>;
  using values = value_codec<mapped_type>;
  using model_type =
      std::unordered_map<key_type, mapped_type, typename Map::hasher, typename Map::key_equal>;

  enum class op {
    load,
    contains,
    store,
    load_or_store,
    load_or_store_with,
    try_emplace,
    load_and_delete,
    erase,
    exchange,
    compare_and_swap,
    compare_and_delete,
    visit,
    update,
    upsert,
    erase_if_key,
    erase_if_all,
    for_each_all,
    for_each_stop,
    snapshot,
    size,
    clear,
    copy,
    move_and_swap,
    reserve,
  };

  random_ops_runner(std::uint64_t seed, const random_ops_options& options, Map& map)
      : seed_(seed), options_(options), random_(seed), map_(map) {}

  // Runs the sequence; returns "" when every result and the final contents matched.
  template <class MakeMap>
  std::string run(MakeMap make_map) {
    for (index_ = 0; index_ < options_.operations; ++index_) {
      step(make_map);
      if (!failure_.empty()) return failure_;
    }
    check_contents("final contents");
    return failure_;
  }

 private:
  static constexpr op weighted_ops[] = {
      op::load,
      op::load,
      op::contains,
      op::store,
      op::store,
      op::load_or_store,
      op::load_or_store_with,
      op::try_emplace,
      op::load_and_delete,
      op::erase,
      op::erase,
      op::exchange,
      op::compare_and_swap,
      op::compare_and_swap,
      op::compare_and_delete,
      op::visit,
      op::update,
      op::upsert,
      op::upsert,
      op::erase_if_key,
      op::erase_if_all,
      op::for_each_all,
      op::for_each_stop,
      op::snapshot,
      op::size,
  };

  op pick() {
    // Whole-map mutations are rare so the map gets a chance to fill up.
    if (random_.chance(97)) return op::clear;
    if (random_.chance(89)) return op::copy;
    if (random_.chance(83)) return op::move_and_swap;
    if (random_.chance(79)) return op::reserve;
    return weighted_ops[random_.below(std::size(weighted_ops))];
  }

  mapped_type value(std::uint64_t n) const { return values::make(n); }
  std::uint64_t random_value() { return random_.below(options_.value_space); }

  // Calls f(key) with the i-th key, in its heterogeneous form half of the time when the map
  // supports it.
  template <class F>
  void with_key(std::size_t i, F f) {
    if constexpr (uses_heterogeneous_lookup_v<Map>) {
      if (random_.chance(2)) {
        keys::with_lookup(i, f);
        return;
      }
    }
    f(keys::make(i));
  }

  std::optional<mapped_type> model_load(std::size_t i) const {
    const auto it = model_.find(keys::make(i));
    if (it == model_.end()) return std::nullopt;
    return it->second;
  }

  void expect(const std::string& call, const std::string& actual, const std::string& expected) {
    log_.push_back(call + " -> " + actual);
    if (actual != expected && failure_.empty()) {
      failure_ = "seed " + std::to_string(seed_) + ", operation #" + std::to_string(index_) + ": " +
                 call + "\n  map returned   " + actual + "\n  model expected " + expected + "\n" +
                 history() + "replay: SYNCMAP_RANDOM_SEED=" + std::to_string(seed_);
    }
  }

  std::string history() const {
    std::string text = "  operations so far (index: call -> map's result):\n";
    for (std::size_t i = 0; i < log_.size(); ++i) {
      text += "    " + std::to_string(i) + ": " + log_[i] + "\n";
    }
    return text;
  }

  template <class MakeMap>
  void step(MakeMap& make_map) {
    const std::size_t k = random_.below(options_.key_space);
    const key_type key = keys::make(k);
    const std::uint64_t v = random_value();
    const std::string key_text = show(key);

    switch (pick()) {
      case op::load: {
        std::optional<mapped_type> actual;
        with_key(k, [&](const auto& lookup) { actual = map_.load(lookup); });
        expect("load(" + key_text + ")", show(actual), show(model_load(k)));
        break;
      }
      case op::contains: {
        bool actual = false;
        with_key(k, [&](const auto& lookup) { actual = map_.contains(lookup); });
        expect("contains(" + key_text + ")", show(actual), show(model_.count(key) == 1));
        break;
      }
      case op::store: {
        const bool actual = map_.store(key, value(v));
        const bool expected = model_.insert_or_assign(key, value(v)).second;
        expect("store(" + key_text + ", " + std::to_string(v) + ")", show(actual), show(expected));
        break;
      }
      case op::load_or_store: {
        const auto actual = map_.load_or_store(key, value(v));
        const auto [it, inserted] = model_.try_emplace(key, value(v));
        expect("load_or_store(" + key_text + ", " + std::to_string(v) + ")", show(actual),
               show(std::make_pair(it->second, !inserted)));
        break;
      }
      case op::load_or_store_with: {
        int makes = 0;
        const auto result = map_.load_or_store_with(key, [&] {
          ++makes;
          return value(v);
        });
        const auto [it, inserted] = model_.try_emplace(key, value(v));
        expect("load_or_store_with(" + key_text + ", make -> " + std::to_string(v) + ")",
               show(result) + " make() ran " + std::to_string(makes) + "x",
               show(std::make_pair(it->second, !inserted)) + " make() ran " +
                   (inserted ? "1x" : "0x"));
        break;
      }
      case op::try_emplace: {
        const bool actual = map_.try_emplace(key, v);
        const bool expected = model_.try_emplace(key, value(v)).second;
        expect("try_emplace(" + key_text + ", " + std::to_string(v) + ")", show(actual),
               show(expected));
        break;
      }
      case op::load_and_delete: {
        std::optional<mapped_type> actual;
        with_key(k, [&](const auto& lookup) { actual = map_.load_and_delete(lookup); });
        const auto expected = model_load(k);
        model_.erase(key);
        expect("load_and_delete(" + key_text + ")", show(actual), show(expected));
        break;
      }
      case op::erase: {
        std::size_t actual = 0;
        with_key(k, [&](const auto& lookup) { actual = map_.erase(lookup); });
        const std::size_t expected = model_.erase(key);
        expect("erase(" + key_text + ")", show(actual), show(expected));
        break;
      }
      case op::exchange: {
        const auto actual = map_.exchange(key, value(v));
        const auto expected = model_load(k);
        model_.insert_or_assign(key, value(v));
        expect("exchange(" + key_text + ", " + std::to_string(v) + ")", show(actual),
               show(expected));
        break;
      }
      case op::compare_and_swap: {
        const std::uint64_t desired = random_value();
        bool actual = false;
        with_key(k, [&](const auto& lookup) {
          actual = map_.compare_and_swap(lookup, value(v), value(desired));
        });
        const auto it = model_.find(key);
        const bool expected = it != model_.end() && it->second == value(v);
        if (expected) it->second = value(desired);
        expect("compare_and_swap(" + key_text + ", " + std::to_string(v) + ", " +
                   std::to_string(desired) + ")",
               show(actual), show(expected));
        break;
      }
      case op::compare_and_delete: {
        bool actual = false;
        with_key(k,
                 [&](const auto& lookup) { actual = map_.compare_and_delete(lookup, value(v)); });
        const auto it = model_.find(key);
        const bool expected = it != model_.end() && it->second == value(v);
        if (expected) model_.erase(it);
        expect("compare_and_delete(" + key_text + ", " + std::to_string(v) + ")", show(actual),
               show(expected));
        break;
      }
      case op::visit: {
        bool found = false;
        std::optional<std::uint64_t> seen;
        with_key(k, [&](const auto& lookup) {
          found =
              map_.visit(lookup, [&](const mapped_type& stored) { seen = values::number(stored); });
        });
        const auto expected = model_load(k);
        std::optional<std::uint64_t> expected_seen;
        if (expected) expected_seen = values::number(*expected);
        expect("visit(" + key_text + ")", show(found) + " saw " + show(seen),
               show(expected.has_value()) + " saw " + show(expected_seen));
        break;
      }
      case op::update: {
        const std::uint64_t delta = 1 + random_.below(options_.value_space - 1);
        const std::uint64_t space = options_.value_space;
        const auto bump = [delta, space](mapped_type& stored) {
          stored = values::make((values::number(stored) + delta) % space);
        };
        bool actual = false;
        with_key(k, [&](const auto& lookup) { actual = map_.update(lookup, bump); });
        const auto it = model_.find(key);
        if (it != model_.end()) bump(it->second);
        expect("update(" + key_text + ", +" + std::to_string(delta) + ")", show(actual),
               show(it != model_.end()));
        break;
      }
      case op::upsert: {
        const std::uint64_t space = options_.value_space;
        const auto bump = [space](mapped_type& stored) {
          stored = values::make((values::number(stored) + 1) % space);
        };
        const bool actual = map_.upsert(key, bump, v);
        const auto it = model_.find(key);
        if (it != model_.end()) {
          bump(it->second);
        } else {
          model_.try_emplace(key, value(v));
        }
        expect("upsert(" + key_text + ", +1, " + std::to_string(v) + ")", show(actual),
               show(it == model_.end()));
        break;
      }
      case op::erase_if_key: {
        bool actual = false;
        with_key(k, [&](const auto& lookup) {
          actual = map_.erase_if(
              lookup, [v](const mapped_type& stored) { return values::number(stored) == v; });
        });
        const auto it = model_.find(key);
        const bool expected = it != model_.end() && values::number(it->second) == v;
        if (expected) model_.erase(it);
        expect("erase_if(" + key_text + ", value == " + std::to_string(v) + ")", show(actual),
               show(expected));
        break;
      }
      case op::erase_if_all: {
        const std::uint64_t modulus = 2 + random_.below(3);
        const auto pred = [modulus, v](const key_type& stored_key, const mapped_type& stored) {
          return (keys::index(stored_key) + values::number(stored)) % modulus == v % modulus;
        };
        const std::size_t actual = map_.erase_if(pred);
        std::size_t expected = 0;
        for (auto it = model_.begin(); it != model_.end();) {
          if (pred(it->first, it->second)) {
            it = model_.erase(it);
            ++expected;
          } else {
            ++it;
          }
        }
        expect("erase_if((index + value) % " + std::to_string(modulus) +
                   " == " + std::to_string(v % modulus) + ")",
               show(actual), show(expected));
        break;
      }
      case op::for_each_all: {
        std::vector<std::pair<key_type, mapped_type>> seen;
        const std::size_t calls =
            map_.for_each([&](const key_type& stored_key, const mapped_type& stored) {
              seen.emplace_back(stored_key, stored);
            });
        expect("for_each() call count", show(calls), show(model_.size()));
        compare_entries("for_each()", seen);
        break;
      }
      case op::for_each_stop: {
        const std::size_t stop_after = 1 + random_.below(model_.size() + 1);
        std::vector<std::pair<key_type, mapped_type>> seen;
        const std::size_t calls =
            map_.for_each([&](const key_type& stored_key, const mapped_type& stored) {
              seen.emplace_back(stored_key, stored);
              return seen.size() < stop_after;
            });
        const std::size_t expected_calls = std::min(stop_after, model_.size());
        expect("for_each(stop after " + std::to_string(stop_after) + " calls)",
               show(calls) + " calls, " + show(seen.size()) + " seen",
               show(expected_calls) + " calls, " + show(expected_calls) + " seen");
        check_subset("for_each(stop early)", seen);
        break;
      }
      case op::snapshot:
        compare_entries("snapshot()", map_.snapshot());
        break;
      case op::size:
        expect("size(), empty()", show(map_.size()) + ", " + show(map_.empty()),
               show(model_.size()) + ", " + show(model_.empty()));
        break;
      case op::clear:
        map_.clear();
        model_.clear();
        expect("clear(); size()", show(map_.size()), show(std::size_t{0}));
        break;
      case op::copy: {
        // Copy construction and copy assignment both give an equal, independent map.
        Map copy(map_);
        Map assigned = make_map();
        assigned.store(keys::make(options_.key_space), value(0));  // replaced by the assignment
        assigned = map_;
        expect("Map(map) == map, (other = map) == map",
               show(copy == map_) + ", " + show(assigned == map_), "true, true");
        copy.store(keys::make(options_.key_space + 1), value(1));  // a key map_ never holds
        expect("changed copy == map", show(copy == map_), "false");
        compare_entries("copy's original map", map_.snapshot());
        break;
      }
      case op::move_and_swap: {
        // Round trips through move construction, move assignment, member and free swap.
        Map moved(std::move(map_));
        map_ = make_map();
        map_.store(keys::make(options_.key_space), value(0));  // replaced by the move
        map_ = std::move(moved);
        Map other = make_map();
        other.swap(map_);
        expect("after other.swap(map): map.size(), other.size()",
               show(map_.size()) + ", " + show(other.size()),
               show(std::size_t{0}) + ", " + show(model_.size()));
        using std::swap;
        swap(map_, other);
        compare_entries("move/swap round trip", map_.snapshot());
        break;
      }
      case op::reserve:
        if constexpr (has_reserve<Map>::value) {
          const std::size_t n = model_.size() + random_.below(64);
          map_.reserve(n);
          log_.push_back("reserve(" + std::to_string(n) + ")");
        }
        break;
    }
  }

  // `entries` must be exactly the model's contents: no key twice, none missing, none extra,
  // every value equal.
  template <class Entries>
  void compare_entries(const std::string& what, const Entries& entries) {
    model_type seen;
    std::string problems;
    for (const auto& [stored_key, stored] : entries) {
      if (!seen.try_emplace(stored_key, stored).second)
        problems += " duplicate " + show(stored_key);
    }
    for (const auto& [stored_key, stored] : seen) {
      const auto it = model_.find(stored_key);
      if (it == model_.end()) {
        problems += " extra " + show(stored_key);
      } else if (!(it->second == stored)) {
        problems += " " + show(stored_key) + " holds " + show(stored) + " not " + show(it->second);
      }
    }
    for (const auto& [model_key, model_value] : model_) {
      if (seen.count(model_key) == 0) problems += " missing " + show(model_key);
    }
    expect(what + " vs model", problems.empty() ? "same" : "differs:" + problems, "same");
  }

  // `entries` must be distinct entries of the model.
  template <class Entries>
  void check_subset(const std::string& what, const Entries& entries) {
    model_type seen;
    std::string problems;
    for (const auto& [stored_key, stored] : entries) {
      if (!seen.try_emplace(stored_key, stored).second)
        problems += " duplicate " + show(stored_key);
      const auto it = model_.find(stored_key);
      if (it == model_.end() || !(it->second == stored)) {
        problems += " not in model " + show(stored_key) + "=" + show(stored);
      }
    }
    expect(what + " vs model", problems.empty() ? "subset" : "differs:" + problems, "subset");
  }

  void check_contents(const std::string& what) {
    compare_entries(what + ": snapshot()", map_.snapshot());
    std::vector<std::pair<key_type, mapped_type>> seen;
    const std::size_t calls =
        map_.for_each([&](const key_type& stored_key, const mapped_type& stored) {
          seen.emplace_back(stored_key, stored);
        });
    compare_entries(what + ": for_each()", seen);
    expect(what + ": for_each() calls, size(), empty()",
           show(calls) + ", " + show(map_.size()) + ", " + show(map_.empty()),
           show(model_.size()) + ", " + show(model_.size()) + ", " + show(model_.empty()));
    for (std::size_t i = 0; i < options_.key_space; ++i) {
      expect(what + ": load(" + show(keys::make(i)) + ")", show(map_.load(keys::make(i))),
             show(model_load(i)));
    }
  }

  std::uint64_t seed_;
  random_ops_options options_;
  seeded_random random_;
  Map& map_;
  model_type model_;
  std::size_t index_ = 0;
  std::vector<std::string> log_;
  std::string failure_;
};

// Runs one sequence on a map from make_map(); "" on success, else the failure report.
template <class Map, class MakeMap>
std::string run_random_ops(std::uint64_t seed, const random_ops_options& options,
                           MakeMap make_map) {
  Map map = make_map();
  return random_ops_runner<Map>(seed, options, map).run(make_map);
}

// The seeds to run: first_seed .. first_seed+count-1, or only SYNCMAP_RANDOM_SEED if set.
// Returns the first failure report, or "" when all passed.
template <class Map, class MakeMap>
std::string run_random_sequences(std::uint64_t first_seed, std::size_t count,
                                 const random_ops_options& options, MakeMap make_map) {
  if (const char* replay = std::getenv("SYNCMAP_RANDOM_SEED")) {
    return run_random_ops<Map>(std::strtoull(replay, nullptr, 10), options, make_map);
  }
  for (std::size_t i = 0; i < count; ++i) {
    std::string failure = run_random_ops<Map>(first_seed + i, options, make_map);
    if (!failure.empty()) return failure;
  }
  return {};
}

template <class Map>
std::string run_random_sequences(std::uint64_t first_seed, std::size_t count,
                                 const random_ops_options& options = {}) {
  return run_random_sequences<Map>(first_seed, count, options, [] { return Map(); });
}

}  // namespace syncmap_test

#endif  // SYNCMAP_TESTS_SUPPORT_RANDOM_OPS_HPP
