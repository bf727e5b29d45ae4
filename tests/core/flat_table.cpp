// flat_table on its own: lookups against a model, tombstone churn keeps capacity flat, and a
// rehash that throws leaves the table as it was.
#include <syncmap/detail/flat_table.hpp>
#include <syncmap/detail/hash.hpp>

#include <cstdint>
#include <memory>
#include <random>
#include <stdexcept>
#include <unordered_map>
#include <utility>

#include "support/catch.hpp"

namespace {

using slot = std::pair<std::uint64_t, std::uint64_t>;
using alloc = std::allocator<slot>;
using table = syncmap::detail::flat_table<slot, alloc>;

std::uint64_t hash_of_key(std::uint64_t key) {
  return syncmap::detail::mix64(key);
}

struct table_ops {
  table t;
  alloc a;
  ~table_ops() { t.destroy(a); }

  slot* find(std::uint64_t key) const {
    return t.find(hash_of_key(key), [&](const slot& s) { return s.first == key; });
  }
  bool insert(std::uint64_t key, std::uint64_t value) {
    const std::uint64_t hash = hash_of_key(key);
    auto pos = t.find_or_prepare_insert(
        hash, [&](const slot& s) { return s.first == key; },
        [](const slot& s) noexcept { return hash_of_key(s.first); }, a);
    if (pos.found) return false;
    t.construct_at(pos.index, hash, a, key, value);
    return true;
  }
  bool erase(std::uint64_t key) {
    slot* s = find(key);
    if (s == nullptr) return false;
    t.erase_at(t.index_of(s), a);
    return true;
  }
};

}  // namespace

TEST_CASE("flat_table agrees with std::unordered_map on random operations", "[core]") {
  table_ops ops;
  std::unordered_map<std::uint64_t, std::uint64_t> model;
  std::mt19937_64 rng(42);
  for (int i = 0; i < 200000; ++i) {
    const std::uint64_t key = rng() % 2048;
    switch (rng() % 3) {
      case 0:
        REQUIRE(ops.insert(key, i) == model.emplace(key, i).second);
        break;
      case 1:
        REQUIRE(ops.erase(key) == (model.erase(key) == 1));
        break;
      default: {
        const slot* s = ops.find(key);
        const auto it = model.find(key);
        REQUIRE((s != nullptr) == (it != model.end()));
        if (s != nullptr) REQUIRE(s->second == it->second);
      }
    }
    REQUIRE(ops.t.size() == model.size());
  }
  std::size_t visited = 0;
  ops.t.for_each([&](const slot& s) {
    REQUIRE(model.at(s.first) == s.second);
    ++visited;
  });
  REQUIRE(visited == model.size());
}

TEST_CASE("flat_table: steady erase/insert churn never grows the table", "[core]") {
  // A sliding window of 1000 live keys over a stream of fresh keys: every erase may leave a
  // tombstone. Without same-size rebuilds the table would double again and again.
  table_ops ops;
  for (std::uint64_t k = 0; k < 1000; ++k)
    ops.insert(k, k);
  const std::size_t capacity = ops.t.capacity();
  for (std::uint64_t k = 1000; k < 400000; ++k) {
    REQUIRE(ops.erase(k - 1000));
    REQUIRE(ops.insert(k, k));
  }
  REQUIRE(ops.t.size() == 1000);
  REQUIRE(ops.t.capacity() == capacity);
  for (std::uint64_t k = 399000; k < 400000; ++k)
    REQUIRE(ops.find(k) != nullptr);
}

TEST_CASE("flat_table: a hash that throws during rehash leaves the table unchanged", "[core]") {
  table_ops ops;
  for (std::uint64_t k = 0; k < 14; ++k)
    REQUIRE(ops.insert(k, k));  // one group, full load
  const std::size_t capacity = ops.t.capacity();
  int calls = 0;
  auto throwing_hash = [&](const slot& s) {
    if (++calls == 7) throw std::runtime_error("hash");
    return hash_of_key(s.first);
  };
  const std::uint64_t key = 99;
  REQUIRE_THROWS_AS(
      ops.t.find_or_prepare_insert(
          hash_of_key(key), [&](const slot& s) { return s.first == key; }, throwing_hash, ops.a),
      std::runtime_error);
  REQUIRE(ops.t.capacity() == capacity);
  REQUIRE(ops.t.size() == 14);
  for (std::uint64_t k = 0; k < 14; ++k) {
    const slot* s = ops.find(k);
    REQUIRE(s != nullptr);
    REQUIRE(s->second == k);
  }
  REQUIRE(ops.insert(key, key));  // still usable, and now it grows
  REQUIRE(ops.t.capacity() > capacity);
}

TEST_CASE("flat_table: reserve makes room without later rehash", "[core]") {
  table_ops ops;
  ops.t.reserve(
      5000, [](const slot& s) noexcept { return hash_of_key(s.first); }, ops.a);
  const std::size_t capacity = ops.t.capacity();
  REQUIRE(ops.t.max_load() >= 5000);
  for (std::uint64_t k = 0; k < 5000; ++k)
    ops.insert(k, k);
  REQUIRE(ops.t.capacity() == capacity);
  REQUIRE_THROWS_AS(ops.t.reserve(
                        table::max_size() + 1,
                        [](const slot& s) noexcept { return hash_of_key(s.first); }, ops.a),
                    std::length_error);
}

TEST_CASE("mix64 spreads consecutive integers over shard and tag bits", "[core]") {
  // Identity std::hash on 0..N must still reach every one of 64 shards (bits 48..53) and every
  // tag value (bits 0..6).
  bool shard_seen[64] = {};
  bool tag_seen[128] = {};
  for (std::uint64_t k = 0; k < 4096; ++k) {
    const std::uint64_t h = syncmap::detail::mix64(k);
    shard_seen[(h >> 48) & 63] = true;
    tag_seen[h & 127] = true;
  }
  for (bool seen : shard_seen)
    REQUIRE(seen);
  for (bool seen : tag_seen)
    REQUIRE(seen);
}

TEST_CASE("flat_table: the first-group-inline lookup finds what the whole probe finds", "[core]") {
  // A weak hash: 4 home groups and 2 tags, so groups overflow, probes run several groups long
  // and a tag match is often another key's. Every outcome of the inline part is reached: a hit
  // in the first matching slot, a miss on a first group with an empty slot, and the rest.
  const auto weak_hash = [](std::uint64_t key) noexcept { return ((key % 4) << 7) | (key % 2); };
  table t;
  alloc a;
  std::mt19937_64 rng(7);
  std::unordered_map<std::uint64_t, std::uint64_t> model;
  std::size_t rest_calls = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t key = rng() % 300;
    const std::uint64_t hash = weak_hash(key);
    const auto matches = [&](const slot& s) { return s.first == key; };
    if (rng() % 2 == 0) {
      auto pos = t.find_or_prepare_insert(
          hash, matches, [&](const slot& s) noexcept { return weak_hash(s.first); }, a);
      if (!pos.found) t.construct_at(pos.index, hash, a, key, std::uint64_t(i));
      model.emplace(key, i);
    } else if (slot* s = t.find(hash, matches)) {
      t.erase_at(t.index_of(s), a);
      model.erase(key);
    }
    const std::uint64_t probe = rng() % 300;
    const std::uint64_t probe_hash = weak_hash(probe);
    const auto probe_matches = [&](const slot& s) { return s.first == probe; };
    const auto whole = t.find_position(probe_hash, probe_matches);
    const auto inline_first = t.find_position_first_group_inline(probe_hash, probe_matches, [&] {
      ++rest_calls;
      return t.position_of(t.find(probe_hash, probe_matches));
    });
    REQUIRE(inline_first.slot == whole.slot);
    REQUIRE((whole.slot != nullptr) == (model.count(probe) == 1));
    if (whole.slot != nullptr) {
      REQUIRE(inline_first.group == whole.group);
      REQUIRE(inline_first.offset == whole.offset);
    }
  }
  REQUIRE(rest_calls > 0);
  t.destroy(a);
}
