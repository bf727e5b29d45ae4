// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// flat_table: the one open-addressing hash table of the project. It is not synchronized;
// sharded_map runs one per shard under that shard's lock, and rcu_map uses it for its
// immutable read table and its mutex-guarded dirty table.
//
// Layout
//   Two arrays from the user's allocator (rebound): control bytes, in groups of 16 aligned to
//   16 bytes, and slots, one per control byte. Slots are inline: no allocation per element.
//   A control byte is
//     0b0ttttttt  full; t = the low 7 bits of the element's mixed hash (its tag)
//     0b10000000  empty
//     0b11111110  deleted (a tombstone)
//   so "full" is the clear high bit and a 16-byte group is matched against a tag, against
//   empty, or against empty-or-deleted with one SSE2 compare and movemask (or a portable
//   64-bit SWAR sequence). A tag match is confirmed by comparing keys; with 7 tag bits about 1
//   in 128 non-matching full slots costs a key comparison.
//
// Probing
//   Groups are probed, not slots: the first group is (hash >> 7) & group_mask and the probe
//   then advances by 1, 2, 3, ... groups (triangular numbers), which visits every group of a
//   power-of-two table exactly once. A lookup stops at the first group that has an empty slot.
//
// Invariants (kept by insert, erase and rehash; every probe loop relies on them)
//   [I1] An element lives in group g_k of its probe sequence only if g_0..g_{k-1} have no empty
//        slot. Hence a lookup may stop at the first group with an empty slot.
//   [I2] size + tombstones + growth_left == max_load(capacity) == capacity - capacity / 8, so
//        at least capacity / 8 slots are empty, and every probe loop terminates.
//   [I3] capacity == 0 exactly when no storage is allocated; then ctrl_ points at a shared,
//        read-only group of empty bytes so lookups need no special case and never write.
//
// Erase without unbounded tombstones
//   Erasing from a group that already has an empty slot writes "empty": by [I1] no probe
//   sequence passes through such a group, so nothing can be cut off. Only erasing from a full
//   group leaves a tombstone. Tombstones are reused by inserts, and when an insert finds
//   growth_left exhausted while at most 7/16 of the slots hold elements, the table is rebuilt
//   at the same capacity (dropping every tombstone) instead of doubling. Steady erase/insert
//   churn therefore never grows the table and never degrades lookups without bound.
//
// Exception safety
//   Lookups only call the hash (once, by the caller) and the key comparison; neither changes
//   anything. Insertion is split in two: find_or_prepare_insert() may rehash (strong: the old
//   arrays are kept until the new ones are complete) and returns a free slot without claiming
//   it; construct_at() constructs there and only then writes the control byte. A throwing
//   constructor therefore leaves the table as it was (possibly with more capacity).
//
// NOTE: Boost's FOA avoids tombstones with per-group overflow bits; abseil probes unaligned
// 16-byte windows. Aligned groups with tombstones and the "erase to empty when the group has
// an empty" rule keep the code small and lookups branch-light; churn tests
// (tests/core/flat_table.cpp) show capacity stays flat under steady erase/insert.
#ifndef SYNCMAP_DETAIL_FLAT_TABLE_HPP
#define SYNCMAP_DETAIL_FLAT_TABLE_HPP

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>

#include "config.hpp"

#if SYNCMAP_HAS_SSE2
#include <emmintrin.h>
#endif

SYNCMAP_NAMESPACE_BEGIN
namespace detail {

using ctrl_t = std::uint8_t;
inline constexpr ctrl_t ctrl_empty = 0x80;
inline constexpr ctrl_t ctrl_deleted = 0xFE;
inline constexpr std::size_t group_width = 16;

struct alignas(group_width) ctrl_group {
  ctrl_t bytes[group_width];
};

// [I3]: the control bytes of every table that has no storage. Never written.
inline constexpr ctrl_group empty_ctrl_group = {{ctrl_empty, ctrl_empty, ctrl_empty, ctrl_empty,
                                                 ctrl_empty, ctrl_empty, ctrl_empty, ctrl_empty,
                                                 ctrl_empty, ctrl_empty, ctrl_empty, ctrl_empty,
                                                 ctrl_empty, ctrl_empty, ctrl_empty, ctrl_empty}};

inline int lowest_bit_index(std::uint32_t mask) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  return __builtin_ctz(mask);
#else
  int i = 0;
  while (!(mask & 1u)) {
    mask >>= 1;
    ++i;
  }
  return i;
#endif
}

// One 16-byte group of control bytes, matched all at once. Bit i of a returned mask stands
// for slot i of the group.
#if SYNCMAP_HAS_SSE2
class group_match {
 public:
  explicit group_match(const ctrl_t* group) noexcept
      : bytes_(_mm_load_si128(reinterpret_cast<const __m128i*>(group))) {}
  std::uint32_t match_tag(ctrl_t tag) const noexcept {
    return mask_of(_mm_cmpeq_epi8(bytes_, _mm_set1_epi8(static_cast<char>(tag))));
  }
  std::uint32_t match_empty() const noexcept {
    return mask_of(_mm_cmpeq_epi8(bytes_, _mm_set1_epi8(static_cast<char>(ctrl_empty))));
  }
  // Empty and deleted are the only bytes with the high bit set.
  std::uint32_t match_empty_or_deleted() const noexcept { return mask_of(bytes_); }
  std::uint32_t match_full() const noexcept { return ~mask_of(bytes_) & 0xFFFFu; }

 private:
  static std::uint32_t mask_of(__m128i v) noexcept {
    return static_cast<std::uint32_t>(_mm_movemask_epi8(v));
  }
  __m128i bytes_;
};
#else
// Portable fallback: two 64-bit words, byte-parallel arithmetic (SWAR). Exact: no false
// positives, so the SSE2 and SWAR builds behave identically (the tests run both).
class group_match {
 public:
  explicit group_match(const ctrl_t* group) noexcept {
    std::memcpy(&lo_, group, 8);
    std::memcpy(&hi_, group + 8, 8);
  }
  std::uint32_t match_tag(ctrl_t tag) const noexcept {
    const std::uint64_t pattern = lsbs * tag;
    return combine(zero_bytes(lo_ ^ pattern), zero_bytes(hi_ ^ pattern));
  }
  std::uint32_t match_empty() const noexcept {
    const std::uint64_t pattern = lsbs * ctrl_empty;
    return combine(zero_bytes(lo_ ^ pattern), zero_bytes(hi_ ^ pattern));
  }
  std::uint32_t match_empty_or_deleted() const noexcept { return combine(lo_ & msbs, hi_ & msbs); }
  std::uint32_t match_full() const noexcept { return combine(~lo_ & msbs, ~hi_ & msbs); }

 private:
  static constexpr std::uint64_t lsbs = 0x0101010101010101ull;
  static constexpr std::uint64_t msbs = 0x8080808080808080ull;
  static constexpr std::uint64_t low7 = 0x7F7F7F7F7F7F7F7Full;
  // High bit of each byte set exactly when that byte is zero: adding 0x7F to the low 7 bits
  // carries into the high bit for any non-zero low part, and OR-ing x catches a set high bit.
  static std::uint64_t zero_bytes(std::uint64_t x) noexcept {
    return ~(((x & low7) + low7) | x | low7);
  }
  // Gathers the high bit of each byte into one bit per byte (byte order is little-endian on
  // every target we build the fallback for; the memcpy above keeps byte 0 lowest).
  static std::uint32_t compress(std::uint64_t high_bits) noexcept {
    return static_cast<std::uint32_t>(((high_bits >> 7) * 0x0102040810204080ull) >> 56);
  }
  static std::uint32_t combine(std::uint64_t lo, std::uint64_t hi) noexcept {
    return compress(lo) | (compress(hi) << 8);
  }
  std::uint64_t lo_ = 0;
  std::uint64_t hi_ = 0;
};
#endif

inline constexpr ctrl_t tag_of(std::uint64_t hash) noexcept {
  return static_cast<ctrl_t>(hash & 0x7F);
}
inline constexpr std::size_t max_load_for(std::size_t capacity) noexcept {
  return capacity - capacity / 8;
}
// The smallest power-of-two group count whose max load holds n elements.
inline std::size_t groups_for(std::size_t n) noexcept {
  std::size_t groups = 1;
  while (max_load_for(groups * group_width) < n)
    groups *= 2;
  return groups;
}

// Slot: the stored element type. Allocator: any allocator; rebound to Slot and ctrl_group.
// The table holds no allocator and no hasher: the owner passes them in, so that a shard
// (lock + table) fits in one cache line and a map stores its allocator once.
// Where flat_table::find_or_prepare_insert() leaves the caller. ReportRehash adds `rehashed`
// for the statistics (stats.hpp); the default form is exactly two fields, so callers that do
// not ask pay nothing for it.
template <bool ReportRehash>
struct flat_insert_position {
  std::size_t index;  // slot index: of the match if found, else of the slot to construct in
  bool found;
  bool rehashed;  // find_or_prepare_insert rebuilt the table (growth or compaction) for room
};
template <>
struct flat_insert_position<false> {
  std::size_t index;  // as above
  bool found;
};

template <class Slot, class Allocator>
class flat_table {
 public:
  using slot_type = Slot;
  using slot_allocator = typename std::allocator_traits<Allocator>::template rebind_alloc<Slot>;
  using slot_traits = std::allocator_traits<slot_allocator>;
  using ctrl_allocator =
      typename std::allocator_traits<Allocator>::template rebind_alloc<ctrl_group>;
  using ctrl_traits = std::allocator_traits<ctrl_allocator>;
  using index_allocator =
      typename std::allocator_traits<Allocator>::template rebind_alloc<std::size_t>;
  using index_traits = std::allocator_traits<index_allocator>;

  flat_table() noexcept = default;
  flat_table(const flat_table&) = delete;
  flat_table& operator=(const flat_table&) = delete;
  flat_table(flat_table&& other) noexcept { steal(other); }
  // The owner must have destroyed (destroy()) this table's storage first.
  flat_table& operator=(flat_table&& other) noexcept {
    steal(other);
    return *this;
  }
  ~flat_table() = default;  // storage is released by destroy(alloc), which the owner calls

  std::size_t size() const noexcept { return size_; }
  bool empty() const noexcept { return size_ == 0; }
  std::size_t capacity() const noexcept { return capacity_; }
  // Element count at which a lookup table of this capacity grows.
  std::size_t max_load() const noexcept { return max_load_for(capacity_); }

  static std::size_t max_size() noexcept {
    const std::size_t by_slots = std::numeric_limits<std::size_t>::max() / 2 / sizeof(Slot);
    return max_load_for(by_slots);
  }

  // Where a lookup ended: the matching slot (nullptr if none), and its index as group and
  // offset within the group (index = group * group_width + offset), for per-slot side data
  // kept by group (rcu_read_table's stale bits) without recomputing the index.
  struct position {
    Slot* slot;
    std::size_t group;
    std::uint32_t offset;
  };

  // The slot matching `hash` and `matches(slot)`, or nullptr. `matches` is the key comparison.
  template <class Matches>
  SYNCMAP_ALWAYS_INLINE Slot* find(std::uint64_t hash, Matches&& matches) const {
    return find_position(hash, matches).slot;
  }

  // find(), also telling where. Inline, so unused fields cost nothing.
  // The first group is probed before the loop: most lookups end there, and then the probe
  // step never needs a register (GCC otherwise initialized it, spilled, on every lookup).
  template <class Matches>
  SYNCMAP_ALWAYS_INLINE position find_position(std::uint64_t hash, Matches&& matches) const {
    const ctrl_t tag = tag_of(hash);
    std::size_t group = (hash >> 7) & group_mask_;
    position found{nullptr, 0, 0};
    // True when the lookup ends at `group`: a match (in `found`) or an empty slot [I1].
    const auto ends_at = [&](std::size_t at) {
      const group_match g(ctrl_ + at * group_width);
      for (std::uint32_t m = g.match_tag(tag); m != 0; m &= m - 1) {
        const auto offset = static_cast<std::uint32_t>(lowest_bit_index(m));
        Slot* slot = slots_ + at * group_width + offset;
        if (SYNCMAP_LIKELY(matches(*slot))) {
          found = {slot, at, offset};
          return true;
        }
      }
      return g.match_empty() != 0;
    };
    if (SYNCMAP_LIKELY(ends_at(group))) return found;
    for (std::size_t step = 1;; ++step) {
      group = (group + step) & group_mask_;
      if (SYNCMAP_LIKELY(ends_at(group))) return found;
    }
  }

  // find_position() for a lookup that keeps only its likeliest outcomes inline: a key held by
  // the first slot of its first group whose tag matches, or a first group with no tag match
  // and an empty slot (a miss [I1]). Anything else returns probe_rest(), the whole probe,
  // which the caller puts out of line: then nothing the loop needs stays live on the fast path.
  template <class Matches, class ProbeRest>
  SYNCMAP_ALWAYS_INLINE position find_position_first_group_inline(std::uint64_t hash,
                                                                  Matches&& matches,
                                                                  ProbeRest&& probe_rest) const {
    const std::size_t group = (hash >> 7) & group_mask_;
    const group_match g(ctrl_ + group * group_width);
    if (const std::uint32_t m = g.match_tag(tag_of(hash))) {
      const auto offset = static_cast<std::uint32_t>(lowest_bit_index(m));
      Slot* slot = slots_ + group * group_width + offset;
      if (SYNCMAP_LIKELY(matches(*slot))) return {slot, group, offset};
    } else if (SYNCMAP_LIKELY(g.match_empty() != 0)) {
      return {nullptr, 0, 0};
    }
    return probe_rest();
  }
  // A position from find()'s result.
  position position_of(const Slot* slot) const noexcept {
    if (slot == nullptr) return {nullptr, 0, 0};
    const std::size_t index = index_of(slot);
    return {const_cast<Slot*>(slot), index / group_width,
            static_cast<std::uint32_t>(index % group_width)};
  }

  template <bool ReportRehash>
  using basic_insert_position = flat_insert_position<ReportRehash>;
  using insert_position = flat_insert_position<false>;

  // Looks `hash` up; if absent, makes room (may rehash, calling hash_of(const Slot&) on every
  // element) and returns the free slot to construct in, unclaimed. Strong guarantee.
  template <bool ReportRehash = false, class Matches, class HashOf>
  basic_insert_position<ReportRehash> find_or_prepare_insert(std::uint64_t hash, Matches&& matches,
                                                             HashOf&& hash_of, Allocator& alloc) {
    if (Slot* slot = find(hash, matches)) {
      if constexpr (ReportRehash) {
        return {static_cast<std::size_t>(slot - slots_), true, false};
      } else {
        return {static_cast<std::size_t>(slot - slots_), true};
      }
    }
    std::size_t index = first_free(hash);
    if (SYNCMAP_UNLIKELY(growth_left_ == 0 && ctrl_[index] == ctrl_empty)) {
      // Reusing a tombstone costs no growth; an empty slot does and there is none to spare.
      grow_or_compact(hash_of, alloc);
      index = first_free(hash);
      if constexpr (ReportRehash) return {index, false, true};
    }
    if constexpr (ReportRehash) {
      return {index, false, false};
    } else {
      return {index, false};
    }
  }

  // Whether inserting an absent element with this hash would rebuild the table (grow, or
  // compact its tombstones): what find_or_prepare_insert() decides, asked beforehand so that
  // an owner can first erase elements it no longer needs.
  bool insert_would_rehash(std::uint64_t hash) const noexcept {
    return growth_left_ == 0 && ctrl_[first_free(hash)] == ctrl_empty;
  }

  // Constructs an element at a slot from find_or_prepare_insert() and claims it. If the
  // constructor throws, nothing changed.
  template <class... Args>
  Slot& construct_at(std::size_t index, std::uint64_t hash, Allocator& alloc, Args&&... args) {
    slot_allocator slot_alloc(alloc);
    slot_traits::construct(slot_alloc, slots_ + index, std::forward<Args>(args)...);
    if (ctrl_[index] == ctrl_empty) --growth_left_;
    ctrl_[index] = tag_of(hash);
    ++size_;
    return slots_[index];
  }

  // The slot an insert of an absent element with this hash would use, for a table that
  // reserve() already sized for it (so no rehash is needed). Construct there with construct_at.
  std::size_t free_index_reserved(std::uint64_t hash) const noexcept {
    assert(growth_left_ > 0 && "free_index_reserved() needs room from reserve()");
    return first_free(hash);
  }

  Slot& slot_at(std::size_t index) const noexcept { return slots_[index]; }
  std::size_t index_of(const Slot* slot) const noexcept {
    return static_cast<std::size_t>(slot - slots_);
  }

  void erase_at(std::size_t index, Allocator& alloc) noexcept {
    slot_allocator slot_alloc(alloc);
    slot_traits::destroy(slot_alloc, slots_ + index);
    --size_;
    const std::size_t group_start = index & ~(group_width - 1);
    if (group_match(ctrl_ + group_start).match_empty() != 0) {
      ctrl_[index] = ctrl_empty;  // safe by [I1]: no probe sequence passes this group
      ++growth_left_;
    } else {
      ctrl_[index] = ctrl_deleted;
    }
  }

  // Calls f(Slot&) for each element in slot order; stops early when f returns false (if it
  // returns bool). Returns false if stopped early.
  template <class F>
  bool for_each(F&& f) const {
    for (std::size_t group = 0; group < capacity_; group += group_width) {
      for (std::uint32_t m = group_match(ctrl_ + group).match_full(); m != 0; m &= m - 1) {
        Slot& slot = slots_[group + lowest_bit_index(m)];
        if constexpr (std::is_same_v<decltype(f(slot)), bool>) {
          if (!f(slot)) return false;
        } else {
          f(slot);
        }
      }
    }
    return true;
  }

  // Erases every element for which pred(Slot&) is true. If pred throws, what was erased so
  // far stays erased and the table is consistent.
  template <class Pred>
  std::size_t erase_if(Pred&& pred, Allocator& alloc) {
    std::size_t erased = 0;
    for (std::size_t group = 0; group < capacity_; group += group_width) {
      for (std::uint32_t m = group_match(ctrl_ + group).match_full(); m != 0; m &= m - 1) {
        const std::size_t index = group + lowest_bit_index(m);
        if (pred(slots_[index])) {
          erase_at(index, alloc);
          ++erased;
        }
      }
    }
    return erased;
  }

  // Destroys every element and keeps the storage (as std::unordered_map::clear does).
  void clear(Allocator& alloc) noexcept {
    if (capacity_ == 0) return;  // [I3]: the shared empty group is never written
    destroy_elements(alloc);
    std::memset(ctrl_, ctrl_empty, capacity_);
    size_ = 0;
    growth_left_ = max_load_for(capacity_);
  }

  // Destroys every element and frees the storage; the table is then empty with no storage.
  void destroy(Allocator& alloc) noexcept {
    if (capacity_ == 0) return;
    destroy_elements(alloc);
    free_storage(ctrl_, slots_, capacity_, alloc);
    reset();
  }

  // Makes room for n elements without rehashing. Strong guarantee.
  template <class HashOf>
  void reserve(std::size_t n, HashOf&& hash_of, Allocator& alloc) {
    if (n > max_size()) throw std::length_error("syncmap: reserve() beyond max_size()");
    if (n <= size_ + growth_left_) return;
    rehash_to(groups_for(n), hash_of, alloc);
  }

  // Copies every element of `other` into this empty table (sized for other's elements).
  // Strong guarantee: on a throw this table is left empty with no storage.
  template <class HashOf>
  void copy_from(const flat_table& other, HashOf&& hash_of, Allocator& alloc) {
    fill_from(
        other, [](const Slot& slot) -> const Slot& { return slot; }, hash_of, alloc);
  }

  // Moves every element of `other` into this empty table; `other` keeps its (moved-from)
  // elements until its owner destroys them. Used when storage cannot change hands (move
  // assignment between unequal allocators). On a throw this table is left empty with no
  // storage, and the elements of `other` already moved from stay moved-from.
  template <class HashOf>
  void move_from(flat_table& other, HashOf&& hash_of, Allocator& alloc) {
    fill_from(
        other, [](Slot& slot) -> Slot&& { return std::move(slot); }, hash_of, alloc);
  }

 private:
  // copy_from and move_from: constructs transfer(slot) for each slot of `other`.
  template <class Transfer, class HashOf>
  void fill_from(const flat_table& other, Transfer&& transfer, HashOf&& hash_of, Allocator& alloc) {
    if (other.size_ == 0) return;
    rehash_to(groups_for(other.size_), hash_of, alloc);
    try {
      other.for_each([&](Slot& slot) {
        const std::uint64_t hash = hash_of(slot);
        construct_at(first_free(hash), hash, alloc, transfer(slot));
      });
    } catch (...) {
      destroy(alloc);
      throw;
    }
  }

  std::size_t first_free(std::uint64_t hash) const noexcept {
    std::size_t group = (hash >> 7) & group_mask_;
    for (std::size_t step = 1;; ++step) {
      const std::uint32_t m = group_match(ctrl_ + group * group_width).match_empty_or_deleted();
      if (m != 0) return group * group_width + lowest_bit_index(m);
      group = (group + step) & group_mask_;  // terminates by [I2]
    }
  }

  template <class HashOf>
  void grow_or_compact(HashOf&& hash_of, Allocator& alloc) {
    // Mostly tombstones: rebuild at the same size. Otherwise double.
    const std::size_t groups = capacity_ / group_width;
    if (capacity_ != 0 && size_ * 16 <= capacity_ * 7) {
      rehash_to(groups, hash_of, alloc);
    } else {
      rehash_to(groups == 0 ? 1 : groups * 2, hash_of, alloc);
    }
  }

  // Moves every element into fresh arrays of `groups` groups. Strong guarantee: if hashing,
  // allocating or constructing throws, the old arrays are untouched and still in use.
  template <class HashOf>
  void rehash_to(std::size_t groups, HashOf&& hash_of, Allocator& alloc) {
    const std::size_t new_capacity = groups * group_width;
    const std::pair<ctrl_t*, Slot*> storage = allocate_storage(new_capacity, alloc);
    ctrl_t* const new_ctrl = storage.first;  // (not a structured binding: lambdas capture it)
    Slot* const new_slots = storage.second;
    std::memset(new_ctrl, ctrl_empty, new_capacity);
    const std::size_t new_mask = groups - 1;
    auto place = [&](std::uint64_t hash) noexcept {
      std::size_t group = (hash >> 7) & new_mask;
      for (std::size_t step = 1;; ++step) {
        const std::uint32_t m = group_match(new_ctrl + group * group_width).match_empty();
        if (m != 0) {
          const std::size_t index = group * group_width + lowest_bit_index(m);
          new_ctrl[index] = tag_of(hash);
          return index;
        }
        group = (group + step) & new_mask;
      }
    };
    constexpr bool nothrow_hash = noexcept(hash_of(std::declval<const Slot&>()));
    constexpr bool nothrow_move = std::is_nothrow_move_constructible_v<Slot>;
    slot_allocator slot_alloc(alloc);
    if (size_ == 0) {
      // Nothing to move (first allocation, or a table emptied by erases).
    } else if constexpr (nothrow_hash && nothrow_move) {
      // Nothing below can throw: move each element straight across.
      for_each([&](Slot& slot) {
        const std::size_t index = place(hash_of(slot));
        slot_traits::construct(slot_alloc, new_slots + index, std::move(slot));
        slot_traits::destroy(slot_alloc, &slot);
      });
    } else {
      // Two phases, so that a throw leaves the old arrays intact: first hash every element
      // (may throw) and claim its new slot, then copy-or-move each across (copying may throw
      // when the move constructor could). On a throw, only the new copies are undone.
      index_allocator index_alloc(alloc);
      std::size_t* target = index_traits::allocate(index_alloc, size_);
      std::size_t constructed = 0;
      try {
        std::size_t hashed = 0;
        for_each([&](Slot& slot) { target[hashed++] = place(hash_of(slot)); });
        for_each([&](Slot& slot) {
          slot_traits::construct(slot_alloc, new_slots + target[constructed],
                                 std::move_if_noexcept(slot));
          ++constructed;
        });
      } catch (...) {
        for (std::size_t i = 0; i < constructed; ++i) {
          slot_traits::destroy(slot_alloc, new_slots + target[i]);
        }
        index_traits::deallocate(index_alloc, target, size_);
        free_storage(new_ctrl, new_slots, new_capacity, alloc);
        throw;
      }
      index_traits::deallocate(index_alloc, target, size_);
      destroy_elements(alloc);
    }
    if (capacity_ != 0) free_storage(ctrl_, slots_, capacity_, alloc);
    ctrl_ = new_ctrl;
    slots_ = new_slots;
    capacity_ = new_capacity;
    group_mask_ = new_mask;
    growth_left_ = max_load_for(new_capacity) - size_;
  }

  static void destroy_range(ctrl_t* ctrl, Slot* slots, std::size_t capacity,
                            slot_allocator& slot_alloc) noexcept {
    for (std::size_t group = 0; group < capacity; group += group_width) {
      for (std::uint32_t m = group_match(ctrl + group).match_full(); m != 0; m &= m - 1) {
        slot_traits::destroy(slot_alloc, slots + group + lowest_bit_index(m));
      }
    }
  }

  void destroy_elements(Allocator& alloc) noexcept {
    if constexpr (!std::is_trivially_destructible_v<Slot>) {
      slot_allocator slot_alloc(alloc);
      destroy_range(ctrl_, slots_, capacity_, slot_alloc);
    } else {
      (void)alloc;
    }
  }

  static std::pair<ctrl_t*, Slot*> allocate_storage(std::size_t capacity, Allocator& alloc) {
    ctrl_allocator ctrl_alloc(alloc);
    slot_allocator slot_alloc(alloc);
    ctrl_group* groups = ctrl_traits::allocate(ctrl_alloc, capacity / group_width);
    Slot* slots;
    try {
      slots = slot_traits::allocate(slot_alloc, capacity);
    } catch (...) {
      ctrl_traits::deallocate(ctrl_alloc, groups, capacity / group_width);
      throw;
    }
    return {reinterpret_cast<ctrl_t*>(groups), slots};
  }

  static void free_storage(ctrl_t* ctrl, Slot* slots, std::size_t capacity,
                           Allocator& alloc) noexcept {
    ctrl_allocator ctrl_alloc(alloc);
    slot_allocator slot_alloc(alloc);
    slot_traits::deallocate(slot_alloc, slots, capacity);
    ctrl_traits::deallocate(ctrl_alloc, reinterpret_cast<ctrl_group*>(ctrl),
                            capacity / group_width);
  }

  void reset() noexcept {
    ctrl_ = const_cast<ctrl_t*>(empty_ctrl_group.bytes);  // [I3]: read-only, never written
    slots_ = nullptr;
    capacity_ = 0;
    group_mask_ = 0;
    size_ = 0;
    growth_left_ = 0;
  }

  void steal(flat_table& other) noexcept {
    ctrl_ = other.ctrl_;
    slots_ = other.slots_;
    capacity_ = other.capacity_;
    group_mask_ = other.group_mask_;
    size_ = other.size_;
    growth_left_ = other.growth_left_;
    other.reset();
  }

  ctrl_t* ctrl_ = const_cast<ctrl_t*>(empty_ctrl_group.bytes);  // [I3]
  Slot* slots_ = nullptr;
  std::size_t capacity_ = 0;     // slots; 0 or a power of two >= group_width
  std::size_t group_mask_ = 0;   // capacity_ / group_width - 1 (0 without storage)
  std::size_t size_ = 0;         // full slots
  std::size_t growth_left_ = 0;  // [I2]
};

}  // namespace detail
SYNCMAP_NAMESPACE_END

#endif  // SYNCMAP_DETAIL_FLAT_TABLE_HPP
