// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// Compiler and platform switches shared by every header. Nothing here allocates or declares
// a variable; it only names what the rest of the library may rely on.
#ifndef SYNCMAP_DETAIL_CONFIG_HPP
#define SYNCMAP_DETAIL_CONFIG_HPP

#include <cstddef>

#include "../version.hpp"

#if defined(__GNUC__) || defined(__clang__)
#define SYNCMAP_LIKELY(x) __builtin_expect(!!(x), 1)
#define SYNCMAP_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define SYNCMAP_NOINLINE __attribute__((noinline))
#define SYNCMAP_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define SYNCMAP_LIKELY(x) (x)
#define SYNCMAP_UNLIKELY(x) (x)
#define SYNCMAP_NOINLINE
#define SYNCMAP_ALWAYS_INLINE inline
#endif

// ThreadSanitizer models neither standalone fences nor membarrier(2); code that relies on
// them switches to operations TSan understands when this is 1.
#if defined(__SANITIZE_THREAD__)
#define SYNCMAP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define SYNCMAP_TSAN 1
#endif
#endif
#ifndef SYNCMAP_TSAN
#define SYNCMAP_TSAN 0
#endif

// SSE2 group matching in the flat table; a portable 64-bit SWAR fallback is used otherwise.
// Define SYNCMAP_DISABLE_SSE2 to force the fallback (the tests build it both ways).
#if !defined(SYNCMAP_DISABLE_SSE2) && (defined(__SSE2__) || defined(_M_X64) || defined(_M_AMD64))
#define SYNCMAP_HAS_SSE2 1
#else
#define SYNCMAP_HAS_SSE2 0
#endif

// Debug-only detection of a callback that calls back into the map whose lock it runs under.
#if !defined(SYNCMAP_DISABLE_REENTRANCY_CHECK) && !defined(NDEBUG)
#define SYNCMAP_REENTRANCY_CHECK 1
#else
#define SYNCMAP_REENTRANCY_CHECK 0
#endif

// Opt-in statistics (detail/stats.hpp, sharded_map::stats(), rcu_map::stats()): 1 adds relaxed
// counters; 0 (the default) adds no member and no instruction. It changes the maps' layout, so
// it must be defined identically in every translation unit of a program (ODR): set it on the
// consuming target, e.g. target_compile_definitions(app PRIVATE SYNCMAP_STATS=1).
#ifndef SYNCMAP_STATS
#define SYNCMAP_STATS 0
#endif

// Clang's -Wthread-safety annotations; empty on other compilers.
#if defined(__clang__)
#define SYNCMAP_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define SYNCMAP_THREAD_ANNOTATION(x)
#endif
#define SYNCMAP_GUARDED_BY(x) SYNCMAP_THREAD_ANNOTATION(guarded_by(x))
#define SYNCMAP_PT_GUARDED_BY(x) SYNCMAP_THREAD_ANNOTATION(pt_guarded_by(x))
#define SYNCMAP_REQUIRES(...) SYNCMAP_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))

// Clang -Wthread-safety vocabulary for lock types (empty elsewhere). These describe a lock type
// itself (rw_spinlock); the ones above describe guarded data.
#ifndef SYNCMAP_CAPABILITY
#define SYNCMAP_CAPABILITY(name) SYNCMAP_THREAD_ANNOTATION(capability(name))
#endif
#ifndef SYNCMAP_ACQUIRE
#define SYNCMAP_ACQUIRE(...) SYNCMAP_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#endif
#ifndef SYNCMAP_ACQUIRE_SHARED
#define SYNCMAP_ACQUIRE_SHARED(...) \
  SYNCMAP_THREAD_ANNOTATION(acquire_shared_capability(__VA_ARGS__))
#endif
#ifndef SYNCMAP_TRY_ACQUIRE
#define SYNCMAP_TRY_ACQUIRE(...) SYNCMAP_THREAD_ANNOTATION(try_acquire_capability(__VA_ARGS__))
#endif
#ifndef SYNCMAP_TRY_ACQUIRE_SHARED
#define SYNCMAP_TRY_ACQUIRE_SHARED(...) \
  SYNCMAP_THREAD_ANNOTATION(try_acquire_shared_capability(__VA_ARGS__))
#endif
#ifndef SYNCMAP_RELEASE
#define SYNCMAP_RELEASE(...) SYNCMAP_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
#endif
#ifndef SYNCMAP_RELEASE_SHARED
#define SYNCMAP_RELEASE_SHARED(...) \
  SYNCMAP_THREAD_ANNOTATION(release_shared_capability(__VA_ARGS__))
#endif
#ifndef SYNCMAP_NO_THREAD_SAFETY_ANALYSIS
#define SYNCMAP_NO_THREAD_SAFETY_ANALYSIS SYNCMAP_THREAD_ANNOTATION(no_thread_safety_analysis)
#endif

SYNCMAP_NAMESPACE_BEGIN
namespace detail {

// The unit of false sharing we pad against: 64 bytes on x86-64 and most AArch64 parts.
// (std::hardware_destructive_interference_size is not used: GCC warns that its value may
// differ between translation units compiled with different -mtune, an ODR hazard.)
inline constexpr std::size_t cache_line_size = 64;

}  // namespace detail
SYNCMAP_NAMESPACE_END

#endif  // SYNCMAP_DETAIL_CONFIG_HPP
