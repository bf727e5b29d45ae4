// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// Deterministic inputs for the benchmarks: a small seeded generator, the key sets, and a
// Zipf sampler. Everything here runs before timing starts, so it favours being obviously
// correct and reproducible over being fast.
//
// Key sets. For a population of n keys the harness needs n keys that are in the map ("hits")
// and n more that never are ("misses"). Key i (0 <= i < 2n) is derived from i by a bijection,
// so the 2n keys are distinct by construction (no set to deduplicate through), hits are keys
// 0..n-1 and misses n..2n-1, and the same (seed, i) gives the same key on every run and for
// every map.
//   - uint64 keys: splitmix64's finalizer of (seed + i). The finalizer is a bijection on 64-bit
//     words (xor-shifts and odd multiplications are invertible), so distinct i give distinct
//     keys, and the keys look random: no map is helped or hurt by sequential keys.
//   - string keys: 8-15 characters, so they fit libstdc++'s small-string buffer (15 chars) and
//     storing one allocates nothing. The first 4-11 characters are random; the last 4 spell i
//     in base 62, which makes the strings distinct by construction.
//
// Zipf. zipf_sampler draws ranks 1..n with P(k) proportional to k^-s by rejection-inversion
// (Hormann and Derflinger, "Rejection-inversion to generate variates from monotone discrete
// distributions", 1996): invert the integral H of the continuous hat x^-s and accept the
// rounded draw when it falls under the step. O(1) expected per draw and no O(n) table, so
// building a 2^20-op stream for a 2^20-key population stays cheap. (The obvious alternative, a
// cumulative table searched by bisection, costs 8 MiB per population and ~20 cache misses per
// draw.)
#ifndef SYNCMAP_BENCH_KEYS_HPP
#define SYNCMAP_BENCH_KEYS_HPP

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace syncmap_bench {

// splitmix64's output function: a bijection on 64-bit words with good avalanche.
constexpr std::uint64_t scramble(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A tiny seeded generator (splitmix64 stepping): one add and one scramble per draw.
class random_source {
 public:
  explicit random_source(std::uint64_t seed) noexcept : state_(seed) {}

  std::uint64_t next() noexcept { return scramble(state_ += 0x9E3779B97F4A7C15ull); }

  // Uniform in [0, bound), by multiply-shift (bias below 2^-32 for bound < 2^32).
  std::uint64_t below(std::uint64_t bound) noexcept {
    __extension__ using u128 = unsigned __int128;
    return static_cast<std::uint64_t>((static_cast<u128>(next()) * bound) >> 64);
  }

  // Uniform in [0, 1) with 53 random bits.
  double unit() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  std::uint64_t state_;
};

// Seeds are derived, never drawn from a clock: a benchmark's inputs depend only on what it is.
constexpr std::uint64_t base_seed = 0x5EED5EED2024ull;

constexpr std::uint64_t derive_seed(std::uint64_t a, std::uint64_t b = 0,
                                    std::uint64_t c = 0) noexcept {
  return scramble(scramble(scramble(base_seed ^ a) + b) + c);
}

// The key type tags used in benchmark names ("u64", "str").
template <class Key>
struct key_traits;

template <>
struct key_traits<std::uint64_t> {
  static constexpr const char* tag = "u64";
  static std::uint64_t make(std::uint64_t i) { return scramble(derive_seed(1) + i); }
};

template <>
struct key_traits<std::string> {
  static constexpr const char* tag = "str";
  static constexpr char alphabet[] =
      "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  static constexpr std::uint64_t radix = 62;
  static constexpr std::uint64_t max_index = radix * radix * radix * radix;  // 4 suffix digits

  static std::string make(std::uint64_t i) {
    if (i >= max_index) throw std::length_error("syncmap_bench: too many string keys");
    std::uint64_t bits = scramble(derive_seed(2) + i);
    const std::size_t length = 8 + static_cast<std::size_t>(bits & 7);
    bits >>= 3;
    std::string key(length, '0');
    const std::size_t random_chars = length - 4;
    for (std::size_t c = 0; c < random_chars; ++c) {
      key[c] = alphabet[bits % radix];
      bits /= radix;
      if (bits < radix) bits = scramble(bits + c + i);  // refill when under one digit is left
    }
    for (std::size_t c = length; c-- > random_chars;) {
      key[c] = alphabet[i % radix];
      i /= radix;
    }
    return key;
  }
};

// n keys present in the map and n keys that never are, disjoint, in a random order.
template <class Key>
struct key_set {
  std::vector<Key> hits;
  std::vector<Key> misses;

  explicit key_set(std::size_t n) {
    hits.reserve(n);
    misses.reserve(n);
    for (std::size_t i = 0; i < n; ++i)
      hits.push_back(key_traits<Key>::make(i));
    for (std::size_t i = 0; i < n; ++i)
      misses.push_back(key_traits<Key>::make(n + i));
  }
};

// Ranks 1..n with P(k) proportional to k^-exponent (exponent > 0, != 1 handled exactly;
// exponent == 1 through the logarithmic limit).
class zipf_sampler {
 public:
  zipf_sampler(std::uint64_t n, double exponent)
      : n_(static_cast<double>(n)), exponent_(exponent), q_(1.0 - exponent) {
    if (n == 0 || !(exponent > 0.0)) throw std::invalid_argument("zipf_sampler: bad parameters");
    integral_x1_ = integral(1.5) - 1.0;  // the first step has height h(1) = 1
    integral_n_ = integral(n_ + 0.5);
    squeeze_ = 2.0 - integral_inverse(integral(2.5) - density(2.0));
  }

  std::uint64_t operator()(random_source& rng) const {
    for (;;) {
      const double u = integral_n_ + rng.unit() * (integral_x1_ - integral_n_);
      const double x = integral_inverse(u);
      double k = std::floor(x + 0.5);
      if (k < 1.0) k = 1.0;
      if (k > n_) k = n_;
      // Accept at once inside the squeeze, else when u lies under the step at k.
      if (k - x <= squeeze_ || u >= integral(k + 0.5) - density(k)) {
        return static_cast<std::uint64_t>(k);
      }
    }
  }

 private:
  double density(double x) const { return std::exp(-exponent_ * std::log(x)); }

  // H(x) = (x^q - 1) / q, the integral of x^-exponent from 1; log(x) in the limit q -> 0.
  double integral(double x) const {
    const double log_x = std::log(x);
    return q_ == 0.0 ? log_x : std::expm1(q_ * log_x) / q_;
  }

  double integral_inverse(double y) const {
    return q_ == 0.0 ? std::exp(y) : std::exp(std::log1p(q_ * y) / q_);
  }

  double n_;
  double exponent_;
  double q_;
  double integral_x1_ = 0.0;
  double integral_n_ = 0.0;
  double squeeze_ = 0.0;
};

}  // namespace syncmap_bench

#endif  // SYNCMAP_BENCH_KEYS_HPP
