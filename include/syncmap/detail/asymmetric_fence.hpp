// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// Asymmetric fences: a nearly free fence for the side that runs millions of times a second
// (a reader entering a read section) paid for by an expensive fence on the side that runs
// rarely (a reclaimer about to scan the readers' epoch words).
//
// What it is
// ----------
//   light_fence(mode)    reader side. asymmetric: a compiler-only barrier, no instruction.
//                        symmetric: std::atomic_thread_fence(seq_cst) (mfence on x86-64).
//   heavy_fence(mode)    reclaimer side. asymmetric: membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED),
//                        which makes every running thread of this process execute a full barrier
//                        (by IPI) before it returns. symmetric: std::atomic_thread_fence(seq_cst).
//   probe_fence_mode()   decides once which of the two modes a reclamation domain uses.
//
// The pattern it serves is store buffering. Reader: `store my_word; light_fence; load x`.
// Reclaimer: `store x (unlink); heavy_fence; load my_word`. With a real fence on both sides
// at least one of them sees the other's store. membarrier keeps that guarantee with the
// reader's fence reduced to nothing: the IPI forces a full barrier into the reader at some
// point of its instruction stream, so either the reader's word store is before that point
// (and visible to the reclaimer's scan) or its later loads are after it (and see the unlink).
// The kernel's own comment on membarrier(2) draws exactly this pattern.
//
// Invariants
// ----------
// - A mode is chosen once per domain, before the domain hands out its first thread record,
//   so it is fixed before any read section or scan of that domain runs. The two sides must
//   agree: a compiler-only light fence is correct only against a membarrier heavy fence.
//   Downgrading later is unsound (a reader may be between its word store and its loads with
//   only a compiler barrier in between), so a membarrier failure after asymmetric mode was
//   chosen terminates the process with a message instead.
// - Asymmetric mode only if all hold: Linux, not ThreadSanitizer, SYNCMAP_NO_MEMBARRIER not
//   defined at compile time, environment variable SYNCMAP_NO_MEMBARRIER unset or empty, QUERY
//   reports both PRIVATE_EXPEDITED and REGISTER_PRIVATE_EXPEDITED, and REGISTER succeeds.
//   Otherwise symmetric. The environment switch is the escape hatch for sandboxes whose
//   seccomp filter kills the process on an unknown syscall instead of returning ENOSYS.
// - Registration belongs to the process's mm and is dropped by exec. heavy_fence therefore
//   re-registers and retries once on EPERM (folly's AsymmetricThreadFence does the same).
// - errno is preserved: the library never leaves a syscall's errno for the caller to see.
//
// Why this design
// ---------------
// - membarrier over a reader-side fence: `mfence` (or a locked RMW) on every read section
//   is the whole cost of an otherwise plain-load read path.
// - Mode stored per domain, not in one global: every shared library that inlines this header
//   may get its own copy of an inline variable. A map created in library A and read by code
//   inlined into library B must use A's mode on both sides, so the mode travels with the
//   domain the map points to (see epoch.hpp).
// - ThreadSanitizer models neither standalone fences nor membarrier, so under TSan the mode is
//   always symmetric and epoch.hpp additionally makes the paired accesses seq_cst, which TSan
//   does model.
//
// NOTE: folly falls back to the mprotect trick (shrinking a page's permissions forces a TLB
// shootdown IPI) when membarrier is unavailable. That is unsound on ARM64, where TLB
// invalidation is broadcast in hardware without interrupting the other cores; we use plain
// seq_cst fences on both sides instead.
// NOTE: MEMBARRIER_CMD_GLOBAL (formerly SHARED) needs no registration but waits for a
// scheduler grace period (milliseconds) and is EINVAL under nohz_full; PRIVATE_EXPEDITED costs
// microseconds. We do not use GLOBAL as a fallback: symmetric fences are cheaper than a
// millisecond per scan.
//
// fork: the child inherits the parent's mode. Registration survives fork in current kernels;
// if it did not, the EPERM retry re-registers.
#ifndef SYNCMAP_DETAIL_ASYMMETRIC_FENCE_HPP
#define SYNCMAP_DETAIL_ASYMMETRIC_FENCE_HPP

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <exception>

#include "config.hpp"

#if defined(__linux__) && !SYNCMAP_TSAN && !defined(SYNCMAP_NO_MEMBARRIER)
#if defined(__has_include)
#if __has_include(<linux/membarrier.h>) && __has_include(<sys/syscall.h>)
#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>
#if defined(__NR_membarrier)
#define SYNCMAP_DETAIL_HAS_MEMBARRIER 1
#endif
#endif
#endif
#endif
#ifndef SYNCMAP_DETAIL_HAS_MEMBARRIER
#define SYNCMAP_DETAIL_HAS_MEMBARRIER 0
#endif

SYNCMAP_NAMESPACE_BEGIN
namespace detail {

// How a domain pairs its light and heavy fences. Values start at 1 so that 0 can mean
// "not decided yet" in the domain's state byte.
enum class fence_mode : unsigned char {
  symmetric = 1,   // seq_cst thread fence on both sides
  asymmetric = 2,  // compiler barrier (reader) + membarrier PRIVATE_EXPEDITED (reclaimer)
};

// Prints `message` and terminates. Used where continuing would risk freeing memory a reader
// still uses.
[[noreturn]] inline void reclaim_fatal(const char* message) noexcept {
  std::fputs("syncmap: fatal: ", stderr);
  std::fputs(message, stderr);
  std::fputc('\n', stderr);
  std::terminate();
}

#if SYNCMAP_DETAIL_HAS_MEMBARRIER
// membarrier(2) has no glibc wrapper before 2.36 (Debian bookworm's has none in <unistd.h>
// under C++), hence the raw syscall. The third argument (cpu_id) is ignored without
// MEMBARRIER_CMD_FLAG_CPU.
inline long membarrier_syscall(int command) noexcept {
  return ::syscall(__NR_membarrier, command, 0u, 0);
}
#endif

// Decides a domain's mode (see the invariants above). Called once per domain, before the
// domain's first thread record exists. `force_symmetric` is for tests that must exercise the
// symmetric protocol on a machine where membarrier works.
inline fence_mode probe_fence_mode(bool force_symmetric = false) noexcept {
  if (force_symmetric) return fence_mode::symmetric;
#if SYNCMAP_DETAIL_HAS_MEMBARRIER
  const char* opt_out = std::getenv("SYNCMAP_NO_MEMBARRIER");
  if (opt_out != nullptr && *opt_out != '\0') return fence_mode::symmetric;
  const int saved_errno = errno;
  fence_mode mode = fence_mode::symmetric;
  const long supported = membarrier_syscall(MEMBARRIER_CMD_QUERY);
  const long needed = MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;
  if (supported >= 0 && (supported & needed) == needed &&
      membarrier_syscall(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0) {
    mode = fence_mode::asymmetric;
  }
  errno = saved_errno;
  return mode;
#else
  return fence_mode::symmetric;
#endif
}

// The symmetric light fence, out of line: the inlined read path of rcu_map then holds no
// fence instruction at all (tests/read_path disassembles it), and the call is as much a
// compiler barrier as the fence it contains.
SYNCMAP_NOINLINE inline void symmetric_light_fence() noexcept {
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

// Reader side of the pairing. Inlined into every outermost read section.
SYNCMAP_ALWAYS_INLINE void light_fence(fence_mode mode) noexcept {
  if (SYNCMAP_LIKELY(mode == fence_mode::asymmetric)) {
    // Compiler-only: keeps the compiler from moving the caller's loads above its epoch-word
    // store. The hardware ordering comes from the IPI barrier of the paired heavy_fence().
    std::atomic_signal_fence(std::memory_order_seq_cst);
  } else {
    symmetric_light_fence();
  }
}

// Reclaimer side of the pairing. In asymmetric mode, when this returns every thread of the
// process that was running has executed a full barrier, and threads that were not running
// pass one on their next context switch (the kernel's switch path has one).
inline void heavy_fence(fence_mode mode) noexcept {
#if SYNCMAP_DETAIL_HAS_MEMBARRIER
  if (mode == fence_mode::asymmetric) {
    // The syscall is an opaque call to the compiler; the signal fences only make the
    // ordering intent explicit at the call site.
    std::atomic_signal_fence(std::memory_order_seq_cst);
    const int saved_errno = errno;
    long result = membarrier_syscall(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
    if (result != 0 && errno == EPERM &&
        membarrier_syscall(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0) {
      // Registration was lost (exec of this image, or a seccomp change): register and retry.
      result = membarrier_syscall(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
    }
    if (result != 0) {
      reclaim_fatal(
          "membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) failed after asymmetric fences were "
          "chosen; readers rely on it, so reclamation cannot continue safely. Set "
          "SYNCMAP_NO_MEMBARRIER=1 to use symmetric fences.");
    }
    errno = saved_errno;
    std::atomic_signal_fence(std::memory_order_seq_cst);
    return;
  }
#endif
  (void)mode;
  std::atomic_thread_fence(std::memory_order_seq_cst);
}

}  // namespace detail
SYNCMAP_NAMESPACE_END

#endif  // SYNCMAP_DETAIL_ASYMMETRIC_FENCE_HPP
