// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// rcu_read_table: the immutable read table of rcu_map (rcu_core.hpp), in one of two layouts.
//
// Go's read table maps a key to an entry, so a load hit follows table -> entry -> value box:
// on a table larger than the cache, three dependent misses where a plain hash table takes
// one. For small trivially copyable Key and T (rcu_inline_values) the read table instead
// keeps, in its slots, a copy of each key and of the value its entry had at promotion, so a
// hit on a key not written since reads one slot, as a flat hash map does:
//
//   slots    {Key, T} per slot (a flat_table): what a lookup reads; as compact as a plain
//            flat hash map of Key -> T, so the table is no larger than theirs
//   entries  Entry* per slot, index-parallel to the slots: read by writers, whole-table
//            walks, and lookups of keys whose copy is stale
//   stale    one bit per slot (a 16-bit atomic word per group of 16 slots, capacity / 8
//            bytes: small enough to stay cached): set when the copy no longer reflects the
//            entry. Kept by group so that a lookup tests its bit with the group and offset
//            the probe already has, without computing the slot index.
//
// Rules (rcu_core.hpp [T1], [T2] say why they make lookups linearizable):
//   - Built by a holder of the map's mutex and published once complete; after publication
//     the slots and the entries never change, and a stale bit only ever goes from clear to
//     set, by a holder of the mutex.
//   - Building is two-phase: place() (may throw: hashing, allocation) and then, after every
//     entry is placed, fill() of each slot (noexcept), so a failed build leaves no trace in
//     the entries.
//
// Otherwise (strings, large or non-trivially-copyable types) the read table is the dirty
// table's flat_table<Entry*> moved over at promotion, in O(1) as in Go, and every lookup
// follows the entry.
#ifndef SYNCMAP_DETAIL_RCU_READ_TABLE_HPP
#define SYNCMAP_DETAIL_RCU_READ_TABLE_HPP

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "config.hpp"
#include "flat_table.hpp"

SYNCMAP_NAMESPACE_BEGIN
namespace detail {

// Whether read tables keep copies: only for trivially copyable types (copying one runs no user
// code, cannot throw and needs no destruction) small enough to keep slots compact.
template <class Key, class T>
inline constexpr bool rcu_inline_values =
    std::is_trivially_copyable_v<Key>&& std::is_trivially_copyable_v<T> &&
    sizeof(Key) + sizeof(T) <= 4 * sizeof(void*);

// A key by value when that is cheap: its address passed to an out-of-line call would keep the
// caller's key in memory on the inline fast path too.
template <class K>
using by_value_if_cheap =
    std::conditional_t<std::is_trivially_copyable_v<K> && sizeof(K) <= 2 * sizeof(void*), K,
                       const K&>;

template <class Entry, class Key, class T, class Allocator, bool Inline = rcu_inline_values<Key, T>>
class rcu_read_table;

// The layout without copies: the dirty table's flat_table<Entry*>, taken over whole.
template <class Entry, class Key, class T, class Allocator>
class rcu_read_table<Entry, Key, T, Allocator, false> {
 public:
  using dirty_table = flat_table<Entry*, Allocator>;
  static constexpr bool has_copies = false;
  using slot_type = Entry*;

  // Promotion: takes the dirty table's storage. Entries keep the references dirty_ held.
  template <class HashOf, class OnPlaced>
  bool take(dirty_table& dirty, HashOf&&, Allocator&, OnPlaced&&) noexcept {
    table_ = std::move(dirty);
    return true;  // no copies to fill
  }

  // A lookup's result: the slot of the key, if any.
  struct found_slot {
    const slot_type* slot = nullptr;
    explicit operator bool() const noexcept { return slot != nullptr; }
  };

  template <class K, class KeyEqual>
  SYNCMAP_ALWAYS_INLINE found_slot find_slot(std::uint64_t hash, const K& key,
                                             const KeyEqual& eq) const {
    return {table_.find(hash, [&](Entry* const& e) { return static_cast<bool>(eq(e->key, key)); })};
  }
  static Entry* entry_of(found_slot found) noexcept { return *found.slot; }
  static constexpr bool is_fresh(found_slot) noexcept { return false; }  // no copies
  static const T& value_in(found_slot) noexcept;  // never called: nothing is fresh
  std::size_t find_entry(std::uint64_t hash, const Entry* e) const noexcept {
    Entry* const* slot = table_.find(hash, [&](Entry* const& other) { return other == e; });
    return slot == nullptr ? npos : table_.index_of(slot);
  }

  void mark_stale(std::size_t) noexcept {}

  // f(Entry*) for each entry; stops early when f returns false (if it returns bool).
  template <class F>
  bool for_each_entry(F&& f) const {
    return table_.for_each([&](Entry* const& e) { return f(e); });
  }
  std::size_t size() const noexcept { return table_.size(); }
  // The most entries a table of this layout can hold.
  static std::size_t max_size() noexcept { return dirty_table::max_size(); }
  void destroy(Allocator& alloc) noexcept { table_.destroy(alloc); }

  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

 private:
  dirty_table table_;
};

// The layout with copies: slots of {Key, T bytes}, plus the entries and the stale bits.
template <class Entry, class Key, class T, class Allocator>
class rcu_read_table<Entry, Key, T, Allocator, true> {
  // Trivially copyable, like Key and T. The value bytes hold a T only while the slot's stale
  // bit is clear at publication (a key with no value has none).
  struct key_value {
    explicit key_value(const Key& k) noexcept : key(k) {}
    Key key;
    alignas(T) unsigned char value[sizeof(T)];
  };
  using slot_table = flat_table<key_value, Allocator>;
  using entry_allocator = typename std::allocator_traits<Allocator>::template rebind_alloc<Entry*>;
  using entry_traits = std::allocator_traits<entry_allocator>;
  using stale_word = std::atomic<std::uint16_t>;  // one per group: bit i = slot i
  static_assert(group_width == 16, "a stale word has a bit per slot of a group");
  using stale_allocator =
      typename std::allocator_traits<Allocator>::template rebind_alloc<stale_word>;
  using stale_traits = std::allocator_traits<stale_allocator>;

 public:
  using dirty_table = flat_table<Entry*, Allocator>;
  static constexpr bool has_copies = true;
  static constexpr std::size_t npos = static_cast<std::size_t>(-1);

  rcu_read_table() noexcept = default;
  rcu_read_table(const rcu_read_table&) = delete;
  rcu_read_table& operator=(const rcu_read_table&) = delete;
  ~rcu_read_table() = default;  // storage is released by destroy(alloc), which the owner calls

  // Promotion, phase 1 (may throw; on a throw this table is left empty): sizes the table for
  // the dirty table's entries and places each one, every slot stale. The entries are not
  // touched. Then the dirty table's storage is released; its references on the entries now
  // belong to this table.
  // When hash_of cannot throw, nothing can after the allocations, so phase 2 runs in the same
  // pass: on_placed(index) right after each entry is placed, while it is still in cache (two
  // passes missed the cache twice per entry on a large table). Returns whether it did.
  template <class HashOf, class OnPlaced>
  bool take(dirty_table& dirty, HashOf&& hash_of, Allocator& alloc, OnPlaced&& on_placed) {
    constexpr bool one_pass = noexcept(hash_of(std::declval<const Key&>()));
    const auto hash_of_slot = [&](const key_value& s) { return hash_of(s.key); };
    try {
      slots_.reserve(dirty.size(), hash_of_slot, alloc);
      const std::size_t capacity = slots_.capacity();
      entry_allocator entry_alloc(alloc);
      entries_ = entry_traits::allocate(entry_alloc, capacity);
      stale_allocator stale_alloc(alloc);
      stale_words_ = capacity / group_width;
      stale_ = stale_traits::allocate(stale_alloc, stale_words_);
      for (std::size_t i = 0; i < stale_words_; ++i) {
        stale_traits::construct(stale_alloc, stale_ + i, std::uint16_t{0xFFFF});
      }
      dirty.for_each([&](Entry* const& e) {
        const std::uint64_t hash = hash_of(e->key);
        const std::size_t index = slots_.free_index_reserved(hash);
        slots_.construct_at(index, hash, alloc, e->key);  // trivially copyable: cannot throw
        entries_[index] = e;
        if constexpr (one_pass) on_placed(index);
      });
    } catch (...) {
      destroy(alloc);
      throw;
    }
    dirty.destroy(alloc);  // Entry* slots: nothing to release, the references moved here
    return one_pass;
  }

  // Promotion, phase 2 (noexcept, before publication): gives slot `index` the copy `value`.
  void fill(std::size_t index, const T& value) noexcept {
    ::new (static_cast<void*>(slots_.slot_at(index).value)) T(value);  // trivially copyable
    // relaxed: not yet published; the release store that publishes the table orders it.
    // A load and a store, not an RMW: only the builder writes an unpublished table.
    stale_word& word = stale_[index / group_width];
    word.store(static_cast<std::uint16_t>(word.load(std::memory_order_relaxed) & ~bit_of(index)),
               std::memory_order_relaxed);
  }

  using slot_type = key_value;

  // A lookup's result: the slot of the key (nullptr if none), with where the probe found it,
  // so that the stale bit and the entry are reached without computing the slot's index from
  // its address (the read path works on these, not on indexes, which saves it an npos test).
  struct found_slot {
    const slot_type* slot = nullptr;
    std::size_t group = 0;
    std::uint32_t offset = 0;
    explicit operator bool() const noexcept { return slot != nullptr; }
  };

  template <class K, class KeyEqual>
  SYNCMAP_ALWAYS_INLINE found_slot find_slot(std::uint64_t hash, const K& key,
                                             const KeyEqual& eq) const {
    const auto found = slots_.find_position_first_group_inline(
        hash, [&](const key_value& s) { return static_cast<bool>(eq(s.key, key)); },
        [&] { return slots_.position_of(find_slot_out_of_line<K>(hash, key, eq)); });
    return {found.slot, found.group, found.offset};
  }
  // The whole probe, for lookups the first group does not settle (a tag match on another
  // key, or a full first group): out of line, so that the inline part keeps no probe state
  // live (GCC spilled the group mask and the control pointer on every hit). Part of the hit
  // path: tests/read_path checks it too.
  template <class K, class KeyEqual>
  SYNCMAP_NOINLINE const key_value* find_slot_out_of_line(std::uint64_t hash,
                                                          by_value_if_cheap<K> key,
                                                          const KeyEqual& eq) const {
    return slots_.find(hash, [&](const key_value& s) { return static_cast<bool>(eq(s.key, key)); });
  }
  // From the slot's address, not the group and offset: those would then stay live (spilled)
  // through every hit for the sake of the rarer stale one.
  Entry* entry_of(found_slot found) const noexcept { return entries_[slots_.index_of(found.slot)]; }
  // Whether the slot's copy still holds (then value_in(slot) is the value). relaxed: a writer
  // sets the stale bit before it replaces the value, in the same thread, and publishes the new
  // value with a release CAS (rcu_core [P2]); a reader ordered after that CAS (having seen the
  // new value, or anything published after it) is therefore ordered after the bit by
  // coherence, and a reader that is not may linearize before the write [T2].
  SYNCMAP_ALWAYS_INLINE bool is_fresh(found_slot found) const noexcept {
    return !((stale_[found.group].load(std::memory_order_relaxed) >> found.offset) & 1u);
  }
  static const T& value_in(found_slot found) noexcept {
    return *std::launder(reinterpret_cast<const T*>(found.slot->value));
  }
  std::size_t find_entry(std::uint64_t hash, const Entry* e) const noexcept {
    const key_value* slot =
        slots_.find(hash, [&](const key_value& s) { return entries_[slots_.index_of(&s)] == e; });
    return slot == nullptr ? npos : slots_.index_of(slot);
  }

  Entry* entry_at(std::size_t index) const noexcept { return entries_[index]; }

  // The map's mutex held. relaxed: see is_fresh(); the writer's later CAS orders it.
  void mark_stale(std::size_t index) noexcept {
    stale_[index / group_width].fetch_or(bit_of(index), std::memory_order_relaxed);
  }

  template <class F>
  bool for_each_entry(F&& f) const {
    return slots_.for_each([&](const key_value& s) { return f(entries_[slots_.index_of(&s)]); });
  }
  template <class F>
  void for_each_index(F&& f) const {
    slots_.for_each([&](const key_value& s) { f(slots_.index_of(&s)); });
  }
  std::size_t size() const noexcept { return slots_.size(); }
  // The most entries a table of this layout can hold: its slots are the larger part.
  static std::size_t max_size() noexcept {
    const std::size_t by_slots = slot_table::max_size();
    const std::size_t by_entries = dirty_table::max_size();  // the Entry* array is as large
    return by_slots < by_entries ? by_slots : by_entries;
  }

  void destroy(Allocator& alloc) noexcept {
    const std::size_t capacity = slots_.capacity();
    if (entries_ != nullptr) {
      entry_allocator entry_alloc(alloc);
      entry_traits::deallocate(entry_alloc, entries_, capacity);
      entries_ = nullptr;
    }
    if (stale_ != nullptr) {
      stale_allocator stale_alloc(alloc);
      stale_traits::deallocate(stale_alloc, stale_, stale_words_);  // trivially destructible
      stale_ = nullptr;
      stale_words_ = 0;
    }
    slots_.destroy(alloc);
  }

 private:
  static constexpr std::uint16_t bit_of(std::size_t index) noexcept {
    return static_cast<std::uint16_t>(1u << (index % group_width));
  }

  slot_table slots_;
  Entry** entries_ = nullptr;    // slots_.capacity() of them, index-parallel to slots_
  stale_word* stale_ = nullptr;  // one word per group, a bit per slot, set = stale (or empty)
  std::size_t stale_words_ = 0;
};

}  // namespace detail
SYNCMAP_NAMESPACE_END

#endif  // SYNCMAP_DETAIL_RCU_READ_TABLE_HPP
