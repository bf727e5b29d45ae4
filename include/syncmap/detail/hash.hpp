// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// Hash post-mixing and the traits that decide how a user's hash is used.
//
// Why mix at all: libstdc++'s std::hash of an integer is the identity, so keys 0, 1, 2, ...
// would all land in shard 0 (the shard comes from the high bits) and share the same 7-bit tag
// pattern. Every hash value therefore goes through mix64() once, unless the hasher declares
// `using is_avalanching = void;` (absl::Hash and other strong hashers can opt out of the cost).
//
// Which bits are used for what (a mixed 64-bit hash h):
//   bits  0..6   the 7-bit tag stored in a control byte (flat_table)
//   bits  7..    the first probe group (flat_table), as many bits as the table has groups
//   bits 48..63  the shard index (sharded_map), as many bits as there are shards (<= 16);
//                in rcu_map, the bucket of its read tables' filter of new keys (new_key_filter)
// The three fields never overlap for any table below 2^41 groups, so they are independent
// once the mixer has spread entropy across the whole word: knowing the shard tells nothing
// about the position inside the shard, and a tag match says nothing about the group.
//
// The mixer is a 64x64->128 multiply by an odd constant, folded by xor: two instructions on
// x86-64 (mul, xor). Compilers without a 128-bit integer get a xor-shift-multiply finalizer
// (splitmix64's shape), slower but as well spread.
#ifndef SYNCMAP_DETAIL_HASH_HPP
#define SYNCMAP_DETAIL_HASH_HPP

#include <cstdint>
#include <type_traits>
#include <utility>

#include "config.hpp"

SYNCMAP_NAMESPACE_BEGIN
namespace detail {

// Fractional part of the golden ratio: odd, with bits spread evenly over the word.
inline constexpr std::uint64_t mix_multiplier = 0x9E3779B97F4A7C15ull;

constexpr std::uint64_t mix64(std::uint64_t h) noexcept {
#if defined(__SIZEOF_INT128__)
  __extension__ using u128 = unsigned __int128;
  const u128 product = static_cast<u128>(h) * mix_multiplier;
  return static_cast<std::uint64_t>(product) ^ static_cast<std::uint64_t>(product >> 64);
#else
  h ^= h >> 32;
  h *= mix_multiplier;
  h ^= h >> 29;
  h *= 0xBF58476D1CE4E5B9ull;
  return h ^ (h >> 32);
#endif
}

template <class Hash, class = void>
struct is_avalanching : std::false_type {};
template <class Hash>
struct is_avalanching<Hash, std::void_t<typename Hash::is_avalanching>> : std::true_type {};

template <class T, class = void>
struct has_is_transparent : std::false_type {};
template <class T>
struct has_is_transparent<T, std::void_t<typename T::is_transparent>> : std::true_type {};

// Heterogeneous lookup is enabled only when both the hasher and the equality opt in, as in
// the standard unordered containers (C++20).
template <class Hash, class KeyEqual>
inline constexpr bool is_transparent_v =
    has_is_transparent<Hash>::value&& has_is_transparent<KeyEqual>::value;

// The key type a lookup takes: K2 itself for transparent functors, otherwise Key (so that a
// call with a convertible argument converts once, up front, as std::unordered_map does).
template <class Key, class K2, class Hash, class KeyEqual>
using lookup_key_t =
    std::conditional_t<is_transparent_v<Hash, KeyEqual> && !std::is_same_v<std::decay_t<K2>, Key>,
                       K2, Key>;

template <class Hash, class K>
inline constexpr bool is_nothrow_hash_v = std::is_nothrow_invocable_v<const Hash&, const K&>;

template <class Hash, class K>
std::uint64_t hash_key(const Hash& hash, const K& key) noexcept(is_nothrow_hash_v<Hash, K>) {
  const auto raw = static_cast<std::uint64_t>(hash(key));
  if constexpr (is_avalanching<Hash>::value) {
    return raw;
  } else {
    return mix64(raw);
  }
}

template <class T, class = void>
struct is_equality_comparable : std::false_type {};
template <class T>
struct is_equality_comparable<
    T, std::void_t<decltype(std::declval<const T&>() == std::declval<const T&>())>>
    : std::true_type {};

}  // namespace detail
SYNCMAP_NAMESPACE_END

#endif  // SYNCMAP_DETAIL_HASH_HPP
