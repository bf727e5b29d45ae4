// syncmap fuzz targets: the sequential differential driver (targets *_ops).
// SPDX-License-Identifier: MIT
//
// Input format (every byte string is a program; make_seeds.py writes examples):
//   byte 0        configuration: bit 0 is handed to the target (which key/value types to
//                 use), bits 1-2 pick the shard count 1, 2, 4 or 8 (sharded_map only)
//   then, until the input ends, one operation each:
//     op byte     bits 0-4 the operation (model_op), bits 5-7 the flags of key_ops.hpp
//     operands    a key byte (bits 0-5 the key index 0..63, bits 6-7 how the key is passed:
//                 key_form) and value/parameter bytes as listed at model_op
//
// The driver keeps two maps, A and B, each with its std::unordered_map model, and one of them
// "primary": single-key and whole-map operations act on the primary one; copy, move, swap
// and comparison operations involve both. After every operation that replaces a whole map,
// the maps it touched are compared with their models through size(), empty() and
// snapshot(); full_check and the end of the program compare both in full (adding for_each
// and a load of every key in the key space).
#ifndef SYNCMAP_TESTS_FUZZ_MODEL_DRIVER_HPP
#define SYNCMAP_TESTS_FUZZ_MODEL_DRIVER_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <syncmap/detail/epoch.hpp>  // retire_list::hard_limit, the garbage bound checked

#include "fuzz_support.hpp"
#include "key_ops.hpp"

namespace syncmap_fuzz {

// The operation numbers 0..14 are key_op's; the rest act on whole maps. The order is the
// encoding (make_seeds.py writes these numbers): append, never reorder.
enum class model_op : std::uint8_t {
  // 0..14: key_op
  erase_if_all = static_cast<std::uint8_t>(key_op::count),  // parameter, throw-at
  for_each,         // stop-at (0: never; alt: a void callback; raise: throw at that call)
  snapshot,         //
  size_empty,       //
  clear,            //
  copy_construct,   // B = copy of A (alt: the allocator-extended copy constructor)
  copy_assign,      // B = A (alt: A = A)
  move_construct,   // B = moved-from A
  move_assign,      // B = std::move(A) (alt: A = std::move(A))
  swap,             // member swap (alt: the free swap)
  flip,             // make the other map primary
  equal,            // A == B and A != B against the models
  reserve,          // amount (hint: beyond max_size; alt, sharded: bad shard counts); rcu
                    // also checks the bound on pending_reclamation()
  range_construct,  // B from a range of A's pairs plus duplicates (alt: an initializer list
                    // of three decoded pairs: key value key value key value)
  load_burst,       // key count: count+1 loads of one key (rcu: counts misses, promotes)
  store_run,        // key count value: store count consecutive keys
  full_check,       //
  count
};
static_assert(static_cast<int>(model_op::count) == 32, "five bits of the operation byte");

inline constexpr const char* whole_op_names[] = {
    "erase_if(pred)", "for_each",        "snapshot",    "size/empty", "clear",     "copy_construct",
    "copy_assign",    "move_construct",  "move_assign", "swap",       "flip",      "operator==",
    "reserve",        "range_construct", "load_burst",  "store_run",  "full_check"};
static_assert(sizeof(whole_op_names) / sizeof(whole_op_names[0]) ==
              static_cast<std::size_t>(model_op::count) - static_cast<std::size_t>(key_op::count));

inline const char* op_name(std::uint8_t op) {
  const auto keyed = static_cast<std::uint8_t>(key_op::count);
  return op < keyed ? key_op_names[op] : whole_op_names[op - keyed];
}

// erase_if(pred)'s predicate, a pure function of the entry and a decoded parameter.
template <class K, class T>
bool erase_all_predicate(const K& key, const T& value, std::uint8_t parameter) {
  return (key_codec<K>::code(key) + value_codec<T>::code(value) + parameter) % 3 != 0;
}

// How much check_contents() compares: quick is size(), empty() and snapshot(); full adds
// for_each() and a load() and contains() of every key in the key space.
enum class check_depth { quick, full };

template <class Map>
void check_contents(const Map& map, const model_of<Map>& model, const char* which,
                    check_depth depth = check_depth::full) {
  using K = typename Map::key_type;
  using T = typename Map::mapped_type;
  const auto label = [which] { return std::string(which) + ": "; };  // only when failing
  SYNCMAP_FUZZ_CHECK(map.size() == model.size(), label() + "size() " + std::to_string(map.size()) +
                                                     ", model " + std::to_string(model.size()));
  SYNCMAP_FUZZ_CHECK(map.empty() == model.empty(), label() + "empty() disagrees");

  const auto check_entry = [&](key_set<K>& seen, const K& key, const T& value, const char* how) {
    SYNCMAP_FUZZ_CHECK(seen.insert(key), label() + how + " produced key " +
                                             key_codec<K>::show(key) +
                                             " twice, or a key never stored");
    const auto it = model.find(key);
    SYNCMAP_FUZZ_CHECK(it != model.end(), label() + how + " produced key " +
                                              key_codec<K>::show(key) + ", not in the model");
    SYNCMAP_FUZZ_CHECK(it->second == value, label() + how + " produced " + key_codec<K>::show(key) +
                                                " = " + value_codec<T>::show(value) + ", model " +
                                                value_codec<T>::show(it->second));
  };

  key_set<K> seen;
  for (const auto& [key, value] : map.snapshot())
    check_entry(seen, key, value, "snapshot()");
  SYNCMAP_FUZZ_CHECK(seen.size() == model.size(),
                     label() + "snapshot() has " + std::to_string(seen.size()) + " entries");
  if (depth == check_depth::quick) return;

  seen.clear();
  const std::size_t visited = map.for_each(
      [&](const K& key, const T& value) { check_entry(seen, key, value, "for_each"); });
  SYNCMAP_FUZZ_CHECK(visited == model.size() && seen.size() == model.size(),
                     label() + "for_each visited " + std::to_string(visited));

  for (int index = 0; index < key_space; ++index) {
    const K& key = key_codec<K>::make(index);
    const auto it = model.find(key);
    const std::optional<T> expected =
        it == model.end() ? std::nullopt : std::optional<T>(it->second);
    const std::optional<T> got = map.load(key);
    SYNCMAP_FUZZ_CHECK(got == expected, label() + "load(" + key_codec<K>::show(key) + ") gave " +
                                            show(got) + ", model " + show(expected));
    SYNCMAP_FUZZ_CHECK(map.contains(key) == expected.has_value(),
                       label() + "contains(" + key_codec<K>::show(key) + ") disagrees");
  }
}

template <class Map>
class model_driver {
  using K = typename Map::key_type;
  using T = typename Map::mapped_type;
  using model_type = model_of<Map>;

 public:
  explicit model_driver(std::size_t shards)
      : shards_(shards), maps_{make_map<Map>(shards), make_map<Map>(shards)} {}

  void run(byte_reader& in) {
    for (std::size_t index = 0; !in.at_end(); ++index) {
      const std::uint8_t op_byte = in.next();
      const std::uint8_t op = op_byte & 31;
      const std::uint8_t flags = op_byte & 0xe0;
      if (op < static_cast<std::uint8_t>(key_op::count)) {
        const key_byte k = decode_key(in.next());
        begin_op(op_name(op), index, k.index);
        run_key_op(map(), model(), static_cast<key_op>(op), flags, k, in);
      } else {
        begin_op(op_name(op), index, -1);
        run_whole_op(static_cast<model_op>(op), flags, in);
      }
    }
    begin_op("final check", 0, -1);
    check_both(check_depth::full);
  }

 private:
  Map& map() { return *maps_[primary_]; }
  model_type& model() { return models_[primary_]; }
  Map& other_map() { return *maps_[1 - primary_]; }
  model_type& other_model() { return models_[1 - primary_]; }

  void check_both(check_depth depth = check_depth::quick) {
    check_contents(map(), model(), "primary map", depth);
    check_contents(other_map(), other_model(), "other map", depth);
  }
  void check_other() {
    check_contents(other_map(), other_model(), "other map", check_depth::quick);
  }

  template <class It>
  Map from_range(It first, It last) {
    if constexpr (is_sharded_v<Map>) {
      return Map(first, last, shards_);
    } else {
      return Map(first, last);
    }
  }

  Map from_list(std::initializer_list<typename Map::value_type> init) {
    if constexpr (is_sharded_v<Map>) {
      return Map(init, shards_);
    } else {
      return Map(init);
    }
  }

  void run_whole_op(model_op op, std::uint8_t flags, byte_reader& in) {
    const bool alt = (flags & flag_alt) != 0;
    const bool raise = (flags & flag_raise) != 0;
    const bool hint = (flags & flag_hint) != 0;
    switch (op) {
      case model_op::erase_if_all:
        erase_if_all(in.next(), raise ? in.next() % 8 + 1 : 0);
        break;
      case model_op::for_each:
        for_each(in.next() & 63, alt, raise);
        break;
      case model_op::snapshot: {
        key_set<K> seen;
        const auto entries = map().snapshot();
        for (const auto& [key, value] : entries) {
          SYNCMAP_FUZZ_CHECK(seen.insert(key), "snapshot has a key twice, or a key never stored");
          const auto it = model().find(key);
          SYNCMAP_FUZZ_CHECK(it != model().end() && it->second == value,
                             "snapshot entry " + key_codec<K>::show(key) + " disagrees");
        }
        SYNCMAP_FUZZ_CHECK(entries.size() == model().size(),
                           "snapshot has " + std::to_string(entries.size()) + " entries");
        break;
      }
      case model_op::size_empty:
        SYNCMAP_FUZZ_CHECK(
            map().size() == model().size(),
            "size() " + std::to_string(map().size()) + ", model " + std::to_string(model().size()));
        SYNCMAP_FUZZ_CHECK(map().empty() == model().empty(), "empty() disagrees");
        break;
      case model_op::clear:
        map().clear();
        model().clear();
        SYNCMAP_FUZZ_CHECK(map().empty() && map().size() == 0, "not empty after clear()");
        break;
      case model_op::copy_construct:
        if (alt) {
          maps_[1 - primary_].emplace(map(), map().get_allocator());
        } else {
          maps_[1 - primary_].emplace(map());
        }
        other_model() = model();
        check_other();
        break;
      case model_op::copy_assign:
        if (alt) {
          Map& self = map();
          map() = self;
        } else {
          other_map() = map();
          other_model() = model();
        }
        check_both();
        break;
      case model_op::move_construct:
        maps_[1 - primary_].emplace(std::move(map()));
        other_model() = std::move(model());
        model().clear();
        check_both();  // the moved-from map is empty and usable
        break;
      case model_op::move_assign:
        if (alt) {
          // Self-move: the map must stay usable and hold either its contents or nothing.
          Map& self = map();
          map() = std::move(self);
          if (map().size() != model().size()) model().clear();
        } else {
          other_map() = std::move(map());
          other_model() = std::move(model());
          model().clear();
        }
        check_both();
        break;
      case model_op::swap:
        if (alt) {
          swap(map(), other_map());  // the free function, found by ADL
        } else {
          map().swap(other_map());
        }
        std::swap(model(), other_model());
        check_both();
        break;
      case model_op::flip:
        primary_ = 1 - primary_;
        break;
      case model_op::equal: {
        const bool equal = model() == other_model();
        SYNCMAP_FUZZ_CHECK((map() == other_map()) == equal,
                           "operator== disagrees with the models (" + std::to_string(equal) + ")");
        SYNCMAP_FUZZ_CHECK((map() != other_map()) == !equal, "operator!= disagrees");
        SYNCMAP_FUZZ_CHECK(map() == map(), "a map differs from itself");
        break;
      }
      case model_op::reserve:
        reserve(in.next(), alt, hint);
        break;
      case model_op::range_construct:
        if (alt) {
          init_list_construct(in);
        } else {
          range_construct(in.next());
        }
        break;
      case model_op::load_burst: {
        const key_byte k = decode_key(in.next());
        const int loads = in.next() % 32 + 1;
        context().key = k.index;
        for (int i = 0; i < loads; ++i)
          run_key_op(map(), model(), key_op::load, 0, k, in);
        break;
      }
      case model_op::store_run: {
        const key_byte first = decode_key(in.next());
        const int stores = in.next() % key_space;
        const std::uint8_t value = in.next();
        for (int i = 0; i < stores; ++i) {
          const int index = (first.index + i) % key_space;
          const K& key = key_codec<K>::make(index);
          const T v = value_codec<T>::make(static_cast<std::uint8_t>(value + i));
          const bool inserted = map().store(key, v);
          SYNCMAP_FUZZ_CHECK(
              inserted == (model().count(key) == 0),
              "store of " + key_codec<K>::show(key) + " said inserted=" + std::to_string(inserted));
          model()[key] = v;
        }
        break;
      }
      case model_op::full_check:
        check_both(check_depth::full);
        break;
      case model_op::count:
        break;
    }
  }

  void erase_if_all(std::uint8_t parameter, int throw_at) {
    int calls = 0;
    const auto pred = [&](const K& key, const T& value) {
      if (++calls == throw_at) throw injected_failure{};
      return erase_all_predicate(key, value, parameter);
    };
    std::size_t erased = 0;
    try {
      erased = map().erase_if(pred);
    } catch (const injected_failure&) {
      // What was done before the throw is kept: the map is the model less some entries the
      // predicate accepts, at most one per call before the throwing one.
      std::size_t removed = 0;
      for (const auto& [key, value] : model()) {
        const std::optional<T> now = map().load(key);
        if (now) {
          SYNCMAP_FUZZ_CHECK(*now == value, "erase_if(pred) threw and changed a value");
        } else {
          SYNCMAP_FUZZ_CHECK(erase_all_predicate(key, value, parameter),
                             "erase_if(pred) threw and removed " + key_codec<K>::show(key) +
                                 ", which the predicate keeps");
          ++removed;
        }
      }
      SYNCMAP_FUZZ_CHECK(removed < static_cast<std::size_t>(throw_at),
                         "erase_if(pred) removed " + std::to_string(removed) + " entries in " +
                             std::to_string(throw_at - 1) + " calls before the throw");
      for (auto it = model().begin(); it != model().end();) {
        it = map().contains(it->first) ? std::next(it) : model().erase(it);
      }
      check_contents(map(), model(), "after a throwing erase_if(pred)");
      return;
    }
    SYNCMAP_FUZZ_CHECK(static_cast<std::size_t>(calls) == model().size(),
                       "erase_if(pred) called its predicate " + std::to_string(calls) +
                           " times on " + std::to_string(model().size()) + " entries");
    std::size_t expected = 0;
    for (auto it = model().begin(); it != model().end();) {
      if (erase_all_predicate(it->first, it->second, parameter)) {
        it = model().erase(it);
        ++expected;
      } else {
        ++it;
      }
    }
    SYNCMAP_FUZZ_CHECK(erased == expected, "erase_if(pred) erased " + std::to_string(erased) +
                                               ", model " + std::to_string(expected));
    check_contents(map(), model(), "after erase_if(pred)", check_depth::quick);
  }

  void for_each(int stop_at, bool void_callback, bool raise) {
    key_set<K> seen;
    std::size_t calls = 0;
    const auto visit = [&](const K& key, const T& value) {
      ++calls;
      SYNCMAP_FUZZ_CHECK(seen.insert(key), "for_each visited a key twice, or a key never stored");
      const auto it = model().find(key);
      SYNCMAP_FUZZ_CHECK(it != model().end() && it->second == value,
                         "for_each visited " + key_codec<K>::show(key) + " = " +
                             value_codec<T>::show(value) + ", which the model lacks");
    };
    const std::size_t size = model().size();
    if (raise) {
      const std::size_t throw_at = stop_at == 0 ? 1 : static_cast<std::size_t>(stop_at);
      bool threw = false;
      try {
        map().for_each([&](const K& key, const T& value) {
          visit(key, value);
          if (calls == throw_at) throw injected_failure{};
        });
      } catch (const injected_failure&) {
        threw = true;
      }
      SYNCMAP_FUZZ_CHECK(threw == (throw_at <= size), "for_each and a throwing callback");
      check_contents(map(), model(), "after a throwing for_each", check_depth::quick);
    } else if (void_callback) {
      const std::size_t visited = map().for_each(visit);
      SYNCMAP_FUZZ_CHECK(visited == size && calls == size && seen.size() == size,
                         "for_each (void) returned " + std::to_string(visited) + " after " +
                             std::to_string(calls) + " calls, model size " + std::to_string(size));
    } else {
      const std::size_t visited = map().for_each([&](const K& key, const T& value) {
        visit(key, value);
        return calls != static_cast<std::size_t>(stop_at);
      });
      const std::size_t expected =
          stop_at == 0 ? size : std::min(size, static_cast<std::size_t>(stop_at));
      SYNCMAP_FUZZ_CHECK(visited == expected && calls == expected,
                         "for_each (stop at " + std::to_string(stop_at) + ") returned " +
                             std::to_string(visited) + " after " + std::to_string(calls) +
                             " calls, model size " + std::to_string(size));
    }
  }

  void reserve(std::uint8_t amount, bool bad_shard_counts, bool beyond_max) {
    if constexpr (is_sharded_v<Map>) {
      if (bad_shard_counts) {
        for (const std::size_t bad : {std::size_t{0}, std::size_t{3}, std::size_t{6},
                                      std::size_t{65537}, std::size_t{131072}}) {
          bool threw = false;
          try {
            Map rejected(bad);
          } catch (const std::invalid_argument&) {
            threw = true;
          }
          SYNCMAP_FUZZ_CHECK(threw, "sharded_map(" + std::to_string(bad) + ") did not throw");
        }
      }
      SYNCMAP_FUZZ_CHECK(map().shard_count() == shards_, "shard_count() changed");
    } else {
      (void)bad_shard_counts;
      // rcu_map.hpp, "Memory": garbage is bounded by retire_list::hard_limit per stripe plus
      // one per thread retiring at that moment; this one thread retires into one stripe.
      SYNCMAP_FUZZ_CHECK(
          map().pending_reclamation() <= syncmap::detail::retire_list::hard_limit + 1,
          "pending_reclamation() " + std::to_string(map().pending_reclamation()));
    }
    if (beyond_max) {
      bool threw = false;
      try {
        map().reserve(map().max_size() + 1);
      } catch (const std::length_error&) {
        threw = true;
      }
      SYNCMAP_FUZZ_CHECK(threw, "reserve(max_size() + 1) did not throw std::length_error");
    } else {
      map().reserve(static_cast<std::size_t>(amount) * 4);
    }
    check_contents(map(), model(), "after reserve", check_depth::quick);
  }

  // B from a range holding A's pairs followed by a duplicate of some of them with other
  // values: the first pair for a key wins.
  void range_construct(std::uint8_t parameter) {
    std::vector<std::pair<K, T>> pairs(model().begin(), model().end());
    const std::size_t originals = pairs.size();
    for (std::size_t i = 0; i < originals; i += 1 + parameter % 4) {
      T changed = pairs[i].second;
      value_codec<T>::bump(changed);
      pairs.emplace_back(pairs[i].first, changed);
    }
    maps_[1 - primary_].emplace(from_range(pairs.begin(), pairs.end()));
    other_model() = model();
    check_other();
  }

  void init_list_construct(byte_reader& in) {
    model_type expected;
    std::vector<std::pair<K, T>> decoded;
    for (int i = 0; i < 3; ++i) {
      const K& key = key_codec<K>::make(decode_key(in.next()).index);
      const T value = value_codec<T>::make(in.next());
      decoded.emplace_back(key, value);
      expected.emplace(key, value);  // the first one wins
    }
    maps_[1 - primary_].emplace(from_list({{decoded[0].first, decoded[0].second},
                                           {decoded[1].first, decoded[1].second},
                                           {decoded[2].first, decoded[2].second}}));
    other_model() = std::move(expected);
    check_other();
  }

  std::size_t shards_;
  std::optional<Map> maps_[2];
  model_type models_[2];
  int primary_ = 0;
};

// The whole sequential target: byte 0 is the configuration (see the top of this file).
template <class Map>
void run_model_program(const std::uint8_t* data, std::size_t size) {
  byte_reader in(data, size);
  const std::uint8_t config = in.next();
  model_driver<Map> driver(shard_count_from(config));
  driver.run(in);
}

}  // namespace syncmap_fuzz

#endif  // SYNCMAP_TESTS_FUZZ_MODEL_DRIVER_HPP
