// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// rcu_core: the machinery behind syncmap::rcu_map, a C++ rendering of Go's sync.Map as it was
// before Go 1.24 (src/sync/map.go, the read/dirty design), with epoch-based reclamation
// (epoch.hpp) standing in for Go's garbage collector.
//
// Go -> syncmap
//   Map.read (atomic *readOnly)   read_: atomic word = read_table* | amended bit. One load gives
//                                 the table and the flag together, as Go's readOnly struct does
//                                 (a separate flag could pair an old table with a new flag).
//                                 Lookups load lookup_table_, read_'s table alone, and read
//                                 read_ only after a miss, to compare [D5].
//   readOnly.m                    read_table::table, an rcu_read_table (rcu_read_table.hpp):
//                                 key -> entry, plus key and value copies for small trivially
//                                 copyable types; immutable once published but for its stale
//                                 bits [T2], so readers probe it with no lock.
//   readOnly.amended              the low bit of read_: the dirty table has keys read lacks;
//                                 and, per read table, which keys those may be (new_keys, a
//                                 bit per hash bucket [F1]), so that a miss of any other key
//                                 needs no lock where Go's takes it.
//   Map.dirty (nil or a map)      dirty_ (a flat_table<entry*>) with dirty_valid_ for "non-nil";
//                                 guarded by mu_.
//   Map.misses                    misses_, guarded by mu_.
//   Map.mu                        mu_.
//   entry.p == value pointer      entry::p points to an immutable value box.
//   entry.p == nil                entry::p == nullptr: deleted; the entry is in the dirty table
//                                 if there is one, so a store may revive it without the lock.
//   entry.p == expunged           entry::p == expunged(): deleted *and* absent from dirty_; only
//                                 a holder of mu_ may revive it (unexpunge + insert into dirty_).
//   Load / Store / LoadOrStore /  load / store / load_or_store / load_and_delete, erase /
//   LoadAndDelete, Delete / Swap  exchange / compare_and_swap / compare_and_delete: the same
//   / CompareAndSwap /            fast path (an entry found in the read table is changed with a
//   CompareAndDelete              CAS on entry::p, no lock) and slow path (mu_, read then dirty,
//                                 miss accounting) as Go; but store and exchange also count a
//                                 miss when they find the key only in dirty_ (Go's Store and
//                                 Swap do not, so a key only ever written stays locked).
//   missLocked                    miss_locked(): misses_ reaching dirty_.size() promotes dirty_.
//   dirtyLocked                   dirty_locked(): rebuilds dirty_ from the read table, expunging
//                                 deleted entries (nil -> expunged) instead of copying them.
//   Range                         for_each(): promotes first if amended, then walks one read
//                                 table with no lock held; the callback may call the map.
//   Clear                         clear(): under mu_, publishes an empty read table and turns
//                                 every entry's pointer to expunged, so a racing fast-path write
//                                 fails over to the lock instead of landing in a dead entry.
//   (GC)                          retire_list: boxes replaced or deleted, read tables replaced,
//                                 and entries no table holds are retired and freed two epochs
//                                 later, when no read section can still see them.
//
// Lifetimes (what keeps each object alive, and who retires it)
//   value box    owned by the entry whose p points at it. The thread whose CAS or exchange
//                takes it out of p retires it; a box never published is freed directly.
//   entry        holds table_refs = the number of tables that contain it (current read table,
//                dirty table, retired read tables not yet reclaimed or still pinned by a
//                for_each), plus one "hold" per operation that found it in the dirty table and
//                goes on using it after releasing mu_. [E1] table_refs is incremented only by a
//                holder of mu_ that also holds a reference (copying read into dirty, taking a
//                hold), so it never rises from zero.
//                [E2] The thread that drops table_refs to zero frees the entry (and its last
//                box) at once, without a grace period: a reader reaches an entry only through
//                a read table (whose release comes a grace period after it was unpublished,
//                so every section that probed it has closed), through the dirty table under
//                mu_ (it then takes a hold before unlocking), or through a pinned table (the
//                pin holds a reference). Freeing directly keeps entries out of the retire
//                list, so releasing a table of n expunged entries cannot push the garbage
//                count past its bound (I4 in epoch.hpp).
//   read table   holders = 1 while published or retired-but-not-reclaimed, plus one per
//                running for_each that pinned it. Whoever drops holders to zero destroys it,
//                releasing its entries' table_refs.
//
// Read sections: every operation that dereferences a table, entry or box does so inside a
// read section of the map's epoch domain (epoch.hpp); everything it takes out of the map is
// retired only after the section closes and mu_ is released, so a thread never waits for a
// grace period while holding mu_ or while inside its own section.
//
// Memory-order labels (each appears again at its sites)
//   [R1] read_ is stored with release (promotion, a new amended bit) under mu_ and loaded
//        with acquire by every lock-free reader: a reader that sees a read table sees the
//        table's contents, which were written before publication and never after [D4].
//        lookup_table_ likewise (promotion) [D5]. clear()'s stores of 0 are relaxed: they
//        name no table.
//   [P1] entry::p is loaded with acquire by every reader that dereferences the box it gets:
//        the box's value was constructed before it was published by [P2].
//   [P2] every write that publishes a box into entry::p (CAS, exchange) is acq_rel: release
//        publishes the box's value to [P1]; acquire makes the box it replaces, which the
//        writer retires and may copy (exchange, load_and_delete), fully visible to it.
//   [P3] a CAS that takes out a box its writer retires (store, exchange, update, upsert,
//        erase, compare_*, erase_if) is seq_cst: its place in the total order S stands in for
//        the fence [R] that retire() would issue (retire_unfenced, [R'] in epoch.hpp). On
//        x86-64 the instruction is the same `lock cmpxchg`; clear() and promotions retire
//        what a plain store or an acq_rel exchange unlinked, and pay the fence.
//   Entry reference counts (table_refs) and read-table holders are incremented relaxed by
//   someone who already holds a reference, and decremented acq_rel so that the last dropper
//   sees every use made through the others before it frees ([E1], [E2]).
//   Reclamation (read sections, retire, grace periods) has its own labels in epoch.hpp.
//
// Value copies in the read table (rcu_inline_values: small trivially copyable Key and T)
//   Go's read table maps a key to an entry, so a load hit follows table -> entry -> value box:
//   three dependent cache misses on a large table where a plain hash table takes one. For
//   small trivially copyable types the read table (rcu_read_table.hpp) also keeps a copy of
//   each key and of the value the entry had at promotion, with a stale bit per slot, and a
//   load hit on a key not written since the promotion reads only the table.
//   [T1] promote_locked() tags the value pointer (entry::p, low bit) of every entry whose value
//        it copies, before publishing the table. A tagged value is replaced only by a holder of
//        mu_, who first marks the copy in the published read table stale and then stores the
//        same box untagged (untag_locked); lock-free writers CAS only untagged values, so a
//        tag set by a racing promotion makes their CAS fail and send them to untag(). Hence a
//        tagged entry is in the published read table with a fresh copy of its current value.
//   [T2] While a table is the published read table, a slot whose stale bit is clear holds the
//        entry's current value. A reader that loaded the table at time t and then reads a clear
//        bit returns a value the key had at t (the bit never clears after publication), so it
//        linearizes at t. Tables no longer published are not kept fresh: for_each, which may
//        hold an old table for long, always reads through the entry.
//   The cost: the first write to a key after each promotion takes mu_ once (untag), and reads
//   of a key written since the last promotion follow the entry as in Go.
//
// Invariants (mu_ held)
//   [D1] dirty_valid_ => every non-expunged entry of the read table is in dirty_.
//   [D2] an entry is expunged only while dirty_valid_ and only if it is not in dirty_.
//   [D3] read_ has the amended bit => dirty_valid_ and dirty_ holds a key the read table lacks.
//   [D4] read_ is written only under mu_; a read table is never modified after publication.
//   [D5] lookup_table_ is written only under mu_, right after each store to read_ that changes
//        its table, and then names read_'s table, or empty_read_table when read_ names none
//        (never null): the two differ only while mu_ is held, and a lookup that sees them
//        differ takes the slow path (absent_unless_amended). A replaced table is retired after
//        both stores, so a reader that loaded either may use it.
//   [F1] While read_ names table T, every key added to dirty_ that T lacks has its bucket set in
//        T->new_keys: add_new_entry_locked() notes it, under mu_, after the insert; the other
//        ways into dirty_ (dirty_locked() copying T, reviving an expunged entry of T) bring keys
//        T has, and a promotion publishes a table holding all of dirty_ with an empty filter.
//        So a lookup that missed T, then loaded read_ == T | amended and a clear bit, may answer
//        absent, linearizing at that load: an add that happens-before the lookup set the bit
//        before it (coherence makes the lookup see it: bits are never cleared), and an add that
//        does not may be ordered after the lookup. The bit is a one-hash Bloom filter: another
//        key's bit only sends the lookup to mu_, as the amended bit alone always did.
//
// Statistics (SYNCMAP_STATS, stats.hpp): rcu_core derives from rcu_counters, empty and with
// no-op members unless enabled. Counted at: a read-table hit of find_in_read_table
// (striped per thread), miss_locked, a successful promote_locked, phase 2 of dirty_locked
// (entries expunged), and retire_all (objects retired).
#ifndef SYNCMAP_DETAIL_RCU_CORE_HPP
#define SYNCMAP_DETAIL_RCU_CORE_HPP

#include <atomic>
#include <cassert>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "../rw_spinlock.hpp"
#include "box_cache.hpp"
#include "config.hpp"
#include "epoch.hpp"
#include "flat_table.hpp"
#include "hash.hpp"
#include "new_key_filter.hpp"
#include "rcu_read_table.hpp"
#include "stats.hpp"

SYNCMAP_NAMESPACE_BEGIN
namespace detail {

// The address that stands for Go's `expunged`; never dereferenced.
alignas(64) inline constexpr unsigned char rcu_expunged_marker[64] = {};

template <class Key, class T, class Hash, class KeyEqual, class Allocator>
class rcu_core : private rcu_counters<stats_enabled> {  // empty unless SYNCMAP_STATS
 public:
  using size_type = std::size_t;

  struct box : retired_node {
    template <class... Args>
    explicit box(Args&&... args) : value(std::forward<Args>(args)...) {}
    const T value;  // immutable once published: readers copy it with no lock
  };

  // Not a retired_node: an entry is freed directly by whoever drops its last table
  // reference [E2], never through the retire list.
  struct entry {
    template <class KeyArg>
    entry(KeyArg&& k, box* initial) : key(std::forward<KeyArg>(k)), p(initial) {}
    const Key key;
    // nullptr (deleted), expunged(), or the current value box. See the Go mapping above.
    std::atomic<box*> p;
    // The tables holding this entry, plus one per operation that found it in the dirty table
    // and keeps using it after releasing mu_ (a "hold"). See "Lifetimes", [E1] and [E2].
    std::atomic<std::size_t> table_refs{1};
  };

  using table_type = flat_table<entry*, Allocator>;  // the dirty table
  using read_index = rcu_read_table<entry, Key, T, Allocator>;
  static constexpr bool inline_values = read_index::has_copies;

  struct read_table : retired_node {
    read_index table;
    // 1 while published or retired-and-unreclaimed, +1 per for_each that pinned it.
    std::atomic<std::size_t> holders{1};
    // The keys added to dirty_ while this table was published, by hash bucket [F1].
    new_key_filter new_keys;
  };
  // What lookup_table_ names while read_ names no table: holds no key, so a lookup needs no
  // null test. Never published in read_, retired or written.
  static const read_table empty_read_table;

  explicit rcu_core(const Hash& hash, const KeyEqual& eq, const Allocator& alloc)
      : hash_(hash), eq_(eq), alloc_(alloc), domain_(&default_epoch_domain()), retired_(*domain_) {}

  rcu_core(const rcu_core&) = delete;
  rcu_core& operator=(const rcu_core&) = delete;

  ~rcu_core() { destroy_all(); }

  // ---- lookups ----

  template <class K>
  SYNCMAP_ALWAYS_INLINE std::optional<T> load(const K& key) const {
    if constexpr (inline_values) {
      return load_inline(key);
    } else {
      return with_value_for_read(key, [](const T* v) -> std::optional<T> {
        if (v == nullptr) return std::nullopt;
        return *v;
      });
    }
  }

  template <class K>
  SYNCMAP_ALWAYS_INLINE bool contains(const K& key) const {
    return with_value_for_read(key, [](const T* v) { return v != nullptr; });
  }

  template <class K, class F>
  bool visit(const K& key, F& f) const {
    return with_value_for_read(key, [&](const T* v) {
      if (v == nullptr) return false;
      f(*v);
      return true;
    });
  }

  // ---- single-key writes ----

  // Stores `value`; returns whether the key was absent. If `previous` is given, it receives a
  // copy of the value replaced (or stays empty), made *before* the new box is published, so
  // a throwing copy leaves the map unchanged. store() and exchange() share it.
  template <class KeyArg>
  bool store(KeyArg&& key, T&& value, std::optional<T>* previous) {
    const std::uint64_t hash = hash_key(hash_, key);
    box* fresh = make_box(std::move(value));
    retire_at_exit deferred{*this, {}};
    try {
      read_guard section(*domain_);
      entry* e = find(read_table_of(load_read()), hash, key);
      box* old = expunged();
      if (e != nullptr) old = swap_in(e, hash, fresh, previous, false);  // fast path: no lock
      if (old == expunged()) {
        std::lock_guard<writer_mutex> lock(mu_);
        const std::uintptr_t read = read_.load(std::memory_order_relaxed);  // mu_ held [D4]
        if ((e = find(read_table_of(read), hash, key)) != nullptr) {
          if (e->p.load(std::memory_order_relaxed) == expunged()) {  // mu_ held: stable [D2]
            insert_into_dirty_locked(e, hash);
            e->table_refs.fetch_add(1, std::memory_order_relaxed);  // [E1]: read holds one
            e->p.store(nullptr, std::memory_order_relaxed);         // unexpunge: mu_ held, no data
          }
          old = swap_in_locked(e, hash, fresh, previous);  // not expunged now: mu_ held [D2]
        } else if ((e = find(&dirty_, hash, key)) != nullptr) {
          old = swap_in_locked(e, hash, fresh, previous);  // in dirty_, so not expunged [D2]
          // Not in Go (its Store and Swap count no miss): without it, a key written again and
          // again but never loaded stays in dirty_ only, and every write of it takes mu_
          // (go_SwapCollision). Counted after the swap: a promotion copies the new value.
          miss_locked(deferred.trash);
        } else {
          add_new_entry_locked(std::forward<KeyArg>(key), hash, fresh);
          old = nullptr;
        }
      }
      fresh = nullptr;  // published; nothing below throws
      if (old != nullptr) {
        deferred.trash.add_unlinked_by_seq_cst_rmw(old);  // [P3]; after the section closes
        return false;
      }
      count_.fetch_add(1, std::memory_order_relaxed);  // statistic only
      return true;
    } catch (...) {
      free_box(fresh);
      throw;
    }
  }

  // A value box this thread built and has not published; freed on scope exit unless taken.
  struct owned_box {
    const rcu_core& core;
    box* ptr = nullptr;
    ~owned_box() { core.free_box(ptr); }
  };

  // Go LoadOrStore / try_emplace / load_or_store_with / the insert half of upsert: if the key
  // holds a value, returns on_existing(box) (called inside the read section); otherwise
  // publishes fresh.ptr, first building it with make_box_once() if the caller has none yet
  // (a make_box_once() that returns nullptr means "only look": the key is absent and nothing
  // was inserted, result {nullopt, false}).
  // fresh.ptr is reset when published; an unpublished box stays with the caller, so a retry
  // never builds a second one. Returns {on_existing's result or nullopt, inserted}.
  template <class KeyArg, class MakeBox, class OnExisting>
  auto insert_if_absent(KeyArg&& key, owned_box& owned, MakeBox&& make_box_once,
                        OnExisting&& on_existing)
      -> std::pair<std::optional<std::invoke_result_t<OnExisting&, const box*>>, bool> {
    using existing_result = std::invoke_result_t<OnExisting&, const box*>;
    const std::uint64_t hash = hash_key(hash_, key);
    box*& fresh = owned.ptr;
    retire_at_exit deferred{*this, {}};
    garbage& trash = deferred.trash;
    {
      for (;;) {
        read_guard section(*domain_);
        // Fast path: an entry in the read table that is not expunged takes a box with a CAS.
        if (entry* e = find(read_table_of(load_read()), hash, key)) {
          box* b = e->p.load(std::memory_order_acquire);  // [P1]
          if (b != nullptr && b != expunged()) {
            return {existing_result(on_existing(untagged(b))), false};
          }
          if (b == nullptr) {
            if (fresh == nullptr) {
              fresh = make_box_once();
              if (fresh == nullptr) return {std::nullopt, false};  // "only look"
              continue;  // the state may have changed while we built it
            }
            if (e->p.compare_exchange_strong(b, fresh, std::memory_order_acq_rel,
                                             std::memory_order_acquire)) {  // [P2]
              fresh = nullptr;
              count_.fetch_add(1, std::memory_order_relaxed);  // statistic only
              return {std::nullopt, true};
            }
            continue;  // lost a race: look again
          }
        }
        std::unique_lock<writer_mutex> lock(mu_);
        const std::uintptr_t read = read_.load(std::memory_order_relaxed);  // mu_ held [D4]
        entry* e = find(read_table_of(read), hash, key);
        const bool in_read = (e != nullptr);
        if (!in_read) e = find(&dirty_, hash, key);
        if (e != nullptr) {
          box* b = e->p.load(std::memory_order_acquire);  // [P1]
          if (b != nullptr && b != expunged()) {
            if (!in_read) miss_locked(trash);
            lock.unlock();
            return {existing_result(on_existing(untagged(b))), false};
          }
          if (fresh == nullptr) {
            lock.unlock();
            fresh = make_box_once();
            if (fresh == nullptr) return {std::nullopt, false};
            continue;
          }
          if (b == expunged()) {  // only possible for a read-table entry [D2]
            insert_into_dirty_locked(e, hash);
            e->table_refs.fetch_add(1, std::memory_order_relaxed);  // [E1]
            b = nullptr;
            e->p.store(nullptr, std::memory_order_relaxed);  // unexpunge: mu_ held, no data
          }
          // A fast-path writer may fill the revived entry first; then report its value.
          if (!e->p.compare_exchange_strong(b, fresh, std::memory_order_acq_rel,
                                            std::memory_order_acquire)) {  // [P2]
            if (!in_read) miss_locked(trash);
            lock.unlock();
            return {existing_result(on_existing(untagged(b))), false};
          }
          fresh = nullptr;
          if (!in_read) miss_locked(trash);
          count_.fetch_add(1, std::memory_order_relaxed);  // statistic only
          return {std::nullopt, true};
        }
        if (fresh == nullptr) {
          lock.unlock();
          fresh = make_box_once();
          if (fresh == nullptr) return {std::nullopt, false};
          continue;
        }
        add_new_entry_locked(std::forward<KeyArg>(key), hash, fresh);
        fresh = nullptr;
        count_.fetch_add(1, std::memory_order_relaxed);  // statistic only
        return {std::nullopt, true};
      }
    }
  }

  // Applies a copy-on-write change to an existing value: next(const T&) returns the box to
  // publish, or nullptr to leave the entry as it is; a box of nullptr value means "delete"
  // is signalled by `erase_instead`. Returns what decide() returned for the winning attempt.
  // Shared by update, compare_and_swap, compare_and_delete, erase_if, load_and_delete, erase.
  enum class rmw : unsigned char { keep, replace, erase };

  template <class K, class Decide>
  bool modify_existing(const K& key, Decide&& decide, std::optional<T>* taken = nullptr) {
    const std::uint64_t hash = hash_key(hash_, key);
    retire_at_exit deferred{*this, {}};
    bool changed = false;
    {
      read_guard section(*domain_);
      entry* e = find_entry_counting_miss(hash, key, deferred.trash);
      while (e != nullptr) {
        box* b = e->p.load(std::memory_order_acquire);  // [P1]
        if (is_tagged(b)) b = untag(e, hash);           // [T1]: rare, once per promotion
        if (b == nullptr || b == expunged()) break;
        box* replacement = nullptr;
        const rmw action = decide(b->value, replacement);
        if (action == rmw::keep) break;
        box* desired = (action == rmw::erase) ? nullptr : replacement;
        if (taken != nullptr) {
          // Copied before the CAS, so a throwing copy changes nothing.
          try {
            taken->emplace(b->value);
          } catch (...) {
            free_box(replacement);
            throw;
          }
        }
        if (e->p.compare_exchange_strong(b, desired, std::memory_order_seq_cst,
                                         std::memory_order_acquire)) {  // [P2], [P3]
          deferred.trash.add_unlinked_by_seq_cst_rmw(b);                // after the section closes
          changed = true;
          if (action == rmw::erase) count_.fetch_sub(1, std::memory_order_relaxed);  // stat
          break;
        }
        free_box(replacement);  // never published
      }
    }
    if (!changed && taken != nullptr) taken->reset();
    return changed;
  }

  template <class K>
  std::optional<T> load_and_delete(const K& key) {
    std::optional<T> taken;
    modify_existing(
        key, [](const T&, box*&) { return rmw::erase; }, &taken);
    return taken;
  }

  template <class K>
  std::size_t erase(const K& key) {
    return modify_existing(key, [](const T&, box*&) { return rmw::erase; }) ? 1 : 0;
  }

  template <class K>
  bool compare_and_swap(const K& key, const T& expected, const T& desired) {
    return modify_existing(key, [&](const T& current, box*& replacement) {
      if (!(current == expected)) return rmw::keep;
      replacement = make_box(desired);
      return rmw::replace;
    });
  }

  template <class K>
  bool compare_and_delete(const K& key, const T& expected) {
    return modify_existing(key, [&](const T& current, box*&) {
      return (current == expected) ? rmw::erase : rmw::keep;
    });
  }

  template <class K, class Pred>
  bool erase_if(const K& key, Pred& pred) {
    return modify_existing(
        key, [&](const T& current, box*&) { return pred(current) ? rmw::erase : rmw::keep; });
  }

  // f(T&) runs on a copy, which is then published with a CAS; on a lost race f runs again.
  template <class K, class F>
  bool update(const K& key, F& f) {
    return modify_existing(key, [&](const T& current, box*& replacement) {
      T copy(current);
      f(copy);
      replacement = make_box(std::move(copy));
      return rmw::replace;
    });
  }

  // ---- whole map ----

  // Go's Range: promote if amended, pin one read table, and visit its entries with no lock
  // and no read section held while f runs, so f may call this map and may block.
  template <class F>
  std::size_t for_each(F& f) const {
    read_table* table = pin_current_read_table();
    if (table == nullptr) return 0;
    struct unpin_on_exit {
      const rcu_core& core;
      read_table* table;
      ~unpin_on_exit() { core.release_read_table(table); }
    } unpin{*this, table};
    std::size_t calls = 0;
    table->table.for_each_entry([&](entry* const e) {
      // Not the table's copy: the pinned table may have been replaced since, and copies in a
      // replaced table are not kept fresh [T2]; the entry always holds the current value.
      std::optional<T> value;
      {
        read_guard section(*domain_);
        const T* current = value_of(e);
        if (current == nullptr) return true;
        value.emplace(*current);
      }
      ++calls;
      // The entry itself stays alive: the pinned table holds a table_ref on it.
      if constexpr (std::is_same_v<std::invoke_result_t<F&, const Key&, const T&>, bool>) {
        return static_cast<bool>(f(e->key, static_cast<const T&>(*value)));
      } else {
        f(e->key, static_cast<const T&>(*value));
        return true;
      }
    });
    return calls;
  }

  template <class Pred>
  std::size_t erase_if_all(Pred& pred) {
    std::size_t erased = 0;
    read_table* table = pin_current_read_table();
    if (table == nullptr) return 0;
    struct unpin_on_exit {
      const rcu_core& core;
      read_table* table;
      ~unpin_on_exit() { core.release_read_table(table); }
    } unpin{*this, table};
    table->table.for_each_entry([&](entry* const e) {
      retire_at_exit deferred{*this, {}};
      {
        read_guard section(*domain_);
        for (;;) {
          box* b = e->p.load(std::memory_order_acquire);            // [P1]
          if (is_tagged(b)) b = untag(e, hash_key(hash_, e->key));  // [T1]
          if (b == nullptr || b == expunged()) break;
          if (!pred(e->key, b->value)) break;
          // seq_cst [P3]: b is retired unfenced. Otherwise relaxed would do: nullptr publishes
          // nothing, b was acquired by the [P1] load above (the CAS succeeds only on that
          // value), and a failure reloads it with [P1].
          if (e->p.compare_exchange_strong(b, nullptr, std::memory_order_seq_cst,
                                           std::memory_order_relaxed)) {
            count_.fetch_sub(1, std::memory_order_relaxed);  // statistic only
            deferred.trash.add_unlinked_by_seq_cst_rmw(b);
            ++erased;
            break;
          }
        }
      }
    });
    return erased;
  }

  void clear() {
    retire_at_exit deferred{*this, {}};
    garbage& trash = deferred.trash;
    {
      std::lock_guard<writer_mutex> lock(mu_);
      const std::uintptr_t read = read_.load(std::memory_order_relaxed);  // mu_ held [D4]
      // relaxed: 0 names no table, so there is nothing to publish; a reader that sees it finds
      // nothing and (not amended) answers absent, as if it ran after the clear.
      read_.store(0, std::memory_order_relaxed);
      // relaxed: as above; the empty table is never written.
      lookup_table_.store(&empty_read_table, std::memory_order_relaxed);
      std::size_t removed = 0;
      auto expunge = [&](entry* e) {
        box* b = e->p.exchange(expunged(), std::memory_order_acq_rel);  // [P2]: racing CASes fail
        if (b != nullptr && b != expunged()) {
          trash.add(untagged(b));
          ++removed;
        }
      };
      // No stale marks needed [T2]: the tables holding copies are no longer published.
      if (read_table* table = read_table_of(read)) {
        table->table.for_each_entry([&](entry* const e) { expunge(e); });
        trash.add(table);  // its release drops its entries' table_refs
      }
      if (dirty_valid_) {
        dirty_.for_each([&](entry* const& e) { expunge(e); });
        drop_dirty_locked();
      }
      misses_ = 0;
      count_.fetch_sub(removed, std::memory_order_relaxed);  // statistic only
    }
  }

  // The most entries a read or dirty table can hold.
  static std::size_t max_size() noexcept {
    const std::size_t by_read = read_index::max_size();
    const std::size_t by_dirty = table_type::max_size();
    return by_read < by_dirty ? by_read : by_dirty;
  }

  // Sizes the dirty table, where new keys go, for n entries: builds it now if there is none
  // (as the next new key would), or grows it; and, unless it already holds n, keeps n as
  // reserved_, so that a dirty table rebuilt after a promotion or clear() is sized for n too,
  // until the dirty table has held n entries. Strong guarantee: on a throw nothing changed
  // (a dirty table built is one the next new key would have built).
  void reserve(std::size_t n) {
    if (n > max_size()) throw std::length_error("syncmap::rcu_map::reserve: n > max_size()");
    if (n == 0) return;
    read_guard section(*domain_);  // dirty_locked() walks the read table's entries
    std::lock_guard<writer_mutex> lock(mu_);
    dirty_locked(n);
    dirty_.reserve(n, rehash_fn(), alloc_);
    if (n > dirty_.size() && n > reserved_) reserved_ = n;
  }

  std::vector<std::pair<Key, T>> snapshot() const {
    std::vector<std::pair<Key, T>> out;
    out.reserve(size());
    auto append = [&](const Key& key, const T& value) { out.emplace_back(key, value); };
    for_each(append);
    return out;
  }

  std::size_t size() const noexcept {
    // relaxed: a statistic; increments and decrements from different threads may be seen out
    // of order, so a transiently negative count reads as zero.
    const std::size_t n = count_.load(std::memory_order_relaxed);
    return static_cast<std::ptrdiff_t>(n) < 0 ? 0 : n;
  }

  // Builds the contents from pairs (first key wins) straight into one read table. Only for
  // construction: the map is not yet shared.
  template <class InputIt>
  void insert_unshared(InputIt first, InputIt last) {
    using category = typename std::iterator_traits<InputIt>::iterator_category;
    if constexpr (std::is_base_of_v<std::forward_iterator_tag, category>) {
      const auto n = std::distance(first, last);  // sized once: no dirty-table rehash
      if (n > 0) reserve(static_cast<std::size_t>(n));
    }
    for (; first != last; ++first) {
      owned_box fresh{*this};
      insert_if_absent(
          first->first, fresh, [&] { return make_box(first->second); },
          [](const box*) { return 0; });
    }
    retire_at_exit deferred{*this, {}};
    std::lock_guard<writer_mutex> lock(mu_);
    reserved_ = 0;  // a pre-size for this fill, not a reservation the user asked for
    if (dirty_valid_ && (read_.load(std::memory_order_relaxed) & amended_bit)) {
      promote_locked(deferred.trash);
    }
  }

  // Member swap (API.md: not concurrent with other operations): allocators are exchanged only
  // if they propagate on swap, as for the standard containers.
  void swap(rcu_core& other) noexcept {
    swap_storage(other);
    if constexpr (std::allocator_traits<Allocator>::propagate_on_container_swap::value) {
      std::swap(alloc_, other.alloc_);
    }
  }

  // Everything, allocators included: for assignment (allocator_rules.hpp).
  void swap_all(rcu_core& other) noexcept {
    swap_storage(other);
    std::swap(alloc_, other.alloc_);
  }

  // Everything but the allocators and the domains. Neither map is in use (API.md), so their
  // retired garbage is unreachable: it is freed first, with the allocator that made it, and
  // nothing retired crosses over. Relaxed throughout: nothing runs concurrently.
  void swap_storage(rcu_core& other) noexcept {
    free_retired_unshared();
    other.free_retired_unshared();
    const std::uintptr_t read = read_.load(std::memory_order_relaxed);
    read_.store(other.read_.load(std::memory_order_relaxed), std::memory_order_relaxed);
    other.read_.store(read, std::memory_order_relaxed);
    const read_table* lookup = lookup_table_.load(std::memory_order_relaxed);
    lookup_table_.store(other.lookup_table_.load(std::memory_order_relaxed),
                        std::memory_order_relaxed);
    other.lookup_table_.store(lookup, std::memory_order_relaxed);
    std::swap(dirty_, other.dirty_);
    std::swap(dirty_valid_, other.dirty_valid_);
    std::swap(misses_, other.misses_);
    std::swap(reserved_, other.reserved_);
    const std::size_t count = count_.load(std::memory_order_relaxed);
    count_.store(other.count_.load(std::memory_order_relaxed), std::memory_order_relaxed);
    other.count_.store(count, std::memory_order_relaxed);
    std::swap(hash_, other.hash_);
    std::swap(eq_, other.eq_);
  }

  const Hash& hash_function() const noexcept { return hash_; }
  const KeyEqual& key_eq() const noexcept { return eq_; }
  const Allocator& allocator() const noexcept { return alloc_; }
  std::size_t pending_reclamation() const noexcept { return retired_.pending(); }

  rcu_map_stats stats() const noexcept {
    rcu_map_stats out;
    out.counters_enabled = stats_enabled;
    this->add_to(out);  // a no-op without SYNCMAP_STATS
    out.pending_reclamation = pending_reclamation();
    return out;
  }

  template <class... Args>
  box* make_box(Args&&... args) const {
    box_allocator a(alloc_);
    box* b = nullptr;
    if constexpr (cache_boxes) b = box_cache<box>::take();
    if (b == nullptr) b = box_traits::allocate(a, 1);
    try {
      box_traits::construct(a, b, std::forward<Args>(args)...);
    } catch (...) {
      release_box_storage(b);
      throw;
    }
    b->reclaim = &reclaim_box;
    return b;
  }

 private:
  // rw_spinlock rather than std::mutex: a waiter spins briefly, then yields, then sleeps on a
  // futex, where glibc's mutex sleeps at once. Critical sections here are short (a dirty-table
  // insert, an untag), and side by side at 2 threads that measured +35% on fill and +70% on
  // Go's LoadOrStoreBalanced, the same on 90/10 and 50/50 (bench notes, issue #4).
  using writer_mutex = rw_spinlock;
  using box_allocator = typename std::allocator_traits<Allocator>::template rebind_alloc<box>;
  using box_traits = std::allocator_traits<box_allocator>;
  // Freed boxes go to a per-thread cache for the next writes (detail/box_cache.hpp).
  static constexpr bool cache_boxes = box_cache_enabled<Allocator, box>;
  using entry_allocator = typename std::allocator_traits<Allocator>::template rebind_alloc<entry>;
  using entry_traits = std::allocator_traits<entry_allocator>;
  using table_allocator =
      typename std::allocator_traits<Allocator>::template rebind_alloc<read_table>;
  using table_traits = std::allocator_traits<table_allocator>;

  static constexpr std::uintptr_t amended_bit = 1;

  static box* expunged() noexcept {
    return reinterpret_cast<box*>(const_cast<unsigned char*>(rcu_expunged_marker));
  }

  // The tag on entry::p [T1]: set by promote_locked() on the value of every entry whose value
  // the promoted table copies. Boxes are aligned to at least 8, so the low bit is free;
  // nullptr and expunged() are never tagged.
  static constexpr std::uintptr_t copied_tag = 1;
  static bool is_tagged(const box* b) noexcept {
    return (reinterpret_cast<std::uintptr_t>(b) & copied_tag) != 0;
  }
  static box* untagged(box* b) noexcept {
    return reinterpret_cast<box*>(reinterpret_cast<std::uintptr_t>(b) & ~copied_tag);
  }
  static box* tagged(box* b) noexcept {
    return reinterpret_cast<box*>(reinterpret_cast<std::uintptr_t>(b) | copied_tag);
  }

  // What one operation leaves to do after its section closes and mu_ is released: objects
  // it took out of the map (chained through retired_node::next, which is free until
  // retire()), the entry it holds [E1], and whether to try a collection.
  struct garbage {
    retired_node* head = nullptr;
    entry* held = nullptr;
    // Set by lookups that took the slow path while garbage was pending: reads alone then
    // still free it (golang/go#40999), without adding work to the read-table fast path.
    bool collect = false;
    // Whether some node was unlinked other than by a seq_cst RMW, so that retire_all() must
    // issue the fence [R] before tagging.
    bool needs_fence = false;
    // Something a store or a weaker RMW unlinked (a replaced read table, clear()).
    void add(retired_node* node) noexcept {
      push(node);
      needs_fence = true;
    }
    // A value box a seq_cst CAS took out of its entry [P3].
    void add_unlinked_by_seq_cst_rmw(retired_node* node) noexcept { push(node); }

   private:
    void push(retired_node* node) noexcept {
      node->next = head;
      head = node;
    }
  };

  // Finishes an operation when it goes out of scope; declare it before the operation's
  // read_guard so that the section closes first.
  struct retire_at_exit {
    const rcu_core& core;
    garbage trash;
    ~retire_at_exit() {
      if (SYNCMAP_UNLIKELY(trash.head != nullptr || trash.held != nullptr || trash.collect)) {
        core.finish_operation(trash);
      }
    }
  };

  // Out of line: keeps the retire push and the hold release (atomic RMWs) out of the inlined
  // read path, which tests/read_path checks for RMWs and fences.
  SYNCMAP_NOINLINE void finish_operation(garbage& trash) const noexcept {
    if (trash.held != nullptr) release_entry(std::exchange(trash.held, nullptr));
    retire_all(trash);
    if (std::exchange(trash.collect, false)) retired_.collect(const_cast<rcu_core*>(this));
  }

  void retire_all(garbage& trash) const noexcept {
    // [R] once for every node add() listed; the others were unlinked by seq_cst RMWs [P3].
    // retire_unfenced's precondition then holds for all of them.
    if (std::exchange(trash.needs_fence, false))
      std::atomic_thread_fence(std::memory_order_seq_cst);
    std::size_t retired = 0;
    while (trash.head != nullptr) {
      retired_node* node = trash.head;
      trash.head = node->next;
      node->next = nullptr;
      retired_.retire_unfenced(node, const_cast<rcu_core*>(this));
      ++retired;
    }
    if (retired != 0) this->count_retired(retired);
  }

  std::uintptr_t load_read() const noexcept {
    return read_.load(std::memory_order_acquire);  // [R1] pairs with the release stores
  }
  const read_table* load_lookup_table() const noexcept {
    return lookup_table_.load(std::memory_order_acquire);  // [R1] pairs with the release stores
  }
  // After a lookup missed `table` (from load_lookup_table()): true when the key is absent,
  // which linearizes at this load of read_: `table` was then read_'s table, without the amended
  // bit, and lacks the key; or read_ was 0, no table and not amended: the map was empty. False
  // (amended, or read_ has moved on) sends the lookup to the slow path, which looks again under
  // mu_. relaxed: compared, never dereferenced.
  // With the amended bit, the key is absent too if `table`'s filter says it was never added
  // to dirty_ while `table` was published [F1].
  bool absent_unless_amended(const read_table* table, std::uint64_t hash) const noexcept {
    const std::uintptr_t read = read_.load(std::memory_order_relaxed);
    if (read == reinterpret_cast<std::uintptr_t>(table) || read == 0) return true;
    return read_table_of(read) == table && !may_be_only_in_dirty(read, hash);
  }
  // Whether a key the read table of `read` lacks may be in dirty_ [F1]: only if amended, and
  // then only if the table's filter has the key's bucket (a table-less read_ has no filter).
  static bool may_be_only_in_dirty(std::uintptr_t read, std::uint64_t hash) noexcept {
    if (!(read & amended_bit)) return false;
    const read_table* table = read_table_of(read);
    return table == nullptr || table->new_keys.may_hold(hash);
  }
  // Under mu_, after every store to read_ that changes its table [D5]. release [R1]: publishes
  // the table's contents to load_lookup_table().
  void publish_lookup_table_locked() const noexcept {
    const read_table* table = read_table_of(read_.load(std::memory_order_relaxed));  // [D4]
    lookup_table_.store(table != nullptr ? table : &empty_read_table, std::memory_order_release);
  }
  static read_table* read_table_of(std::uintptr_t read) noexcept {
    return reinterpret_cast<read_table*>(read & ~amended_bit);
  }
  template <class K>
  entry* find(const read_table* t, std::uint64_t hash, const K& key) const {
    if (t == nullptr) return nullptr;
    const auto slot = t->table.find_slot(hash, key, eq_);
    return slot ? t->table.entry_of(slot) : nullptr;
  }
  template <class K>
  entry* find(const table_type* table, std::uint64_t hash, const K& key) const {
    entry* const* slot =
        table->find(hash, [&](entry* const& e) { return static_cast<bool>(eq_(e->key, key)); });
    return slot == nullptr ? nullptr : *slot;
  }

  // A T's bytes, for load_inline() (T is trivially copyable there). Zeroed first: otherwise
  // GCC 12 warns (-Wmaybe-uninitialized) in every caller, unable to see that `found` guards
  // the read. Costs one register clear.
  union value_copy {
    value_copy() noexcept : bytes{} {}
    explicit value_copy(const T& v) noexcept : value(v) {}  // trivially copyable
    unsigned char bytes[sizeof(T)];
    T value;
  };
  // load_slow()'s result: returned in registers when small, as an optional is too, but GCC
  // keeps a returned optional in memory.
  struct found_copy {
    value_copy copy;
    bool found = false;
  };

  // load() for read tables with value copies: with_value_for_read's fast path, written out so
  // that the copy never has its address taken. Passed to the out-of-line slow path inside a
  // callback, the copy lived in memory: stored, reloaded, and the optional assembled there a
  // byte at a time and reloaded whole on return (a store-forwarding stall that cost g++ 12
  // half of a hot-key load). Here it stays in registers, and the optional is built after the
  // section closes. When the key's equality is built in, nothing in the lookup can open a
  // section, so it is a leaf section (epoch.hpp [L]: no nesting test, no leave_work test);
  // other keys, and a thread that cannot open one, take load_in_any_section(), out of line.
  template <class K>
  SYNCMAP_ALWAYS_INLINE std::optional<T> load_inline(const K& key) const {
    const std::uint64_t hash = hash_key(hash_, key);
    found_copy result;
    read_outcome outcome = read_outcome::found;  // when load_in_any_section() settled it
    epoch_record* record;
    if (builtin_equality<K> && SYNCMAP_LIKELY(domain_->try_enter_leaf(record))) {
      const leaf_read_guard section(record);
      outcome = find_in_read_table(hash, key, [&](const T& v) { result = copy_of(v); });
    } else {
      result = load_in_any_section<K>(hash, key);
    }
    if (SYNCMAP_UNLIKELY(outcome == read_outcome::ask_dirty)) result = load_slow<K>(hash, key);
    if (!result.found) return std::nullopt;
    return result.copy.value;
  }
  // Whether comparing a stored key with a K runs no user code: then a lookup holds a leaf
  // section (epoch.hpp), inside which no other section may open.
  template <class K>
  static constexpr bool builtin_equality = std::is_scalar_v<Key>&& std::is_scalar_v<K> &&
                                           (std::is_same_v<KeyEqual, std::equal_to<Key>> ||
                                            std::is_same_v<KeyEqual, std::equal_to<>>);
  // load_inline() in a read_guard section: keys whose equality may run user code, and threads
  // that cannot open a leaf section (first use, another domain used last, inside a section).
  template <class K>
  SYNCMAP_NOINLINE found_copy load_in_any_section(std::uint64_t hash,
                                                  by_value_if_cheap<K> key) const {
    found_copy result;
    read_outcome outcome;
    {
      read_guard section(*domain_);
      outcome = find_in_read_table(hash, key, [&](const T& v) { result = copy_of(v); });
    }
    if (outcome == read_outcome::ask_dirty) return load_slow<K>(hash, key);
    return result;
  }
  template <class K>
  SYNCMAP_NOINLINE found_copy load_slow(std::uint64_t hash, by_value_if_cheap<K> key) const {
    auto copy_out = [](const T* v) { return v == nullptr ? found_copy{} : copy_of(*v); };
    return with_value_for_read_slow(hash, key, copy_out);
  }
  static found_copy copy_of(const T& value) noexcept { return {value_copy(value), true}; }

  enum class read_outcome { found, absent, ask_dirty };
  // Inside a read section: what the read table says about `key`. found: on_value(value) ran;
  // absent (or present with no value); ask_dirty: the read table cannot settle it (amended, or
  // replaced meanwhile) and the slow path must look under mu_. Linearizes at
  // load_lookup_table(): this table was published then, and a clear stale bit read now was
  // clear then too, so the value on_value sees is the entry's value then [T2].
  template <class K, class OnValue>
  SYNCMAP_ALWAYS_INLINE read_outcome find_in_read_table(std::uint64_t hash, const K& key,
                                                        OnValue&& on_value) const {
    const read_table* table = load_lookup_table();  // never null [D5]
    if (const auto slot = table->table.find_slot(hash, key, eq_)) {
      this->count_read_hit();  // no-op without SYNCMAP_STATS
      if constexpr (inline_values) {
        if (SYNCMAP_LIKELY(table->table.is_fresh(slot))) {
          on_value(read_index::value_in(slot));
          return read_outcome::found;
        }
      }
      const T* value = value_of(table->table.entry_of(slot));
      if (value == nullptr) return read_outcome::absent;
      on_value(*value);
      return read_outcome::found;
    }
    return absent_unless_amended(table, hash) ? read_outcome::absent : read_outcome::ask_dirty;
  }

  // Go's Load shape: the read table without a lock, then (if amended) the dirty table under
  // mu_ with miss accounting. Calls on_value(value or nullptr) inside the read section.
  // The fast path (a read-table hit, or a miss while not amended) is inline and has nothing
  // to finish afterwards; everything else re-runs as a whole in the out-of-line slow path,
  // which looks at the read table again under mu_.
  template <class K, class OnValue>
  SYNCMAP_ALWAYS_INLINE decltype(auto) with_value_for_read(const K& key, OnValue&& on_value) const {
    const std::uint64_t hash = hash_key(hash_, key);
    {
      read_guard section(*domain_);  // not a leaf: on_value may call the map
      const T* value = nullptr;
      const read_outcome outcome = find_in_read_table(hash, key, [&](const T& v) { value = &v; });
      // on_value runs (and copies the value) before `section` closes.
      if (outcome != read_outcome::ask_dirty) return on_value(value);
    }
    return with_value_for_read_slow(hash, key, on_value);
  }

  template <class K, class OnValue>
  SYNCMAP_NOINLINE decltype(auto) with_value_for_read_slow(std::uint64_t hash, const K& key,
                                                           OnValue& on_value) const {
    retire_at_exit deferred{*this, {}};
    read_guard section(*domain_);
    entry* e = find_entry_counting_miss(hash, key, deferred.trash);
    return on_value(e == nullptr ? nullptr : value_of(e));
  }

  // The value a reader may copy, or nullptr for deleted and expunged entries.
  static const T* value_of(const entry* e) noexcept {
    box* b = e->p.load(std::memory_order_acquire);  // [P1]
    if (b == nullptr || b == expunged()) return nullptr;
    return &untagged(b)->value;
  }

  // Clears e's tag [T1] so that a lock-free CAS may replace its value: under mu_, marks the
  // copy in the published read table stale, then stores the same box untagged. Returns the
  // (untagged) value pointer. Call inside a read section; takes mu_.
  SYNCMAP_NOINLINE box* untag(entry* e, std::uint64_t hash) const {
    std::lock_guard<writer_mutex> lock(mu_);
    return untag_locked(e, hash);
  }

  box* untag_locked(entry* e, std::uint64_t hash) const noexcept {
    // acquire [P1]: the caller may copy the value. Stable while tagged: only mu_ holders
    // replace a tagged value, and we hold mu_.
    box* b = e->p.load(std::memory_order_acquire);
    if (!is_tagged(b)) return b;
    const std::uintptr_t read = read_.load(std::memory_order_relaxed);  // mu_ held [D4]
    if (read_table* table = read_table_of(read)) {
      // [T1]: a tagged entry is in the published read table. Matched by identity, not key.
      const std::size_t index = table->table.find_entry(hash, e);
      assert(index != read_index::npos && "a tagged entry is in the read table [T1]");
      if (index != read_index::npos) table->table.mark_stale(index);
    }
    // release: a writer that sees the untagged pointer (acquire [P1]) and replaces the value
    // is ordered after the stale mark, and so is every reader ordered after that writer [T2].
    e->p.store(untagged(b), std::memory_order_release);
    return untagged(b);
  }

  // The entry for key: from the read table, else (if amended) from dirty_ under mu_, counting
  // a miss as Go does for every operation that falls through to the dirty table.
  template <class K>
  SYNCMAP_ALWAYS_INLINE entry* find_entry_counting_miss(std::uint64_t hash, const K& key,
                                                        garbage& trash) const {
    const std::uintptr_t read = load_read();
    if (entry* e = find(read_table_of(read), hash, key)) return e;
    if (!may_be_only_in_dirty(read, hash)) return nullptr;  // [F1]
    return find_in_dirty_counting_miss(hash, key, trash);
  }

  // The slow half of a lookup, out of line so the read-table fast path stays small.
  template <class K>
  SYNCMAP_NOINLINE entry* find_in_dirty_counting_miss(std::uint64_t hash, const K& key,
                                                      garbage& trash) const {
    std::lock_guard<writer_mutex> lock(mu_);
    // Reads alone must free garbage too (golang/go#40999); this is their only slow path. But a
    // collection costs a heavy fence (a membarrier system call), so lookups leave it to
    // writers while they retire (retire() collects every soft_limit retires) and otherwise
    // collect at exponentially spaced points of each promotion cycle: the 1st, 2nd, 4th, 8th
    // ... slow lookup since the last promotion that saw the garbage count unchanged since the
    // slow lookup before it. Misses promote after dirty_.size() of them, so a cycle collects
    // about log2(dirty_.size()) times, and a lookup-only stretch still collects at once.
    // Collecting at every slow lookup put a membarrier in each Delete of go_SwapMostlyMisses
    // (60% of its time at 1 thread, perf); collecting at every one that saw no change did the
    // same to 50/25/25, where lookups outnumber retires (150000 collections in 0.3 s).
    const std::size_t pending = retired_.pending();
    if (pending != 0 && pending == pending_at_last_slow_lookup_) {
      ++quiet_slow_lookups_;
      trash.collect = (quiet_slow_lookups_ & (quiet_slow_lookups_ - 1)) == 0;  // a power of 2
    }
    pending_at_last_slow_lookup_ = pending;
    const std::uintptr_t current = read_.load(std::memory_order_relaxed);  // mu_ held [D4]
    if (entry* e = find(read_table_of(current), hash, key)) return e;
    if (!(current & amended_bit)) return nullptr;
    entry* e = find(&dirty_, hash, key);
    if (e != nullptr) {
      // [E1]: dirty_ holds a reference and mu_ is held. relaxed: mu_ orders it against the
      // table changes that could drop the others; release_entry's acq_rel ends it.
      e->table_refs.fetch_add(1, std::memory_order_relaxed);
      trash.held = e;  // released by finish_operation, after the section closes
    }
    miss_locked(trash);  // may promote dirty_: the promoted table keeps dirty_'s reference
    return e;
  }

  // Replaces e's value box with `fresh`: returns the previous pointer (nullptr or a box), or
  // expunged() if the entry is expunged and the caller must take the slow path. Copies the
  // value it is about to replace into *previous (if given) before each attempt, so a
  // throwing copy publishes nothing. Call inside a read section; mu_held says whether the
  // caller holds mu_ (untagging needs it).
  // Inlined into store()'s lock-free path, where a call's register saves and restores were 18
  // of a one-key overwrite's ~275 instructions; the paths under mu_ share one out-of-line copy.
  SYNCMAP_ALWAYS_INLINE box* swap_in(entry* e, std::uint64_t hash, box* fresh,
                                     std::optional<T>* previous, bool mu_held) const {
    box* b = e->p.load(std::memory_order_acquire);  // [P1]: we may copy b->value
    for (;;) {
      if (b == expunged()) return b;
      if (is_tagged(b)) {  // [T1]: rare, once per key per promotion
        b = mu_held ? untag_locked(e, hash) : untag(e, hash);
        continue;
      }
      if (previous != nullptr) {
        if (b != nullptr) {
          previous->emplace(b->value);
        } else {
          previous->reset();
        }
      }
      // [P2] publish, [P3] the replaced box is retired unfenced; [P1] on retry.
      if (e->p.compare_exchange_weak(b, fresh, std::memory_order_seq_cst,
                                     std::memory_order_acquire)) {
        return b;
      }
    }
  }

  SYNCMAP_NOINLINE box* swap_in_locked(entry* e, std::uint64_t hash, box* fresh,
                                       std::optional<T>* previous) const {
    return swap_in(e, hash, fresh, previous, true);
  }

  void miss_locked(garbage& trash) const {
    this->count_miss();
    if (++misses_ < dirty_.size()) return;
    promote_locked(trash);
  }

  // Publishes dirty_ as the read table (Go: m.read.Store(&readOnly{m: m.dirty})). A failed
  // promotion (allocation, or the hash while building a table with value copies) is skipped
  // and changes nothing; a later miss retries it.
  bool promote_locked(garbage& trash) const noexcept {
    try {
      promote_or_throw_locked(trash);
      return true;
    } catch (...) {
      return false;
    }
  }

  // The same, passing on what the allocation or (for tables with value copies) the hash
  // threw; nothing changed then. for_each and erase_if(pred) use it: they cannot go on
  // without a read table holding every key.
  void promote_or_throw_locked(garbage& trash) const {
    read_table* promoted = new_read_table();
    bool filled = false;
    try {
      promoted->new_keys.allocate(dirty_.size(), alloc_);
      // Entries keep their dirty table_refs: the promoted table holds them now.
      filled = promoted->table.take(dirty_, hash_of_key(), alloc_, [&](std::size_t i) {
        if constexpr (inline_values) copy_in(promoted->table, i);
      });
    } catch (...) {
      free_read_table(promoted);  // dirty_ is unchanged
      throw;
    }
    if constexpr (inline_values) {
      if (!filled) {
        promoted->table.for_each_index([&](std::size_t i) { copy_in(promoted->table, i); });
      }
    }
    dirty_valid_ = false;
    misses_ = 0;
    quiet_slow_lookups_ = 0;
    const std::uintptr_t old = read_.load(std::memory_order_relaxed);  // mu_ held [D4]
    read_.store(reinterpret_cast<std::uintptr_t>(promoted),
                std::memory_order_release);  // [R1] publishes the promoted table's contents
    publish_lookup_table_locked();
    if (read_table* replaced = read_table_of(old)) trash.add(replaced);
    this->count_promotion();
  }

  // Fills a slot of a table about to be published with its entry's value and tags the entry
  // [T1], or marks it stale if the entry holds no value. mu_ held, inside a read section.
  static void copy_in(read_index& table, std::size_t index) noexcept {
    entry* e = table.entry_at(index);
    box* b = e->p.load(std::memory_order_acquire);  // [P1]: we copy the value
    for (;;) {
      if (b == nullptr || b == expunged()) return;  // no value: the slot stays stale
      if (is_tagged(b)) break;  // tagged by an earlier promotion: unchanged since
      // acquire (both): on failure b is a box a lock-free writer just published, and we copy
      // its value. The tag publishes nothing: it only turns later lock-free CASes away.
      if (e->p.compare_exchange_weak(b, tagged(b), std::memory_order_acquire,
                                     std::memory_order_acquire)) {
        break;
      }
    }
    table.fill(index, untagged(b)->value);
  }

  // Go's dirtyLocked: builds dirty_ from the read table, expunging deleted entries, with room
  // for the read table's entries, reserved_ and `at_least`, whichever is most.
  void dirty_locked(std::size_t at_least = 0) const {
    if (dirty_valid_) return;
    read_table* read = read_table_of(read_.load(std::memory_order_relaxed));  // mu_ held [D4]
    const read_index* source = read == nullptr ? nullptr : &read->table;
    std::size_t room = source == nullptr ? 0 : source->size();
    if (reserved_ > room) room = reserved_;
    if (at_least > room) room = at_least;
    table_type built;
    if constexpr (is_nothrow_hash_v<Hash, Key>) {
      // With a hash that cannot throw, nothing after the reserve can: one pass expunges or
      // copies (and references) each entry as it meets it. Three passes touched every entry
      // three times, a cache miss each on a table larger than the cache.
      if (room != 0) built.reserve(room, rehash_fn(), alloc_);  // may throw: nothing changed yet
      if (source != nullptr) {
        std::size_t expunged_now = 0;
        source->for_each_entry([&](entry* const e) {
          // relaxed: expunged is written and cleared only under mu_, which we hold.
          const box* b = e->p.load(std::memory_order_relaxed);
          if (b == expunged()) return;
          // Go's tryExpungeLocked; fails if a racing fast-path store revived the entry.
          if (b == nullptr && try_expunge_locked(e)) {
            ++expunged_now;
            return;
          }
          const std::uint64_t hash = hash_key(hash_, e->key);
          built.construct_at(built.free_index_reserved(hash), hash, alloc_, e);
          e->table_refs.fetch_add(1, std::memory_order_relaxed);  // [E1]: read holds one
        });
        this->count_expunged(expunged_now);
      }
      dirty_ = std::move(built);
      dirty_valid_ = true;
      return;
    }
    // Phase 1 may throw (hash, allocation) and changes nothing shared: it copies every entry
    // that is not already expunged. Expunging happens only in phase 2, which cannot throw,
    // so a failed rebuild never leaves an entry expunged without a valid dirty_ ([D2]).
    try {
      if (room != 0) built.reserve(room, rehash_fn(), alloc_);
      if (source != nullptr) {
        source->for_each_entry([&](entry* const e) {
          // relaxed: expunged is written and cleared only under mu_, which we hold.
          if (e->p.load(std::memory_order_relaxed) == expunged()) return;
          const std::uint64_t hash = hash_key(hash_, e->key);
          const auto position = built.find_or_prepare_insert(
              hash, [](entry* const&) { return false; }, rehash_fn(), alloc_);
          built.construct_at(position.index, hash, alloc_, e);
        });
      }
    } catch (...) {
      built.destroy(alloc_);
      throw;
    }
    // Phase 2: deleted entries become expunged and leave the copy (Go's tryExpungeLocked); an
    // entry revived by a racing fast-path store meanwhile stays.
    const std::size_t expunged_now =
        built.erase_if([](entry* const& e) { return try_expunge_locked(e); }, alloc_);
    this->count_expunged(expunged_now);
    built.for_each([](entry* const& e) {
      e->table_refs.fetch_add(1, std::memory_order_relaxed);  // [E1]: read holds one
    });
    dirty_ = std::move(built);
    dirty_valid_ = true;
  }

  // Go's tryExpungeLocked: nil -> expunged. relaxed: the CAS orders itself against racing
  // fast-path CASes on the same word, and no data is published with it.
  static bool try_expunge_locked(entry* e) noexcept {
    box* b = e->p.load(std::memory_order_relaxed);
    while (b == nullptr) {
      if (e->p.compare_exchange_weak(b, expunged(), std::memory_order_relaxed)) return true;
    }
    return b == expunged();
  }

  // Called before every insert into dirty_. When the insert would rebuild dirty_ anyway, takes
  // the deleted entries out first, expunging them as dirty_locked() does, so that the rebuild
  // (at the same size, if enough left) pays for the scan. Go keeps a deleted key in m.dirty
  // until the next promotion; but an add-then-delete workload of fresh keys adds one entry
  // and at most one miss per key, so misses never reach dirty_.size() and dirty_ would grow
  // without bound, holding every key ever erased (go_SwapMostlyMisses grew it to 5 * 10^5
  // entries in half a second). With the purge it holds at most twice its live entries.
  // Erasing a deleted entry from dirty_ outright (Go's LoadAndDelete does) instead makes
  // dirty_ small, and every miss then promotes it: a promotion per operation when one key is
  // deleted and stored again (go_LoadAndDeleteCollision fell from 28 to 1.6 Mops/s).
  void purge_deleted_before_rehash_locked(std::uint64_t hash) const noexcept {
    if (SYNCMAP_LIKELY(!dirty_.insert_would_rehash(hash))) return;
    // dirty_ holds every entry with a value [D1] and its deleted ones, so dirty_.size() -
    // count_ counts the deleted (count_ trails changes in flight: only a heuristic). Fewer than
    // an eighth are carried over by the rehash, a bounded cost, and a fill never scans.
    const std::size_t with_value = count_.load(std::memory_order_relaxed);  // relaxed: a hint
    if (dirty_.size() < with_value + dirty_.size() / 8) return;
    const std::size_t purged = dirty_.erase_if(
        [&](entry* const& e) {
          // Expunged and out of dirty_ together keeps [D1] and [D2]. A racing holder
          // (modify_existing after find_in_dirty_counting_miss) then sees expunged: absent,
          // as the key is. The read table, if it has e, keeps its own reference.
          if (!try_expunge_locked(e)) return false;  // holds a value
          release_entry(e);                          // dirty_'s reference [E2]
          return true;
        },
        alloc_);
    this->count_expunged(purged);
  }

  // Inserts an entry known to be absent from dirty_ (strong guarantee: may rehash or throw
  // before anything changes).
  void insert_into_dirty_locked(entry* e, std::uint64_t hash) const {
    purge_deleted_before_rehash_locked(hash);
    const auto position = dirty_.find_or_prepare_insert(
        hash, [](entry* const&) { return false; }, rehash_fn(), alloc_);
    dirty_.construct_at(position.index, hash, alloc_, e);
  }

  template <class KeyArg>
  void add_new_entry_locked(KeyArg&& key, std::uint64_t hash, box* value) {
    dirty_locked();
    purge_deleted_before_rehash_locked(hash);
    const auto position = dirty_.find_or_prepare_insert(
        hash, [](entry* const&) { return false; }, rehash_fn(), alloc_);
    entry* e = new_entry(std::forward<KeyArg>(key), value);
    dirty_.construct_at(position.index, hash, alloc_, e);  // noexcept (trivial key copy at most)
    // The reservation has served once the dirty table holds that many: later rebuilds (one
    // per promotion cycle) cost the read table's size again, not a past reservation's.
    if (SYNCMAP_UNLIKELY(reserved_ != 0) && dirty_.size() >= reserved_) reserved_ = 0;
    const std::uintptr_t read = read_.load(std::memory_order_relaxed);  // mu_ held [D4]
    // [F1]: after the insert, before the amended bit; a table-less read_ has no filter.
    if (read_table* table = read_table_of(read)) table->new_keys.note(hash);
    if (!(read & amended_bit)) {
      // [R1] release, although the table is the same: this store is now what readers read,
      // and a plain store does not carry another thread's release (the promoter's), so the
      // table's contents reach them only through mu_ (promoter -> us) and this release.
      // TSan cannot see it missing: it lets relaxed stores continue a release sequence.
      read_.store(read | amended_bit, std::memory_order_release);
    }
  }

  void drop_dirty_locked() const noexcept {
    dirty_.for_each([&](entry* const& e) { release_entry(e); });
    dirty_.destroy(alloc_);
    dirty_valid_ = false;
  }

  // Drops one reference (a table's or a hold) on an entry; the last one frees it [E2].
  void release_entry(entry* e) const noexcept {
    // acq_rel: the last dropper must see every use made through the other references
    // (release of theirs, acquire of ours) before it frees.
    if (e->table_refs.fetch_sub(1, std::memory_order_acq_rel) == 1) free_entry(e);
  }

  // Promotes if amended (so that the read table holds every key), then takes a hold on it.
  read_table* pin_current_read_table() const {
    retire_at_exit deferred{*this, {}};
    read_guard section(*domain_);
    std::uintptr_t read = load_read();
    if (read & amended_bit) {
      std::lock_guard<writer_mutex> lock(mu_);
      read = read_.load(std::memory_order_relaxed);  // mu_ held [D4]
      if (read & amended_bit) promote_or_throw_locked(deferred.trash);
      read = read_.load(std::memory_order_relaxed);  // mu_ held [D4]
    }
    read_table* pinned = read_table_of(read);
    // relaxed: the section already keeps it alive; the hold only has to outlast the section.
    if (pinned != nullptr) pinned->holders.fetch_add(1, std::memory_order_relaxed);
    return pinned;
  }

  void release_read_table(read_table* t) const noexcept {
    // acq_rel: the last releaser must see all accesses made through the other holds.
    if (t->holders.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
    t->table.for_each_entry([&](entry* const e) { release_entry(e); });  // [E2]
    free_read_table(t);
  }

  // Frees a read table's storage, not its entries.
  void free_read_table(read_table* t) const noexcept {
    t->table.destroy(alloc_);
    t->new_keys.destroy(alloc_);
    table_allocator a(alloc_);
    table_traits::destroy(a, t);
    table_traits::deallocate(a, t, 1);
  }

  read_table* new_read_table() const {
    table_allocator a(alloc_);
    read_table* t = table_traits::allocate(a, 1);
    table_traits::construct(a, t);  // noexcept: empty flat_table, atomics
    t->reclaim = &reclaim_read_table;
    return t;
  }

  template <class KeyArg>
  entry* new_entry(KeyArg&& key, box* value) const {
    entry_allocator a(alloc_);
    entry* e = entry_traits::allocate(a, 1);
    try {
      entry_traits::construct(a, e, std::forward<KeyArg>(key), value);
    } catch (...) {
      entry_traits::deallocate(a, e, 1);
      throw;
    }
    return e;
  }

 public:
  void free_box(box* b) const noexcept {
    if (b == nullptr) return;
    box_allocator a(alloc_);
    box_traits::destroy(a, b);
    release_box_storage(b);
  }
  // Storage of a destroyed (or never constructed) box.
  void release_box_storage(box* b) const noexcept {
    if constexpr (cache_boxes) {
      box_cache<box>::give(b);
    } else {
      box_allocator a(alloc_);
      box_traits::deallocate(a, b, 1);
    }
  }

 private:
  static void reclaim_box(retired_node* node, void* owner) noexcept {
    static_cast<rcu_core*>(owner)->free_box(static_cast<box*>(node));
  }
  void free_entry(entry* e) const noexcept {
    // relaxed: the acq_rel that dropped the last reference already ordered every write to p.
    box* b = e->p.load(std::memory_order_relaxed);
    if (b != expunged())
      free_box(untagged(b));  // its last box: only a map being destroyed has one [E2]
    entry_allocator a(alloc_);
    entry_traits::destroy(a, e);
    entry_traits::deallocate(a, e, 1);
  }
  static void reclaim_read_table(retired_node* node, void* owner) noexcept {
    static_cast<rcu_core*>(owner)->release_read_table(static_cast<read_table*>(node));
  }

  auto rehash_fn() const noexcept {
    return [this](entry* const& e) noexcept(is_nothrow_hash_v<Hash, Key>) {
      return hash_key(hash_, e->key);
    };
  }
  auto hash_of_key() const noexcept {
    return [this](const Key& key) noexcept(is_nothrow_hash_v<Hash, Key>) {
      return hash_key(hash_, key);
    };
  }

  // Destructor: nothing runs concurrently. Release both tables, then wait for every reader
  // of anything this map retired and free it all.
  // Every operation on this map has returned (API.md: destruction is not concurrent), so no
  // reader can still hold anything this map published or retired: free it all now, without
  // waiting for a grace period that a stalled reader of *another* map could hold back.
  void destroy_all() noexcept {
    free_retired_unshared();
    if (dirty_valid_) drop_dirty_locked();
    if (read_table* t = read_table_of(read_.load(std::memory_order_relaxed))) {
      release_read_table(t);  // relaxed: not shared any more
    }
    read_.store(0, std::memory_order_relaxed);
    lookup_table_.store(&empty_read_table, std::memory_order_relaxed);
  }

  // pre: no operation on this map is running (destruction, swap, assignment).
  void free_retired_unshared() noexcept { retired_.free_all_unshared(this); }

  // The first cache line holds what every lookup reads and only promotion (and clear) writes;
  // mu_ and the dirty table, written by every slow-path writer, start the next one.
  Hash hash_;
  KeyEqual eq_;
  mutable Allocator alloc_;
  epoch_domain* domain_;  // the domain this map was created with; see epoch.hpp (shared libs)
  // read_table* | amended_bit. Loaded with acquire by readers, stored with release under mu_.
  mutable std::atomic<std::uintptr_t> read_{0};
  // read_'s table without the amended bit [D5]: what lookups load, so that a hit needs no
  // untagging, and a miss compares it with read_ (absent_unless_amended). Stored under mu_.
  mutable std::atomic<const read_table*> lookup_table_{&empty_read_table};

  // Serializes writers that miss the read table: guards dirty_, dirty_valid_, misses_ and every
  // store to read_ [D4]. Only its exclusive side is used.
  alignas(cache_line_size) mutable writer_mutex mu_;
  mutable table_type dirty_;          // guarded by mu_; meaningful only when dirty_valid_
  mutable bool dirty_valid_ = false;  // guarded by mu_ (Go: m.dirty != nil)
  mutable std::size_t misses_ = 0;    // guarded by mu_
  // The most a reserve() asked for, until the dirty table has held that many entries (see
  // add_new_entry_locked); dirty_locked() sizes rebuilt dirty tables for it. Guarded by mu_.
  mutable std::size_t reserved_ = 0;
  // retired_.pending() as the last slow lookup saw it (find_in_dirty_counting_miss), and how
  // many slow lookups since the last promotion saw it unchanged; guarded by mu_. A heuristic:
  // they only decide when lookups collect.
  mutable std::size_t pending_at_last_slow_lookup_ = 0;
  mutable std::size_t quiet_slow_lookups_ = 0;
  // Entries holding a value; updated after each successful change. A statistic for size().
  mutable std::atomic<std::size_t> count_{0};
  mutable striped_retire_list retired_;
};

// Constant-initialized: usable by maps built in dynamic initializers. One per library that
// instantiates it is harmless: a lookup only probes it, and absent_unless_amended() accepts
// any empty table while read_ is 0.
template <class Key, class T, class Hash, class KeyEqual, class Allocator>
SYNCMAP_DETAIL_CONSTINIT const typename rcu_core<Key, T, Hash, KeyEqual, Allocator>::read_table
    rcu_core<Key, T, Hash, KeyEqual, Allocator>::empty_read_table{};

}  // namespace detail
SYNCMAP_NAMESPACE_END

#endif  // SYNCMAP_DETAIL_RCU_CORE_HPP
