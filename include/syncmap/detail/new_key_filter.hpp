// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// new_key_filter: which keys an rcu_map read table may be missing (rcu_core.hpp [F1]).
//
// Go's sync.Map keeps one `amended` flag: set, the dirty table holds some key the read table
// lacks, and every read-table miss takes the mutex to look there. One new key is enough to
// send every miss of every thread to the lock until the next promotion, which is what Go's
// AdversarialAlloc and AdversarialDelete benchmarks provoke (and what made rcu_map lose
// them to a plain mutex map). Each read table therefore also carries a bitmap, one bit per
// hash bucket, of the keys added to the dirty table while it was published: a miss whose
// bit is clear was never added since, and is absent without the lock. It is a Bloom filter
// with one hash function: a set bit may be another key's (then the lookup takes the lock, as
// it always did), a clear bit is never wrong.
//
// Rules:
//   - Only a holder of the map's mutex sets bits, and only in the published read table, after
//     the key entered the dirty table; bits are never cleared. A promotion publishes a new
//     table with an empty filter: its table holds every key the dirty table held.
//   - Sized at promotion from the table's entries: one bit per expected slot (twice the
//     entries), at least one cache line, at most 8 KiB; a table built without one (the
//     allocation failed) has none, and then may_hold() answers true for every key.
//   - Bucket = the hash's top bits (hash.hpp: bits 48..63, which no rcu_map table uses for
//     probing, so a key's bit says nothing about where it sits in the read table).
#ifndef SYNCMAP_DETAIL_NEW_KEY_FILTER_HPP
#define SYNCMAP_DETAIL_NEW_KEY_FILTER_HPP

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "config.hpp"

SYNCMAP_NAMESPACE_BEGIN
namespace detail {

class new_key_filter {
  using word = std::atomic<std::uint64_t>;
  static constexpr unsigned word_bits_log2 = 6;

 public:
  static constexpr unsigned min_bits_log2 = 9;   // one cache line
  static constexpr unsigned max_bits_log2 = 16;  // 8 KiB: the top 16 bits of the hash

  new_key_filter() noexcept = default;
  new_key_filter(const new_key_filter&) = delete;
  new_key_filter& operator=(const new_key_filter&) = delete;
  ~new_key_filter() = default;  // storage is released by destroy(alloc), which the owner calls

  // Allocates an empty filter for a table of `entries` entries. Strong guarantee: on a throw
  // (the allocator's) the filter is left without storage.
  template <class Allocator>
  void allocate(std::size_t entries, Allocator& alloc) {
    unsigned bits_log2 = min_bits_log2;
    while (bits_log2 < max_bits_log2 && (std::size_t{1} << bits_log2) < 2 * entries)
      ++bits_log2;
    word_allocator<Allocator> words_alloc(alloc);
    const std::size_t count = std::size_t{1} << (bits_log2 - word_bits_log2);
    word* words = std::allocator_traits<word_allocator<Allocator>>::allocate(words_alloc, count);
    for (std::size_t i = 0; i < count; ++i) {
      std::allocator_traits<word_allocator<Allocator>>::construct(words_alloc, words + i,
                                                                  std::uint64_t{0});
    }
    words_ = words;
    shift_ = 64 - bits_log2;
  }

  // The map's mutex held, the filter's table published, the key with this hash just added to
  // the dirty table. relaxed: a reader orders its probe of the bit after this store by
  // coherence alone (an insert that happens-before a lookup is seen by it; one that does not
  // may linearize after it), and what the key's entry holds reaches it through the mutex.
  // A load and a store, not an RMW: only mutex holders write, so no other write can fall
  // between them (a locked RMW per new key measured slower on Go's SwapMostlyMisses).
  void note(std::uint64_t hash) noexcept {
    if (words_ == nullptr) return;
    const std::uint64_t bucket = hash >> shift_;
    word& w = words_[bucket >> word_bits_log2];
    w.store(w.load(std::memory_order_relaxed) | (std::uint64_t{1} << (bucket & 63)),
            std::memory_order_relaxed);
  }

  // Whether a key with this hash may have been added to the dirty table while the filter's
  // table was published. relaxed: see note(); compared, never dereferenced.
  bool may_hold(std::uint64_t hash) const noexcept {
    if (words_ == nullptr) return true;
    const std::uint64_t bucket = hash >> shift_;
    return (words_[bucket >> word_bits_log2].load(std::memory_order_relaxed) >> (bucket & 63)) & 1u;
  }

  template <class Allocator>
  void destroy(Allocator& alloc) noexcept {
    if (words_ == nullptr) return;
    word_allocator<Allocator> words_alloc(alloc);
    std::allocator_traits<word_allocator<Allocator>>::deallocate(
        words_alloc, words_, std::size_t{1} << (64 - shift_ - word_bits_log2));
    words_ = nullptr;  // words are trivially destructible
  }

 private:
  template <class Allocator>
  using word_allocator = typename std::allocator_traits<Allocator>::template rebind_alloc<word>;

  word* words_ = nullptr;
  unsigned shift_ = 64;  // 64 - log2(bits)
};

}  // namespace detail
SYNCMAP_NAMESPACE_END

#endif  // SYNCMAP_DETAIL_NEW_KEY_FILTER_HPP
