// syncmap fuzz targets: the single-key operations, each checked against a model.
// SPDX-License-Identifier: MIT
//
// run_key_op() decodes the operands of one single-key operation, applies it to the map and to
// a std::unordered_map model of the keys the caller owns, and aborts (fail()) unless the
// map's result is the one the model predicts and API.md promises. The sequential targets own
// every key; each thread of the concurrent targets owns a disjoint half, which keeps the
// model exact because every single-key operation is linearizable.
//
// Flags, from the top three bits of the operation byte:
//   alt    callbacks are noexcept (update, upsert: the in-place path instead of the copy)
//   raise  callbacks throw injected_failure when called (not with alt); the operation must
//          then have had no effect
//   hint   compare_and_swap / compare_and_delete expect the current value (when there is one)
//          instead of one decoded from the input, so they succeed
#ifndef SYNCMAP_TESTS_FUZZ_KEY_OPS_HPP
#define SYNCMAP_TESTS_FUZZ_KEY_OPS_HPP

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>

#include "fuzz_support.hpp"

namespace syncmap_fuzz {

// The order is the encoding (make_seeds.py writes these numbers): append, never reorder.
enum class key_op : std::uint8_t {
  load,                // key
  contains,            // key
  store,               // key value
  load_or_store,       // key value
  load_or_store_with,  // key value
  try_emplace,         // key value
  load_and_delete,     // key
  erase,               // key
  exchange,            // key value
  compare_and_swap,    // key expected desired
  compare_and_delete,  // key expected
  visit,               // key
  update,              // key
  upsert,              // key value
  erase_if,            // key parameter
  count
};

inline constexpr const char* key_op_names[] = {"load",
                                               "contains",
                                               "store",
                                               "load_or_store",
                                               "load_or_store_with",
                                               "try_emplace",
                                               "load_and_delete",
                                               "erase",
                                               "exchange",
                                               "compare_and_swap",
                                               "compare_and_delete",
                                               "visit",
                                               "update",
                                               "upsert",
                                               "erase_if(key)"};
static_assert(sizeof(key_op_names) / sizeof(key_op_names[0]) ==
              static_cast<std::size_t>(key_op::count));

inline constexpr std::uint8_t flag_alt = 0x20;
inline constexpr std::uint8_t flag_raise = 0x40;
inline constexpr std::uint8_t flag_hint = 0x80;

template <class Map>
using model_of = std::unordered_map<typename Map::key_type, typename Map::mapped_type>;

// erase_if(key, pred)'s predicate, a pure function of the value and a decoded parameter.
template <class T>
bool erase_if_predicate(const T& value, std::uint8_t parameter) {
  return (value_codec<T>::code(value) + parameter) % 3 != 0;
}

template <class Map>
void run_key_op(Map& map, model_of<Map>& model, key_op op, std::uint8_t flags, key_byte k,
                byte_reader& in) {
  using K = typename Map::key_type;
  using T = typename Map::mapped_type;
  using vc = value_codec<T>;
  // sharded_map runs each callback exactly once; rcu_map's copy-on-write may rerun one.
  constexpr bool exact_calls = is_sharded_v<Map>;
  const bool alt = (flags & flag_alt) != 0;
  const bool raise = (flags & flag_raise) != 0 && !alt;
  const bool hint = (flags & flag_hint) != 0;

  const K& key = key_codec<K>::make(k.index);
  const auto it = model.find(key);
  const std::optional<T> before = it == model.end() ? std::nullopt : std::optional<T>(it->second);
  const auto calls_ok = [&](int calls, bool called) {
    if (!called) return calls == 0;
    return exact_calls ? calls == 1 : calls >= 1;
  };
  // After a callback threw: the operation must have had no effect on this key.
  const auto check_unchanged = [&](const char* what) {
    const std::optional<T> now = map.load(key);
    SYNCMAP_FUZZ_CHECK(now == before, std::string(what) + " threw but changed the value to " +
                                          show(now) + " (was " + show(before) + ")");
  };

  switch (op) {
    case key_op::load: {
      const std::optional<T> got =
          with_lookup_key<K>(k, [&](const auto& arg) { return map.load(arg); });
      SYNCMAP_FUZZ_CHECK(got == before, "load gave " + show(got) + ", model " + show(before));
      break;
    }
    case key_op::contains: {
      const bool got = with_lookup_key<K>(k, [&](const auto& arg) { return map.contains(arg); });
      SYNCMAP_FUZZ_CHECK(got == before.has_value(), "contains gave " + std::to_string(got));
      break;
    }
    case key_op::store: {
      const T value = vc::make(in.next());
      const bool inserted = with_insert_key<K>(
          k, [&](auto&& arg) { return map.store(std::forward<decltype(arg)>(arg), value); });
      SYNCMAP_FUZZ_CHECK(inserted == !before, "store said inserted=" + std::to_string(inserted));
      model[key] = value;
      break;
    }
    case key_op::load_or_store: {
      const T value = vc::make(in.next());
      const std::pair<T, bool> got = with_insert_key<K>(k, [&](auto&& arg) {
        return map.load_or_store(std::forward<decltype(arg)>(arg), value);
      });
      const std::pair<T, bool> expected =
          before ? std::pair<T, bool>(*before, true) : std::pair<T, bool>(value, false);
      SYNCMAP_FUZZ_CHECK(got == expected, "load_or_store gave (" + vc::show(got.first) + ", " +
                                              std::to_string(got.second) + "), model " +
                                              show(before));
      if (!before) model.emplace(key, value);
      break;
    }
    case key_op::load_or_store_with: {
      const T value = vc::make(in.next());
      int calls = 0;
      const auto make = [&] {
        ++calls;
        if (raise) throw injected_failure{};
        return value;
      };
      try {
        const std::pair<T, bool> got = with_insert_key<K>(k, [&](auto&& arg) {
          return map.load_or_store_with(std::forward<decltype(arg)>(arg), make);
        });
        const std::pair<T, bool> expected =
            before ? std::pair<T, bool>(*before, true) : std::pair<T, bool>(value, false);
        SYNCMAP_FUZZ_CHECK(got == expected, "load_or_store_with gave (" + vc::show(got.first) +
                                                ", " + std::to_string(got.second) + "), model " +
                                                show(before));
        if (!before) model.emplace(key, value);
      } catch (const injected_failure&) {
        SYNCMAP_FUZZ_CHECK(raise && !before, "an exception from a make() never called");
        check_unchanged("load_or_store_with's make()");
      }
      SYNCMAP_FUZZ_CHECK(calls == (before ? 0 : 1), "make() ran " + std::to_string(calls) +
                                                        " times (model " + show(before) + ")");
      break;
    }
    case key_op::try_emplace: {
      const T value = vc::make(in.next());
      const bool inserted = with_insert_key<K>(
          k, [&](auto&& arg) { return map.try_emplace(std::forward<decltype(arg)>(arg), value); });
      SYNCMAP_FUZZ_CHECK(inserted == !before,
                         "try_emplace said inserted=" + std::to_string(inserted));
      if (!before) model.emplace(key, value);
      break;
    }
    case key_op::load_and_delete: {
      const std::optional<T> got =
          with_lookup_key<K>(k, [&](const auto& arg) { return map.load_and_delete(arg); });
      SYNCMAP_FUZZ_CHECK(got == before,
                         "load_and_delete gave " + show(got) + ", model " + show(before));
      model.erase(key);
      break;
    }
    case key_op::erase: {
      const std::size_t erased =
          with_lookup_key<K>(k, [&](const auto& arg) { return map.erase(arg); });
      SYNCMAP_FUZZ_CHECK(erased == (before ? 1u : 0u), "erase gave " + std::to_string(erased));
      model.erase(key);
      break;
    }
    case key_op::exchange: {
      const T value = vc::make(in.next());
      const std::optional<T> got = with_insert_key<K>(
          k, [&](auto&& arg) { return map.exchange(std::forward<decltype(arg)>(arg), value); });
      SYNCMAP_FUZZ_CHECK(got == before, "exchange gave " + show(got) + ", model " + show(before));
      model[key] = value;
      break;
    }
    case key_op::compare_and_swap: {
      const std::uint8_t expected_byte = in.next();
      const T desired = vc::make(in.next());
      const T expected = hint && before ? *before : vc::make(expected_byte);
      const bool swapped = with_lookup_key<K>(
          k, [&](const auto& arg) { return map.compare_and_swap(arg, expected, desired); });
      const bool should = before && *before == expected;
      SYNCMAP_FUZZ_CHECK(swapped == should, "compare_and_swap(expected " + vc::show(expected) +
                                                ") gave " + std::to_string(swapped) + ", model " +
                                                show(before));
      if (should) model[key] = desired;
      break;
    }
    case key_op::compare_and_delete: {
      const std::uint8_t expected_byte = in.next();
      const T expected = hint && before ? *before : vc::make(expected_byte);
      const bool deleted = with_lookup_key<K>(
          k, [&](const auto& arg) { return map.compare_and_delete(arg, expected); });
      const bool should = before && *before == expected;
      SYNCMAP_FUZZ_CHECK(deleted == should, "compare_and_delete(expected " + vc::show(expected) +
                                                ") gave " + std::to_string(deleted) + ", model " +
                                                show(before));
      if (should) model.erase(key);
      break;
    }
    case key_op::visit: {
      int calls = 0;
      std::optional<T> seen;
      const auto f = [&](const T& value) {
        ++calls;
        seen = value;
        if (raise) throw injected_failure{};
      };
      bool found = false;
      try {
        found = with_lookup_key<K>(k, [&](const auto& arg) { return map.visit(arg, f); });
      } catch (const injected_failure&) {
        SYNCMAP_FUZZ_CHECK(raise && before, "an exception from a visitor never called");
        found = true;
        check_unchanged("visit's callback");
      }
      SYNCMAP_FUZZ_CHECK(found == before.has_value(), "visit said found=" + std::to_string(found));
      SYNCMAP_FUZZ_CHECK(calls == (found ? 1 : 0),
                         "visit called f " + std::to_string(calls) + " times");
      SYNCMAP_FUZZ_CHECK(seen == before, "visit saw " + show(seen) + ", model " + show(before));
      break;
    }
    case key_op::update: {
      int calls = 0;
      bool found = false;
      bool threw = false;
      try {
        if (alt) {
          found = with_lookup_key<K>(k, [&](const auto& arg) {
            return map.update(arg, [&](T& value) noexcept {
              ++calls;
              vc::bump(value);
            });
          });
        } else {
          found = with_lookup_key<K>(k, [&](const auto& arg) {
            return map.update(arg, [&](T& value) {
              ++calls;
              if (raise) throw injected_failure{};
              vc::bump(value);
            });
          });
        }
      } catch (const injected_failure&) {
        SYNCMAP_FUZZ_CHECK(raise && before, "an exception from an update never called");
        threw = found = true;
        check_unchanged("update's callback");
      }
      SYNCMAP_FUZZ_CHECK(found == before.has_value(), "update said found=" + std::to_string(found));
      SYNCMAP_FUZZ_CHECK(calls_ok(calls, found),
                         "update called f " + std::to_string(calls) + " times");
      if (found && !threw) vc::bump(model.find(key)->second);
      break;
    }
    case key_op::upsert: {
      const T value = vc::make(in.next());
      int calls = 0;
      bool inserted = false;
      bool threw = false;
      try {
        if (alt) {
          inserted = with_insert_key<K>(k, [&](auto&& arg) {
            return map.upsert(
                std::forward<decltype(arg)>(arg),
                [&](T& v) noexcept {
                  ++calls;
                  vc::bump(v);
                },
                value);
          });
        } else {
          inserted = with_insert_key<K>(k, [&](auto&& arg) {
            return map.upsert(
                std::forward<decltype(arg)>(arg),
                [&](T& v) {
                  ++calls;
                  if (raise) throw injected_failure{};
                  vc::bump(v);
                },
                value);
          });
        }
      } catch (const injected_failure&) {
        SYNCMAP_FUZZ_CHECK(raise && before, "an exception from an upsert callback never called");
        threw = true;
        check_unchanged("upsert's callback");
      }
      SYNCMAP_FUZZ_CHECK(inserted == !before, "upsert said inserted=" + std::to_string(inserted));
      SYNCMAP_FUZZ_CHECK(calls_ok(calls, before.has_value()),
                         "upsert called f " + std::to_string(calls) + " times");
      if (!before) {
        model.emplace(key, value);
      } else if (!threw) {
        vc::bump(model.find(key)->second);
      }
      break;
    }
    case key_op::erase_if: {
      const std::uint8_t parameter = in.next();
      int calls = 0;
      bool erased = false;
      try {
        erased = with_lookup_key<K>(k, [&](const auto& arg) {
          return map.erase_if(arg, [&](const T& value) {
            ++calls;
            if (raise) throw injected_failure{};
            return erase_if_predicate(value, parameter);
          });
        });
      } catch (const injected_failure&) {
        SYNCMAP_FUZZ_CHECK(raise && before, "an exception from a predicate never called");
        check_unchanged("erase_if's predicate");
        break;
      }
      const bool should = before && erase_if_predicate(*before, parameter);
      SYNCMAP_FUZZ_CHECK(erased == should, "erase_if said erased=" + std::to_string(erased) +
                                               ", model " + show(before));
      SYNCMAP_FUZZ_CHECK(calls_ok(calls, before.has_value()),
                         "erase_if called its predicate " + std::to_string(calls) + " times");
      if (should) model.erase(key);
      break;
    }
    case key_op::count:
      break;
  }
}

}  // namespace syncmap_fuzz

#endif  // SYNCMAP_TESTS_FUZZ_KEY_OPS_HPP
