// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// Epoch-based memory reclamation for rcu_map: when may a replaced value box or read table be
// freed, given that readers follow pointers to it without taking any lock?
//
// What it is
// ----------
// epoch_domain   A process-wide clock (`global_word_`) plus a registry of per-thread records.
//                A reader brackets every access to shared objects with enter()/leave() (a
//                read section; read_guard is the RAII form). Outermost enter() copies the
//                global epoch e into the thread's record as `e << 1 | 1`; leave() stores 0.
// retire_list    One per map. A writer that unlinks an object calls retire(): the object is
//                tagged with the current global epoch and pushed. collect() frees what is
//                old enough; drain() waits and frees everything (map destructor, clear).
//
// Invariants
// ----------
// I1 The global epoch moves from e to e+1 only after a scan (after heavy fence [H]) in which
//    every record was either quiescent (0) or showed e. So when the global epoch is e+1, no
//    section that started at an epoch < e is still open, and every section open at epoch e
//    was visible to that scan.
// I2 A node tagged t is freed only once the global epoch is >= t+2. Proof sketch, for a
//    reader R that loaded a pointer to the node X inside one section, and the advance S2 from
//    t+1 to t+2 (after whose scan X may be freed):
//    (a) S2's scan read R's word as 0 from R's leave() or any later value: R's section
//        happens-before the scan ([C]/[A2] release, [D] acquire) and so before the free
//        ([E] release, [G] acquire).
//    (b) S2's scan read a value older than R's enter store: by the store-buffering pairing
//        [B]/[H], R's later loads see everything before [H], which includes the unlink: the
//        writer unlinked, then fenced ([R]), then read t, and t+1 was written after that
//        read by an advance S1 that S2 had already seen. So R never loaded X.
//    (c) S2's scan saw R's open section: then it showed t+1 (I1), so R's [A1] load read the
//        value S1 wrote. [R] orders the unlink before the tag read, which was before S1's
//        write; [A1] is an acquire and R's pointer load comes after it: R saw the unlink.
//    In symmetric mode this follows from the C++20 rules on seq_cst fences ([R], [B], [H])
//    and the seq_cst CAS [E]; in asymmetric mode [H] is a membarrier, which puts a full
//    barrier into R at a point that is either before its word store (case b) or after it
//    (case a or c).
//    retire_unfenced() has no [R]: its caller's unlink U is a seq_cst RMW and the tag read
//    T a seq_cst load [R'], so U precedes T in S, and T precedes S1's CAS [E] because it read
//    an older value. In (b) R's fence [B] would precede U in S had R's load missed U, yet
//    follows [H] of S2, which follows S1's [E]; in (c) [B] follows S1's [E] (R read it with
//    [A1]) and would again precede U. Either way U <S T <S [E] orders it out, as [R] did.
//    On hardware the pair is as strong as the fence: a locked RMW is a full barrier on
//    x86-64, and an AArch64 seq_cst RMW's store is ordered before a later seq_cst load.
// I3 Records are never freed while their domain lives, and domains are never destroyed, so a
//    scanner never touches freed memory. A thread returns its record at exit (the owner's
//    destructor) and a later thread adopts it: the registry's length is bounded by the peak
//    number of threads that used the domain at once, plus records borrowed during exit.
// I4 Garbage bound per retire_list: pending() <= hard_limit + T, where T is the number of
//    threads inside retire() on that list at that moment (each holds at most one uncounted
//    increment while it waits). A thread that retires from inside a read section of the same
//    domain never waits (it would wait for itself), so each such thread may add one node per
//    retire beyond the bound until its section closes.
//
// Memory-order labels (each appears again at its site):
//   [A1] enter: acquire load of the global epoch; later loads of the section stay after it.
//   [A2] enter: release store of the epoch word (plain `mov` on x86-64).
//   [B]  enter: light fence after [A2]; pairs with [H].
//   [C]  leave: release store of 0; pairs with [D].
//   [D]  try_advance: acquire loads of every epoch word; pair with [A2] and [C].
//   [H]  try_advance: heavy fence before the scan; pairs with [B].
//   [E]  try_advance: seq_cst CAS of the global epoch; its release pairs with [G] and [A1].
//   [G]  collect/synchronize: acquire load of the global epoch before freeing; pairs with [E].
//   [R]  retire/synchronize: seq_cst fence between the caller's unlink and the tag read.
//   [R'] retire_unfenced: seq_cst tag read after the caller's seq_cst unlink RMW (for [R]).
//   [P]  retire: release CAS pushing a node; pairs with [X].
//   [X]  collect/drain: acquire exchange taking the pushed nodes; pairs with [P].
//   [F]  collect/drain: the collector flag, acquire on take, release on give back.
// Under ThreadSanitizer ([A1], [A2], [C], [D], the tag read and the global loads) become
// seq_cst: TSan ignores standalone fences and membarrier, but it does model seq_cst accesses,
// and with them every edge the proof uses is visible to it.
//
// Hot path (x86-64, asymmetric mode): outermost enter() is a TLS compare, a store to the TLS
// cache, a load of the global epoch (one shared, read-mostly line), a store to the thread's
// own record line and a compiler barrier; leave() is a test of the record's leave_work, one
// store, and a TLS compare and store. No RMW, no mfence, no store to a line another thread
// writes, no fence-mode test and no nesting test: the TLS cache names only asymmetric-mode
// domains [K] and only quiescent records [L] (enter() stops naming the record while its
// section is open, the outermost leave() names it again), so symmetric domains, first uses,
// other domains, borrowed records and nested sections all take the out-of-line enter_slow().
// Nested sections only touch the thread-private `leave_work` count. rcu_map's lookups of keys
// with built-in equality use try_enter_leaf() and leave_leaf() instead: sections inside which
// nothing can open another, which therefore leave the cache alone and close with the store
// alone.
//
// Why per-map retire lists, not per-thread bags (crossbeam, xenium)
// ----------------------------------------------------------------
// A map's garbage must be freed with the map's allocator, and destroying a map must free
// everything it retired. With lists per map, ~rcu_map frees them all and nothing of the map
// outlives it; no thread exit ever carries garbage, and no global queue holds nodes whose
// allocator is gone. A map keeps a few lists (striped_retire_list) and each thread retires
// into one of them, so writers on different cores do not share a list head; a list's nodes
// that their thread left behind are freed by collect() or the map. Collection is single-threaded
// per list: an atomic try-flag [F] picks one collector; others skip, so user destructors never run
// twice and the collector's private list needs no atomics.
//
// Why epochs, not hazard pointers: a hazard pointer costs a store, a fence and a re-validation
// per protected pointer (table and box on every load); an epoch section costs one store for
// the whole operation. The price is that a reader stalled inside a section blocks all
// reclamation in its domain; I4 bounds the memory that costs by making writers wait, and
// rcu_map keeps user callbacks out of sections so a section lasts one lookup.
//
// Thread records and TLS
// ----------------------
// The hot path reads a trivially initialized `thread_local` cache {domain, record}: one
// compare, no TLS wrapper call. On a miss, the slow path finds or acquires the thread's record
// for that domain through a `thread_local` owner object whose destructor returns every record
// the thread holds (a small fixed array plus a heap overflow for threads that use many
// domains). After that destructor has run (a later thread_local destructor or an atexit
// handler uses a map), the phase flag says so and enter() borrows a record for the duration of
// the outermost section instead, never touching the destroyed owner.
//
// Domains and shared libraries: each map stores the domain it was created with and uses it
// for every operation, and the TLS cache is keyed by domain. If two shared libraries each get
// their own copy of default_epoch_domain(), a map still pairs its readers and reclaimers in
// one domain.
//
// Limits: retire_list::soft_limit (1024, or 4 under sanitizers) and hard_limit (8192). A heavy
// fence is a membarrier syscall, which interrupts every other core running this process (an
// IPI; in a virtual machine each one is a VM exit), so a collection, which may do one, runs once
// per soft_limit retires, not per retire. Nodes are freed two advances after they were retired
// (in batches, see retire_list). With 64, the IPIs and their syscalls were a tenth of the CPU
// time of rcu_map's 90/10 benchmark at 2 threads (perf, cpu-clock samples), and 256 gave
// +15-45% there. With 256 and one retire stripe per thread, perf of go_SwapCollision at 2
// threads still put 42% of the time in membarrier (smp_call_function_many_cond,
// native_write_msr, and mutex_spin_on_owner where both threads' calls met in the kernel); 1024,
// with advances shared between lists (below) and a box cache sized for a batch (box_cache.hpp),
// gave side by side at 2 threads (scripts/bench_ab.sh; bench/README.md, "Reclamation cadence")
// CompareAndSwapMostlyHits 2.7x, SwapMostlyHits 1.8x, CompareAndSwapCollision 1.4x and
// SwapCollision 1.3x, +5-15% on the 2^20 mixed workloads at 2 and 4 threads, and no change
// beyond the noise at 1 thread (instructions per store: 288 -> 290, callgrind). 8192 nodes of
// 32-100 bytes (value boxes) is under a megabyte per list; reaching it means a reader is
// stalled, and then waiting is the right answer. Sanitizer builds collect every 4 retires so
// that premature frees surface quickly.
//
// Advances: a collection advances the clock only if it has not moved since that list's
// previous collection. Any advance makes every list's batches older, so when several lists
// collect (a map's stripes, one per writing thread, or many maps) one advance serves them all
// instead of one heavy fence per list; a list whose clock did not move advances it itself, so
// reclamation never waits for another list's writers. And an advance first scans the records
// without the fence: a section that already turned a fenced scan away and is still open (the
// same word) forbids it whatever a new fenced scan would add, so the call returns at once.
// That scan can only refuse, never allow, an advance. With more threads than cores a
// descheduled reader holds its section for a time slice, and every collection meanwhile paid
// a membarrier only to find it. Refusing at the first sight of any older section would also
// refuse at 2 threads on 2 cores, where the reader is running and leaves its section within
// the fence's own latency, so that the fenced scan advances: the second sighting tells a
// stalled section from a short one (membarriers per operation at 2 threads: unchanged).
//
// fork: unsupported while other threads are inside read sections, as with liburcu and folly.
// The child inherits their records in the active state and its reclamation would then wait
// forever. Forking from a thread that is itself in a section is also unsupported. fork
// followed by exec, or fork with no section open in any thread, is fine.
//
// NOTE: tagging nodes in collect() instead of retire() would save the [R] fence per retire,
// but the proof then needs the unlink ordered before the collector's fence through a
// release/acquire chain (fence cumulativity), which the C++ model does not give. Instead a
// caller whose unlink is a seq_cst RMW uses retire_unfenced() [R']: the fence was not cheap
// after all (perf: a third of a one-thread overwrite's retire; 15-20% of the overwrite).
// NOTE: a relaxed [A1] (as in crossbeam) is correct on x86 (TSO keeps loads in order) but not
// on AArch64 in asymmetric mode, where the pointer load could be satisfied before the epoch
// load and case (c) of I2 breaks. The acquire is a plain `mov` on x86.
// NOTE: on x86-64 a missing [B] or [H] is nearly invisible end to end: a reader's word store
// would have to stay in its store buffer across two scans. tests/reclaim/litmus.cpp therefore
// checks the light/heavy pairing itself with a store-buffering litmus test, which does fail
// within a few thousand rounds when either fence is removed.
// NOTE: synchronize() waits for two advances. A section that opens while synchronize() runs
// and reads the epoch before its first advance may delay it until that section closes; a
// section that opens after the first advance never does. RCU implementations give the same
// guarantee ("need not wait for sections that begin after it starts").
#ifndef SYNCMAP_DETAIL_EPOCH_HPP
#define SYNCMAP_DETAIL_EPOCH_HPP

#include <atomic>
#include <cassert>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <new>
#include <thread>
#include <utility>

#include "asymmetric_fence.hpp"
#include "config.hpp"
#include "futex_wait.hpp"  // cpu_relax()

// Sanitizer builds retire in tiny batches so that a premature free shows up after a few
// operations instead of hiding behind a large batch.
#if SYNCMAP_TSAN || defined(__SANITIZE_ADDRESS__)
#define SYNCMAP_DETAIL_RECLAIM_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define SYNCMAP_DETAIL_RECLAIM_SANITIZED 1
#endif
#endif
#ifndef SYNCMAP_DETAIL_RECLAIM_SANITIZED
#define SYNCMAP_DETAIL_RECLAIM_SANITIZED 0
#endif

#if defined(__cpp_constinit)
#define SYNCMAP_DETAIL_CONSTINIT constinit
#else
#define SYNCMAP_DETAIL_CONSTINIT
#endif

SYNCMAP_NAMESPACE_BEGIN
namespace detail {

// Memory order `order`, or seq_cst under ThreadSanitizer (see the essay).
constexpr std::memory_order tsan_or(std::memory_order order) noexcept {
  return SYNCMAP_TSAN ? std::memory_order_seq_cst : order;
}

// Intrusive header that every retirable object (value box, table) embeds as a base or member.
struct retired_node {
  retired_node* next = nullptr;    // link in a retire_list; written only by its current owner
  std::uint64_t retire_epoch = 0;  // set by retire_list::retire
  // Frees the object that embeds this node. `owner` is the map that retired it (for its
  // allocator). Runs on whichever thread collects, outside any lock of the retire_list.
  void (*reclaim)(retired_node* self, void* owner) noexcept = nullptr;
};

// Waits in three stages: spin with a CPU hint, then yield, then sleep with intervals doubling
// from 1 us up to 1 ms. Used by every blocking wait here; none of them has a deadline.
class reclaim_backoff {
 public:
  void pause() noexcept {
    if (step_ < spin_steps) {
      for (unsigned i = 0; i < 16; ++i)
        cpu_relax();
    } else if (step_ < spin_steps + yield_steps) {
      std::this_thread::yield();
    } else {
      const unsigned doublings = step_ - spin_steps - yield_steps;  // 0..16
      const unsigned micros = doublings >= 10 ? 1000u : (1u << doublings);
      std::this_thread::sleep_for(std::chrono::microseconds(micros));
    }
    if (step_ < spin_steps + yield_steps + 16) ++step_;
  }

 private:
  static constexpr unsigned spin_steps = 8;
  static constexpr unsigned yield_steps = 16;
  unsigned step_ = 0;
};

class epoch_domain;

// One thread's announcement to one domain. Aligned to two cache lines so that adjacent-line
// prefetch never makes two threads' records share a transfer unit.
struct alignas(2 * cache_line_size) epoch_record {
  // 0 while quiescent, else (epoch << 1) | 1 while a section is open. Written only by the
  // thread holding the record ([A2], [C]); read by scanners ([D]).
  std::atomic<std::uint64_t> epoch_word{0};
  // What leave() has to do besides storing 0, in one word so that the common leave tests
  // one thing: the number of sections open inside the outermost one (whose presence
  // epoch_word != 0 shows), plus borrowed_flag while the record is held by a thread whose
  // owner object is already destroyed (returned to the registry when the outermost section
  // closes). 0 for an outermost section of a registered thread. Touched only by the thread
  // holding the record; handed over between threads by the release/acquire on in_use.
  unsigned leave_work = 0;
  static constexpr unsigned borrowed_flag = 1u << 31;
  unsigned inner_sections() const noexcept { return leave_work & ~borrowed_flag; }
  // Held by a thread. exchange(true, acquire) to take, store(false, release) to give back.
  std::atomic<bool> in_use{false};
  // Next record in the registry. Written once before the record is published, then immutable.
  epoch_record* next = nullptr;
  // The epoch_word of the open section that last turned a fenced scan away (try_advance).
  // Scanners only, relaxed (a hint); on the second line, which the holder never touches.
  alignas(cache_line_size) mutable std::atomic<std::uint64_t> blocked_advance{0};
};

// A (domain, record) pair held by a thread.
struct epoch_record_slot {
  const epoch_domain* domain;
  epoch_record* record;
};

enum class epoch_thread_phase : unsigned char {
  fresh,       // owner object not constructed yet
  registered,  // owner alive; it lists every record this thread holds
  exited,      // owner destroyed; sections borrow records (see borrowed_flag)
};

// How many domains may have a section open at once in a thread after its owner is destroyed.
inline constexpr std::size_t epoch_borrow_slots = 4;

// Per-thread state that must stay valid until the thread's storage is gone: trivially
// initialized and trivially destructible, so it has no TLS wrapper and outlives every
// thread_local destructor.
struct epoch_thread_state {
  // Last (domain, record) used by enter/leave: the hot-path check. [K] Outside ThreadSanitizer
  // it names only domains in asymmetric mode, so a hit needs no fence-mode test: the light
  // fence of a cached section is a compiler barrier (epoch_domain::cached_fence_mode).
  epoch_record_slot cache;
  epoch_thread_phase phase;
  epoch_record_slot borrowed[epoch_borrow_slots];  // used only in phase `exited`
};

inline thread_local epoch_thread_state epoch_tls{};

// Process-wide reclamation domain. constexpr constructor, trivial destructor: give it static
// storage duration; it is never destroyed, so a thread or atexit handler that runs after
// static destruction still finds it intact. Records it allocates live as long as the process.
class epoch_domain {
 public:
  constexpr epoch_domain() noexcept = default;
  epoch_domain(const epoch_domain&) = delete;
  epoch_domain& operator=(const epoch_domain&) = delete;

  // Opens a read section on the calling thread; nestable (also across domains). No object
  // that a load inside the section can reach (that was not yet retired when the section
  // began) is freed before the matching outermost leave(). May allocate a thread record on
  // a thread's first use of this domain (terminates if that allocation fails).
  // Returns the thread's record, which stays the same until the matching leave().
  epoch_record* enter() noexcept;
  // Closes the innermost section. pre: this thread is in a section of this domain.
  void leave() noexcept;
  // The same, given the record enter() returned: skips finding it again.
  void leave(epoch_record* record) noexcept;
  // A leaf section: one inside which the caller opens no other section and runs no code that
  // could (rcu_map: a lookup of a key with built-in equality). Opens it on the record the
  // thread's cache names for this domain, sets `record` and returns true; or opens nothing and
  // returns false (the cache names another domain or none: first use, another domain used
  // last, or a section of this domain is open), and the caller uses enter(). Close it with
  // leave_leaf(record): one store [L].
  bool try_enter_leaf(epoch_record*& record) noexcept;
  static void leave_leaf(epoch_record* record) noexcept;
  bool in_section() const noexcept;
  // The global epoch (acquire).
  std::uint64_t epoch() const noexcept;
  // One heavy fence and a scan of every record; advances the global epoch from the value read
  // at the start (e) to e+1 if every open section shows e. Returns true if the epoch is past
  // e on return (this call or a concurrent one advanced it).
  bool try_advance() noexcept;
  // Heavy fences try_advance() has issued (tests, statistics).
  std::uint64_t heavy_fences() const noexcept;
  // Blocks until every read section of this domain open at the call has closed: spins, then
  // yields, then sleeps up to 1 ms between attempts to advance twice. A section that opens
  // during the call may delay it (see NOTE in the essay). pre: !in_section() (terminates).
  void synchronize() noexcept;
  // Records ever allocated (tests: stays <= peak concurrent threads + a small constant).
  std::size_t registered_records() const noexcept;
  // Records currently held by a thread.
  std::size_t active_records() const noexcept;

  // Chooses the fence mode if no thread has used the domain yet and returns the mode in
  // force. Test-only use of `force_symmetric`: it has effect only before the first
  // enter()/try_advance() on this domain; afterwards the existing mode is returned.
  fence_mode select_fence_mode(bool force_symmetric = false) noexcept;

 private:
  friend class retire_list;
  friend class epoch_record_owner;

  // Values of mode_state_ besides the fence_mode values.
  static constexpr unsigned char mode_undecided = 0;
  static constexpr unsigned char mode_deciding = 0xff;

  // The fence mode of every domain the TLS cache names [K]: symmetric under ThreadSanitizer
  // (the only mode there), else asymmetric.
  static constexpr fence_mode cached_fence_mode =
      SYNCMAP_TSAN ? fence_mode::symmetric : fence_mode::asymmetric;
  void open_section(epoch_record* record, fence_mode mode) noexcept;
  static void close_section(epoch_record* record) noexcept;
  epoch_record* enter_slow() noexcept;
  void leave_slow(epoch_record* record) noexcept;
  void remember(epoch_record_slot slot) const noexcept;
  epoch_record* record_for_enter_slow() noexcept;
  epoch_record* record_for_leave_slow() const noexcept;
  epoch_record* find_held_record() const noexcept;
  fence_mode ensure_fence_mode() noexcept;
  epoch_record* acquire_record() noexcept;
  static void release_record(epoch_record* record) noexcept;
  void return_borrowed(epoch_record* record) noexcept;
  std::uint64_t epoch_for_retire() const noexcept;
  // The same, for retire_unfenced(): a seq_cst load [R'].
  std::uint64_t epoch_for_unfenced_retire() const noexcept;
  // Whether a plain scan shows, still open, a section from an epoch before `current` that
  // already turned a fenced scan away.
  bool blocking_section_still_open(std::uint64_t current) const noexcept;

  // The global epoch e, kept as `e << 1 | 1`: the word an outermost enter() stores as it is.
  // Read by every outermost enter(); written only by advances. Alone with the mode byte on
  // its line so that registrations never invalidate what readers read.
  alignas(cache_line_size) std::atomic<std::uint64_t> global_word_{1};
  // mode_undecided -> mode_deciding -> fence_mode value, once; read-only afterwards.
  std::atomic<unsigned char> mode_state_{mode_undecided};

  // Push-only registry of records (never shrinks; I3). Written by registering threads, read
  // by scanners and by threads looking for a record to adopt.
  alignas(cache_line_size) std::atomic<epoch_record*> registry_head_{nullptr};
  std::atomic<std::size_t> registry_length_{0};  // statistics only
  std::atomic<std::uint64_t> heavy_fences_{0};   // statistics only, bumped by try_advance
};

// The domain maps use unless given another. Constant-initialized, trivially destructible:
// usable from any dynamic initializer, thread_local destructor or atexit handler.
inline SYNCMAP_DETAIL_CONSTINIT epoch_domain default_epoch_domain_instance;

inline epoch_domain& default_epoch_domain() noexcept {
  return default_epoch_domain_instance;
}

// RAII form of leave_leaf(), for a record try_enter_leaf() opened a section on.
class leaf_read_guard {
 public:
  SYNCMAP_ALWAYS_INLINE explicit leaf_read_guard(epoch_record* record) noexcept : record_(record) {}
  SYNCMAP_ALWAYS_INLINE ~leaf_read_guard() { epoch_domain::leave_leaf(record_); }
  leaf_read_guard(const leaf_read_guard&) = delete;
  leaf_read_guard& operator=(const leaf_read_guard&) = delete;

 private:
  epoch_record* const record_;
};

// RAII read section.
class read_guard {
 public:
  // Always inline: a read section on the rcu_map read path must cost no calls.
  SYNCMAP_ALWAYS_INLINE explicit read_guard(epoch_domain& domain) noexcept
      : domain_(domain), record_(domain.enter()) {}
  SYNCMAP_ALWAYS_INLINE ~read_guard() { domain_.leave(record_); }
  read_guard(const read_guard&) = delete;
  read_guard& operator=(const read_guard&) = delete;

 private:
  epoch_domain& domain_;
  epoch_record* const record_;
};

// Returns every record a thread holds when the thread exits. One per thread (thread_local);
// constructed on the thread's first slow-path registration.
class epoch_record_owner {
 public:
  constexpr epoch_record_owner() noexcept = default;
  epoch_record_owner(const epoch_record_owner&) = delete;
  epoch_record_owner& operator=(const epoch_record_owner&) = delete;
  ~epoch_record_owner();

  epoch_record* find(const epoch_domain* domain) const noexcept {
    for (std::size_t i = 0; i < fixed_used_; ++i) {
      if (fixed_[i].domain == domain) return fixed_[i].record;
    }
    for (const overflow_node* node = overflow_; node != nullptr; node = node->next) {
      if (node->slot.domain == domain) return node->slot.record;
    }
    return nullptr;
  }

  // Records this thread's record for `domain`. Terminates if out of memory.
  void add(const epoch_domain* domain, epoch_record* record) noexcept {
    if (fixed_used_ < fixed_capacity) {
      fixed_[fixed_used_++] = {domain, record};
      return;
    }
    auto* node = new (std::nothrow) overflow_node{{domain, record}, overflow_};
    if (node == nullptr) reclaim_fatal("out of memory registering a thread with an epoch domain");
    overflow_ = node;
  }

 private:
  struct overflow_node {
    epoch_record_slot slot;
    overflow_node* next;
  };
  static void release_or_lend(const epoch_record_slot& slot) noexcept;

  static constexpr std::size_t fixed_capacity = 4;
  epoch_record_slot fixed_[fixed_capacity] = {};
  std::size_t fixed_used_ = 0;
  overflow_node* overflow_ = nullptr;
};

inline thread_local epoch_record_owner epoch_tls_owner;

inline epoch_record_owner::~epoch_record_owner() {
  // From here on this thread borrows records (phase `exited`); the cache must not keep
  // pointing at a record we are about to give back.
  epoch_tls.phase = epoch_thread_phase::exited;
  epoch_tls.cache = {nullptr, nullptr};
  for (std::size_t i = 0; i < fixed_used_; ++i)
    release_or_lend(fixed_[i]);
  while (overflow_ != nullptr) {
    overflow_node* node = overflow_;
    overflow_ = node->next;
    release_or_lend(node->slot);
    delete node;
  }
  fixed_used_ = 0;
}

inline void epoch_record_owner::release_or_lend(const epoch_record_slot& slot) noexcept {
  // relaxed: our own record.
  if (SYNCMAP_LIKELY(slot.record->epoch_word.load(std::memory_order_relaxed) == 0)) {
    epoch_domain::release_record(slot.record);
    return;
  }
  // A section is still open: a thread_local destroyed after us entered it and will leave
  // it from its destructor. Keep the record as a borrowed one, returned by that leave().
  // If the thread ends with the section open, the record stays active and reclamation in
  // its domain stops (as it would for a thread blocked inside a section): a caller bug.
  for (epoch_record_slot& borrowed : epoch_tls.borrowed) {
    if (borrowed.domain == nullptr) {
      slot.record->leave_work |= epoch_record::borrowed_flag;
      borrowed = slot;
      return;
    }
  }
}

// ---- epoch_domain: read sections ----------------------------------------------------------

// [L] The TLS cache names a record only while the record is quiescent (epoch_word 0, and so
// leave_work 0: inner sections are counted only inside an open one, and a borrowed record is
// never cached), or while a leaf section is open on it, inside which no other section opens.
// Kept by: enter() stops naming the record before it opens a section on it; enter_slow() never
// caches; the outermost leave() names the record again once it has closed it (remember());
// the owner's destructor and return_borrowed() clear the cache. Hence enter() and
// try_enter_leaf() need no nesting test, and leave_leaf() no leave_work test. (std::exit()
// from inside a section runs the owner's destructor, but then the section never closes.)
// A leaf section leaves the cache naming its record [L]: nothing inside it reads the cache.
SYNCMAP_ALWAYS_INLINE bool epoch_domain::try_enter_leaf(epoch_record*& record) noexcept {
  const epoch_thread_state& state = epoch_tls;
  if (SYNCMAP_UNLIKELY(state.cache.domain != this)) return false;
  record = state.cache.record;
  // relaxed: our own record.
  assert(record->epoch_word.load(std::memory_order_relaxed) == 0 && "[L]: cached => quiescent");
  open_section(record, cached_fence_mode);  // [K]: the cache names this mode's domains only
  return true;
}

SYNCMAP_ALWAYS_INLINE epoch_record* epoch_domain::enter() noexcept {
  // The leaf open, then the cache stops naming the record: code inside this section may open
  // others, and a nested enter() takes enter_slow(), which counts it.
  epoch_record* record;
  if (SYNCMAP_UNLIKELY(!try_enter_leaf(record))) return enter_slow();
  epoch_tls.cache.domain = nullptr;  // [L]
  // A thread keeps its record for the whole section: when its owner is destroyed meanwhile,
  // the record becomes a borrowed one (release_or_lend), the same record.
  return record;
}

SYNCMAP_ALWAYS_INLINE void epoch_domain::leave_leaf(epoch_record* record) noexcept {
  assert(record->leave_work == 0 && "[L]: a leaf section has no inner section");
  close_section(record);
}

// Out of line: the first section of a thread in this domain, sections after another domain's,
// sections nested in another of this domain [L], borrowed records, and (outside TSan) every
// section of a symmetric-mode domain [K].
SYNCMAP_NOINLINE inline epoch_record* epoch_domain::enter_slow() noexcept {
  epoch_record* const record = record_for_enter_slow();
  // relaxed: our own record.
  if (record->epoch_word.load(std::memory_order_relaxed) != 0) {
    ++record->leave_work;  // nested
    return record;
  }
  // relaxed mode load: written once before any record of this domain was handed out, and
  // this thread got its record through acquire_record(), which read it with acquire.
  open_section(record, static_cast<fence_mode>(mode_state_.load(std::memory_order_relaxed)));
  return record;
}

SYNCMAP_ALWAYS_INLINE void epoch_domain::open_section(epoch_record* record,
                                                      fence_mode mode) noexcept {
  // [A1] acquire: the section's later loads (the read table, a value box) cannot be
  // satisfied before this one; pairs with the release of the advance CAS [E] (I2 case c).
  const std::uint64_t word = global_word_.load(tsan_or(std::memory_order_acquire));
  // [A2] release: a scanner that reads this value (or a later one) with [D] also sees this
  // thread's earlier sections as finished (I2 case a).
  record->epoch_word.store(word, tsan_or(std::memory_order_release));
  // [B] light fence, pairs with the heavy fence [H] in try_advance(): either the scan sees
  // [A2], or the loads below see every unlink that preceded [H].
  light_fence(mode);
}

SYNCMAP_ALWAYS_INLINE void epoch_domain::leave() noexcept {
  epoch_thread_state& state = epoch_tls;
  epoch_record* record =
      SYNCMAP_LIKELY(state.cache.domain == this) ? state.cache.record : record_for_leave_slow();
  leave(record);
}

SYNCMAP_ALWAYS_INLINE void epoch_domain::leave(epoch_record* record) noexcept {
  // relaxed: our own record.
  assert(record != nullptr && record->epoch_word.load(std::memory_order_relaxed) != 0 &&
         "leave() without a matching enter()");
  // One test for both inner sections and a borrowed record: see leave_work.
  if (SYNCMAP_UNLIKELY(record->leave_work != 0)) {
    leave_slow(record);
    return;
  }
  close_section(record);
  // [L]: quiescent again (a borrowed record took leave_slow()). When enter() took the record
  // from the cache and nothing replaced it since, naming the domain again is enough.
  epoch_thread_state& state = epoch_tls;
  if (SYNCMAP_LIKELY(state.cache.record == record)) {
    state.cache.domain = this;
  } else {
    remember({this, record});
  }
}

SYNCMAP_NOINLINE inline void epoch_domain::leave_slow(epoch_record* record) noexcept {
  if (record->inner_sections() != 0) {
    --record->leave_work;
    return;
  }
  close_section(record);
  return_borrowed(record);  // the only other reason for leave_work != 0
}

SYNCMAP_ALWAYS_INLINE void epoch_domain::close_section(epoch_record* record) noexcept {
  // [C] release: every load of the section happens-before a scan that reads this 0 with
  // [D], and so before any free that scan allows.
  record->epoch_word.store(0, tsan_or(std::memory_order_release));
}

inline bool epoch_domain::in_section() const noexcept {
  const epoch_thread_state& state = epoch_tls;
  const epoch_record* record = state.cache.domain == this ? state.cache.record : find_held_record();
  // relaxed: our own record.
  return record != nullptr && record->epoch_word.load(std::memory_order_relaxed) != 0;
}

inline std::uint64_t epoch_domain::epoch() const noexcept {
  // [G] acquire: pairs with the release of the advance CAS [E]; a caller that frees after
  // seeing epoch >= t+2 is ordered after the scan that allowed it.
  return global_word_.load(std::memory_order_acquire) >> 1;
}

inline std::uint64_t epoch_domain::epoch_for_retire() const noexcept {
  // relaxed: ordered after the caller's unlink by the seq_cst fence [R] before it; the value
  // only has to be no newer than the epoch at the unlink (I2).
  return global_word_.load(tsan_or(std::memory_order_relaxed)) >> 1;
}

inline std::uint64_t epoch_domain::epoch_for_unfenced_retire() const noexcept {
  // [R'] seq_cst: after the caller's seq_cst unlink RMW, so the unlink precedes this load in
  // the total order S, the place [R] holds in I2. A plain `mov` on x86-64.
  return global_word_.load(std::memory_order_seq_cst) >> 1;
}

// ---- epoch_domain: records ----------------------------------------------------------------

inline epoch_record* epoch_domain::find_held_record() const noexcept {
  const epoch_thread_state& state = epoch_tls;
  if (state.phase == epoch_thread_phase::registered) return epoch_tls_owner.find(this);
  if (state.phase == epoch_thread_phase::exited) {
    for (const epoch_record_slot& slot : state.borrowed) {
      if (slot.domain == this) return slot.record;
    }
  }
  return nullptr;
}

SYNCMAP_NOINLINE inline epoch_record* epoch_domain::record_for_enter_slow() noexcept {
  epoch_thread_state& state = epoch_tls;
  if (state.phase != epoch_thread_phase::exited) {
    // First touch constructs the owner and schedules its destructor for this thread's exit.
    epoch_record_owner& owner = epoch_tls_owner;
    state.phase = epoch_thread_phase::registered;
    epoch_record* record = owner.find(this);
    if (record == nullptr) {
      record = acquire_record();
      owner.add(this, record);
    }
    return record;  // cached by the outermost leave() [L]
  }
  // The owner is gone: borrow a record until the outermost section closes.
  epoch_record_slot* free_slot = nullptr;
  for (epoch_record_slot& slot : state.borrowed) {
    if (slot.domain == this) return slot.record;
    if (slot.domain == nullptr && free_slot == nullptr) free_slot = &slot;
  }
  if (free_slot == nullptr) {
    reclaim_fatal("too many epoch domains with open read sections during thread exit");
  }
  epoch_record* record = acquire_record();
  record->leave_work |= epoch_record::borrowed_flag;
  *free_slot = {this, record};
  return record;  // never cached [L]
}

SYNCMAP_NOINLINE inline epoch_record* epoch_domain::record_for_leave_slow() const noexcept {
  return find_held_record();
}

// Keeps [K]: caches only what the inline enter() may serve. Call only with a quiescent,
// registered (not borrowed) record [L].
inline void epoch_domain::remember(epoch_record_slot slot) const noexcept {
  // relaxed: as in enter_slow(); the caller holds a record of this domain, so the mode is set.
  const auto mode = static_cast<fence_mode>(mode_state_.load(std::memory_order_relaxed));
  if (mode == cached_fence_mode) epoch_tls.cache = slot;
}

SYNCMAP_NOINLINE inline void epoch_domain::return_borrowed(epoch_record* record) noexcept {
  epoch_thread_state& state = epoch_tls;
  for (epoch_record_slot& slot : state.borrowed) {
    if (slot.record == record) slot = {nullptr, nullptr};
  }
  if (state.cache.record == record) state.cache = {nullptr, nullptr};
  record->leave_work &= ~epoch_record::borrowed_flag;
  release_record(record);
}

inline fence_mode epoch_domain::select_fence_mode(bool force_symmetric) noexcept {
  // acquire: pairs with the release store below, so the chosen mode (and the membarrier
  // registration made before it) is visible to every thread that reads it.
  unsigned char state = mode_state_.load(std::memory_order_acquire);
  if (state == mode_undecided &&
      // acquire on success only orders our probe after this claim; relaxed on failure: we
      // re-read with acquire below.
      mode_state_.compare_exchange_strong(state, mode_deciding, std::memory_order_acquire,
                                          std::memory_order_relaxed)) {
    const fence_mode mode = probe_fence_mode(force_symmetric);
    // release: publishes the mode; pairs with the acquire loads here and in ensure_fence_mode.
    mode_state_.store(static_cast<unsigned char>(mode), std::memory_order_release);
    return mode;
  }
  reclaim_backoff backoff;
  // acquire: as above; another thread is probing, wait for its release store.
  while ((state = mode_state_.load(std::memory_order_acquire)) == mode_deciding)
    backoff.pause();
  return static_cast<fence_mode>(state);
}

inline fence_mode epoch_domain::ensure_fence_mode() noexcept {
  // acquire: pairs with the release store in select_fence_mode.
  const unsigned char state = mode_state_.load(std::memory_order_acquire);
  if (SYNCMAP_LIKELY(state != mode_undecided && state != mode_deciding)) {
    return static_cast<fence_mode>(state);
  }
  return select_fence_mode(false);
}

inline epoch_record* epoch_domain::acquire_record() noexcept {
  // The mode is fixed before this domain's first record exists, hence before any section.
  ensure_fence_mode();
  // acquire: pairs with the release push below; records and their `next` links are
  // immutable after publication.
  for (epoch_record* record = registry_head_.load(std::memory_order_acquire); record != nullptr;
       record = record->next) {
    // relaxed pre-check avoids an RMW on records in use; the exchange's acquire pairs with
    // release_record's release, so the previous holder's writes (leave_work == 0) are visible.
    if (!record->in_use.load(std::memory_order_relaxed) &&
        !record->in_use.exchange(true, std::memory_order_acquire)) {
      return record;
    }
  }
  auto* record = new (std::nothrow) epoch_record;
  if (record == nullptr) reclaim_fatal("out of memory registering a thread with an epoch domain");
  // relaxed: the record is not yet published; the push's release covers it.
  record->in_use.store(true, std::memory_order_relaxed);
  // relaxed: only the starting guess for the CAS loop.
  epoch_record* head = registry_head_.load(std::memory_order_relaxed);
  do {
    record->next = head;
    // release: publishes the record's initial state and `next`; pairs with the acquire loads
    // of registry_head_ in scans and adoptions. relaxed on failure: we only retry.
  } while (!registry_head_.compare_exchange_weak(head, record, std::memory_order_release,
                                                 std::memory_order_relaxed));
  // relaxed: a statistic, read by tests at quiescence.
  registry_length_.fetch_add(1, std::memory_order_relaxed);
  return record;
}

inline void epoch_domain::release_record(epoch_record* record) noexcept {
  // relaxed: the record is still ours.
  assert(record->epoch_word.load(std::memory_order_relaxed) == 0 &&
         "a thread exited inside a read section");
  // release: the next holder (acquire exchange in acquire_record) sees leave_work == 0 and our
  // final epoch word 0. The word itself is already 0: leave() stored it.
  record->in_use.store(false, std::memory_order_release);
}

inline std::size_t epoch_domain::registered_records() const noexcept {
  // relaxed: a statistic; exact when no thread is registering.
  return registry_length_.load(std::memory_order_relaxed);
}

inline std::size_t epoch_domain::active_records() const noexcept {
  std::size_t active = 0;
  // acquire: pairs with the release push in acquire_record (we follow `next`).
  for (const epoch_record* record = registry_head_.load(std::memory_order_acquire);
       record != nullptr; record = record->next) {
    // relaxed: a statistic; exact at quiescence.
    if (record->in_use.load(std::memory_order_relaxed)) ++active;
  }
  return active;
}

// ---- epoch_domain: grace periods ----------------------------------------------------------

inline bool epoch_domain::try_advance() noexcept {
  const fence_mode mode = ensure_fence_mode();
  // relaxed: [E] re-checks the value; a stale e only makes this attempt fail.
  const std::uint64_t current = global_word_.load(tsan_or(std::memory_order_relaxed));
  // Spares the fence while a section that turned one away stays open ("Advances" above). It
  // can only refuse, so I1 and I2 rest on the fenced scan alone; a stale word (the reader has
  // left, we read its old value) only delays the advance to a later call.
  if (blocking_section_still_open(current)) {
    return global_word_.load(tsan_or(std::memory_order_relaxed)) != current;  // relaxed: a hint
  }
  // [H] heavy fence, pairs with every reader's light fence [B]: a section whose word store
  // [A2] the scan below misses sees, in its later loads, every unlink ordered before this.
  heavy_fence(mode);
  // relaxed: a count; the fence it counts costs a system call.
  heavy_fences_.fetch_add(1, std::memory_order_relaxed);
  // acquire: we follow `next` links published by the release push in acquire_record.
  for (const epoch_record* record = registry_head_.load(std::memory_order_acquire);
       record != nullptr; record = record->next) {
    // [D] acquire: pairs with [C] (and [A2]); a reader seen quiescent or in a later section
    // has finished every load of its earlier sections before what we do next.
    const std::uint64_t word = record->epoch_word.load(tsan_or(std::memory_order_acquire));
    if (word != 0 && word != current) {
      // An open section from an older epoch: the clock may not move yet (I1). Someone else
      // may have advanced meanwhile, which counts as progress for the caller.
      // relaxed: a hint for blocking_section_still_open; it orders nothing.
      record->blocked_advance.store(word, std::memory_order_relaxed);
      return global_word_.load(tsan_or(std::memory_order_relaxed)) != current;  // relaxed: a hint
    }
  }
  std::uint64_t expected = current;
  // [E] seq_cst: its release publishes the scan's acquisitions to [G] and [A1]; seq_cst
  // places it in the single total order with [R], [B] and [H] used by I2. relaxed on
  // failure: another thread advanced, which is just as good.
  global_word_.compare_exchange_strong(expected, current + 2, std::memory_order_seq_cst,
                                       std::memory_order_relaxed);  // epoch e + 1
  return true;
}

inline std::uint64_t epoch_domain::heavy_fences() const noexcept {
  return heavy_fences_.load(std::memory_order_relaxed);  // relaxed: a statistic
}

inline bool epoch_domain::blocking_section_still_open(std::uint64_t current) const noexcept {
  // acquire: we follow `next` links published by the release push in acquire_record.
  for (const epoch_record* record = registry_head_.load(std::memory_order_acquire);
       record != nullptr; record = record->next) {
    // relaxed (both): hints that can only turn an advance away (see try_advance).
    const std::uint64_t word = record->epoch_word.load(std::memory_order_relaxed);
    if (word != 0 && word != current &&
        word == record->blocked_advance.load(std::memory_order_relaxed)) {
      return true;
    }
  }
  return false;
}

inline void epoch_domain::synchronize() noexcept {
  if (in_section()) {
    reclaim_fatal("epoch_domain::synchronize() called inside a read section would wait forever");
  }
  // [R] seq_cst fence: the caller's unlinks are ordered before the epoch we start from, as
  // for a retire tag (I2), so a caller may free what it unlinked once this returns.
  std::atomic_thread_fence(std::memory_order_seq_cst);
  // relaxed: ordered by [R]; the target only needs to be no older than the call.
  const std::uint64_t target = (global_word_.load(tsan_or(std::memory_order_relaxed)) >> 1) + 2;
  reclaim_backoff backoff;
  // [G] acquire (in epoch()): the caller's later frees are ordered after the scans.
  while (epoch() < target) {
    if (!try_advance()) backoff.pause();
  }
}

// ---- retire_list ---------------------------------------------------------------------------

// One per map. Lock-free push from any thread; batched, epoch-checked reclamation; bounded
// (I4). Who may touch what:
//   incoming_  any thread pushes (CAS [P]); the collector empties it (exchange [X]).
//   pending_   any thread adds on retire; the freeing thread subtracts after freeing.
//   held_      only the thread holding the collector flag collecting_ [F].
// Held nodes are kept as whole batches (what one collection took from incoming_), each with
// the newest tag among its nodes, and a batch is freed as a whole once that tag is two
// advances old. So a collection reads each node once when it takes it and once when it frees
// it, never again while it waits: walking cold nodes again at every collection was most of
// the collector's time with 8 threads on 2 cores (perf), where a descheduled reader keeps
// batches waiting. The price: a node may wait for the newest node of its batch, one
// collection longer than its own tag needs.
class alignas(cache_line_size) retire_list {
 public:
  // At this many pending nodes retire() starts collecting (every soft_limit retires).
  static constexpr std::size_t soft_limit = SYNCMAP_DETAIL_RECLAIM_SANITIZED ? 4 : 1024;
  static_assert((soft_limit & (soft_limit - 1)) == 0, "push() tests % soft_limit per retire");
  // At this many, retire() blocks until it is below again, unless the caller is inside a
  // read section of this list's domain (then it only tries: waiting would self-deadlock).
  static constexpr std::size_t hard_limit = 8192;

  explicit retire_list(epoch_domain& domain) noexcept : domain_(&domain) {}
  retire_list(const retire_list&) = delete;
  retire_list& operator=(const retire_list&) = delete;
  // pre: drained (no pending nodes) and no concurrent use.
  ~retire_list() {
    assert(pending() == 0 && held_batches_ == 0 &&
           incoming_.load(std::memory_order_relaxed) == nullptr &&
           "retire_list destroyed with nodes not yet freed: call drain() first");
  }

  epoch_domain& domain() const noexcept { return *domain_; }

  // Takes ownership of `node`, whose object the caller has already made unreachable for new
  // readers. Tags it with the current epoch and pushes it; every soft_limit retires collects;
  // at hard_limit blocks (see I4). `owner` is passed to the reclaim functions called here.
  // Lock-free below soft_limit. Must not be called from a reclaim function of this list (the
  // nodes being freed still count as pending, so a wait at hard_limit could wait for itself).
  // Waiting at hard_limit inside a section of *another* domain is allowed, but two threads
  // doing that crosswise on two domains would deadlock; rcu_map never nests domains.
  // Returns whether the push had to retry: another thread pushed to this list at the same time.
  bool retire(retired_node* node, void* owner) noexcept;
  // retire() without its fence [R], for a node whose unlink was a seq_cst read-modify-write
  // sequenced before this call (or was followed by a seq_cst fence): the RMW and the seq_cst
  // tag read [R'] give the order [R] gives (I2). rcu_map's value boxes: the CAS or exchange
  // that takes a box out of its entry is that RMW; on x86-64 it is the same `lock cmpxchg`
  // either way, and the fence it saves was 15-20% of a one-thread overwrite.
  bool retire_unfenced(retired_node* node, void* owner) noexcept;
  // Frees every held node that is two advances old and tries one advance (unless `advance` is
  // false: the caller just tried one for several lists). If another thread is collecting,
  // returns at once. Reclaim functions run after the flag is released.
  void collect(void* owner, bool advance = true) noexcept;
  // Waits for every read section open now to close, then frees every node retired before
  // the call. pre: !domain().in_section() (terminates). Safe concurrently with retire() and
  // collect(); nodes retired during the call may be left for later.
  void drain(void* owner) noexcept;
  // Frees every retired node now, without a grace period. pre: no thread can still reach any
  // of them and nothing uses this list concurrently — the owner's destructor, swap and
  // assignment, which API.md makes non-concurrent with every other operation on the map.
  void free_all_unshared(void* owner) noexcept;
  // Retired and not yet freed (relaxed; exact at quiescence).
  std::size_t pending() const noexcept {
    // relaxed: a count for limits and statistics; it publishes nothing.
    return pending_.load(std::memory_order_relaxed);
  }

 private:
  // retire()'s push of a node tagged `tag`; returns whether the push had to retry.
  bool push(retired_node* node, std::uint64_t tag, void* owner) noexcept;
  void relieve_pressure(std::size_t pending_now, void* owner) noexcept;
  // Nodes taken from incoming_ and not yet safe to free: every node's tag <= newest_tag.
  struct held_batch {
    retired_node* head = nullptr;
    retired_node* tail = nullptr;
    std::uint64_t newest_tag = 0;
  };
  static constexpr std::size_t held_batch_slots = 4;  // more waiting batches are merged

  void hold_locked(retired_node* chain) noexcept;
  retired_node* take_all_locked() noexcept;
  retired_node* take_safe_locked(bool advance) noexcept;
  bool try_lock_collector() noexcept;
  void unlock_collector() noexcept;
  void free_chain(retired_node* chain, void* owner) noexcept;

  // Pushed nodes, newest first. Written by every retiring thread.
  std::atomic<retired_node*> incoming_{nullptr};
  std::atomic<std::size_t> pending_{0};

  // Collector side, on its own line so retirers' pushes do not bounce it.
  alignas(cache_line_size) epoch_domain* const domain_;
  std::atomic<bool> collecting_{false};  // [F]: protects held_ and held_batches_
  held_batch held_[held_batch_slots];    // oldest first; guarded by [F]
  std::size_t held_batches_ = 0;         // guarded by [F]
  // The epoch this list's last collection saw: if it has moved since, someone advanced.
  std::uint64_t epoch_at_last_collection_ = 0;  // guarded by [F]
};

inline bool retire_list::retire(retired_node* node, void* owner) noexcept {
  assert(node != nullptr && node->reclaim != nullptr);
  // [R] seq_cst fence: orders the caller's unlink (its CAS/store that made the node
  // unreachable) before the tag read; pairs in the total order with [E] and [B] (I2 b, c).
  std::atomic_thread_fence(std::memory_order_seq_cst);
  return push(node, domain_->epoch_for_retire(), owner);
}

inline bool retire_list::retire_unfenced(retired_node* node, void* owner) noexcept {
  assert(node != nullptr && node->reclaim != nullptr);
  return push(node, domain_->epoch_for_unfenced_retire(), owner);  // [R'], see the declaration
}

inline bool retire_list::push(retired_node* node, std::uint64_t tag, void* owner) noexcept {
  node->retire_epoch = tag;
  // Counted before the push, never after: once pushed, a collector may free the node and
  // subtract it at once, and a count added after that would dip below zero in between (a
  // sampler saw pending() == SIZE_MAX that way). relaxed: a count (see pending()); it
  // publishes nothing, the node itself is published by [P].
  const std::size_t pending_now = pending_.fetch_add(1, std::memory_order_relaxed) + 1;
  // relaxed: only the starting guess for the CAS loop.
  node->next = incoming_.load(std::memory_order_relaxed);
  // [P] release: publishes the node's tag and link (and the caller's unlink) to the
  // collector's acquire exchange [X]. relaxed on failure: we only retry.
  bool retried = false;
  while (!incoming_.compare_exchange_weak(node->next, node, std::memory_order_release,
                                          std::memory_order_relaxed)) {
    retried = true;
  }
  // Tested here, not in relieve_pressure: pending_ stays above soft_limit in steady state (a
  // collection frees only the batches two advances old), so a call on every retire past it
  // was 20 of a one-key overwrite's ~300 instructions. pending_now >= 1, so a multiple of
  // soft_limit is at least soft_limit.
  if (SYNCMAP_UNLIKELY(pending_now % soft_limit == 0 || pending_now >= hard_limit))
    relieve_pressure(pending_now, owner);
  return retried;
}

SYNCMAP_NOINLINE inline void retire_list::relieve_pressure(std::size_t pending_now,
                                                           void* owner) noexcept {
  if (pending_now < hard_limit) {
    // push() calls us below hard_limit only at a multiple of soft_limit. pending_ moves by one
    // per retire between frees, so every run of soft_limit retires hits a multiple: one
    // collection (one heavy fence) per soft_limit retires.
    collect(owner);
    return;
  }
  if (domain_->in_section()) {
    // Waiting would wait for our own section: try once and let the bound slip (I4).
    collect(owner);
    return;
  }
  reclaim_backoff backoff;
  for (;;) {
    collect(owner);
    if (pending() < hard_limit) return;
    backoff.pause();
  }
}

inline bool retire_list::try_lock_collector() noexcept {
  // [F] relaxed pre-check keeps skipping collectors off the line; the exchange's acquire
  // pairs with unlock_collector's release, so held_ is as the last collector left it.
  return !collecting_.load(std::memory_order_relaxed) &&
         !collecting_.exchange(true, std::memory_order_acquire);
}

inline void retire_list::unlock_collector() noexcept {
  // [F] release: publishes our writes to held_ to the next collector's acquire exchange.
  collecting_.store(false, std::memory_order_release);
}

// Adds a chain taken from incoming_ as the newest batch (merged into the newest one when
// every slot is taken: its tag only grows, which delays, never hastens, a free).
inline void retire_list::hold_locked(retired_node* chain) noexcept {
  held_batch batch{chain, chain, chain->retire_epoch};
  for (retired_node* node = chain->next; node != nullptr; node = node->next) {
    if (node->retire_epoch > batch.newest_tag) batch.newest_tag = node->retire_epoch;
    batch.tail = node;
  }
  if (held_batches_ == held_batch_slots) {
    held_batch& newest = held_[held_batch_slots - 1];
    batch.tail->next = newest.head;
    newest.head = batch.head;
    if (batch.newest_tag > newest.newest_tag) newest.newest_tag = batch.newest_tag;
    return;
  }
  held_[held_batches_++] = batch;
}

// Every node, held or incoming, as one chain.
inline retired_node* retire_list::take_all_locked() noexcept {
  // [X] acquire: pairs with every [P]; the nodes' tags and links are visible.
  retired_node* all = incoming_.exchange(nullptr, std::memory_order_acquire);
  for (std::size_t i = 0; i < held_batches_; ++i) {
    held_[i].tail->next = all;
    all = held_[i].head;
    held_[i] = {};
  }
  held_batches_ = 0;
  return all;
}

inline retired_node* retire_list::take_safe_locked(bool advance) noexcept {
  // [X] acquire: pairs with every [P]; the nodes' tags and links are visible.
  if (retired_node* taken = incoming_.exchange(nullptr, std::memory_order_acquire)) {
    hold_locked(taken);
  }
  if (held_batches_ == 0) return nullptr;
  // An advance by anyone since this list's last collection is the progress ours would make,
  // without our heavy fence (see "Advances" above). An advance never made here only delays
  // frees, and if every list skips, the clock has not moved and the next collection advances.
  if (advance && domain_->epoch() == epoch_at_last_collection_) domain_->try_advance();
  // [G] acquire (in epoch()): pairs with [E]; the scans that made these nodes safe happen
  // before the frees that follow.
  const std::uint64_t now = domain_->epoch();
  epoch_at_last_collection_ = now;
  retired_node* safe = nullptr;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < held_batches_; ++i) {
    held_batch batch = std::exchange(held_[i], {});
    if (batch.newest_tag + 2 <= now) {  // I2: every node of the batch is tagged <= it
      batch.tail->next = safe;
      safe = batch.head;
    } else {
      held_[kept++] = batch;
    }
  }
  held_batches_ = kept;
  return safe;
}

inline void retire_list::free_chain(retired_node* chain, void* owner) noexcept {
  std::size_t freed = 0;
  while (chain != nullptr) {
    retired_node* node = chain;
    chain = node->next;
    node->reclaim(node, owner);
    ++freed;
  }
  // relaxed: a count. Decremented only after the frees, and every node was counted before it
  // was pushed, so pending() never under-reports and never wraps.
  if (freed != 0) pending_.fetch_sub(freed, std::memory_order_relaxed);
}

inline void retire_list::collect(void* owner, bool advance) noexcept {
  if (!try_lock_collector()) return;
  retired_node* safe = take_safe_locked(advance);
  unlock_collector();
  free_chain(safe, owner);
}

inline void retire_list::free_all_unshared(void* owner) noexcept {
  // Not concurrent with anything, so the flag is free; taking it keeps held_'s rule uniform.
  const bool locked = try_lock_collector();
  assert(locked && "retire_list::free_all_unshared() while a collection runs");
  (void)locked;
  retired_node* all = take_all_locked();
  unlock_collector();
  free_chain(all, owner);
}

inline void retire_list::drain(void* owner) noexcept {
  if (domain_->in_section()) {
    reclaim_fatal("retire_list::drain() called inside a read section would wait forever");
  }
  reclaim_backoff backoff;
  while (!try_lock_collector())
    backoff.pause();
  retired_node* all = take_all_locked();
  unlock_collector();
  if (all == nullptr) return;
  // Every node in `all` was tagged before [X] above, so its tag is <= the epoch synchronize()
  // starts from, and synchronize() returns at >= that + 2 (I2), having read it with [G].
  domain_->synchronize();
  free_chain(all, owner);
}

// ---- striped_retire_list ------------------------------------------------------------------

// A thread's stripe number, handed out on its first retire: consecutive threads get
// consecutive numbers, so threads that start together use different stripes, and a thread
// whose push meets another thread's moves on to the next number (two threads that still share
// a stripe soon collide there). Only a hint (a copy per shared library is harmless).
// Trivially initialized TLS: no wrapper call.
inline std::atomic<std::size_t> next_retire_stripe{0};
inline thread_local std::size_t this_thread_retire_stripe = 0;  // 0: none yet; else number + 1

inline std::size_t retire_stripe_of_this_thread() noexcept {
  std::size_t stripe = this_thread_retire_stripe;
  if (SYNCMAP_UNLIKELY(stripe == 0)) {
    // relaxed: a counter that publishes nothing; any value is a correct stripe.
    stripe = next_retire_stripe.fetch_add(1, std::memory_order_relaxed) + 1;
    this_thread_retire_stripe = stripe;
  }
  return stripe - 1;
}

inline void move_this_thread_to_next_retire_stripe() noexcept {
  ++this_thread_retire_stripe;
}

// What a map retires into: `stripes` independent retire_lists of one domain. Each thread
// pushes to, and every soft_limit of those retires collects, the stripe of its number. With
// one list every retire made two RMWs on lines all of the map's writers share, and a collector
// walked and freed nodes another core had just written (and refilled its own box cache with
// them); with a stripe per thread a writer's nodes stay on its core from retire to free.
// Side by side at 2 threads: +30-35% on Go's CompareAndSwapMostlyHits and SwapMostlyHits.
// Each stripe is a whole retire_list with its own proof and bound (I4), so a map's garbage is
// at most stripes * hard_limit plus one per thread inside retire(). A stripe whose threads
// have all gone keeps its nodes until collect() (every stripe; slow-path lookups call it) or
// the owner's free_all_unshared().
class striped_retire_list {
 public:
  static constexpr std::size_t stripes = 4;

  explicit striped_retire_list(epoch_domain& domain) noexcept
      : lists_{retire_list(domain), retire_list(domain), retire_list(domain), retire_list(domain)} {
  }
  striped_retire_list(const striped_retire_list&) = delete;
  striped_retire_list& operator=(const striped_retire_list&) = delete;

  // retire_list::retire_unfenced on this thread's stripe (the same precondition; rcu_core's
  // retire_all fences first when a node's unlink was not a seq_cst RMW).
  void retire_unfenced(retired_node* node, void* owner) noexcept {
    retire_list& list = lists_[retire_stripe_of_this_thread() % stripes];
    if (SYNCMAP_UNLIKELY(list.retire_unfenced(node, owner)))
      move_this_thread_to_next_retire_stripe();
  }
  // retire_list::collect on every stripe (each skips if another thread is collecting it), with
  // one advance for all: every advance is a heavy fence.
  void collect(void* owner) noexcept {
    if (pending() == 0) return;
    lists_[0].domain().try_advance();
    for (retire_list& list : lists_)
      list.collect(owner, false);
  }
  void free_all_unshared(void* owner) noexcept {
    for (retire_list& list : lists_)
      list.free_all_unshared(owner);
  }
  // The stripes' counts summed (relaxed; exact at quiescence).
  std::size_t pending() const noexcept {
    std::size_t sum = 0;
    for (const retire_list& list : lists_)
      sum += list.pending();
    return sum;
  }
  // The bound I4 for all stripes together, with `threads` threads inside retire() at once.
  static constexpr std::size_t bound(std::size_t threads) noexcept {
    return stripes * retire_list::hard_limit + threads;
  }

 private:
  retire_list lists_[stripes];
};

}  // namespace detail
SYNCMAP_NAMESPACE_END

#endif  // SYNCMAP_DETAIL_EPOCH_HPP
