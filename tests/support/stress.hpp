// syncmap tests: how long stress loops run.
//
// Stress tests never assert a time. They run a fixed number of iterations, multiplied by
// the environment variable SYNCMAP_STRESS_SCALE (default 1): CI runs at 1 (each test case
// about a second even under TSan on a 2-core box), a nightly job at 20 or more. A value that
// does not parse as a non-negative number stops the test run instead of silently running
// at scale 1, so a typo in a nightly job cannot shrink its coverage unnoticed.
#ifndef SYNCMAP_TESTS_SUPPORT_STRESS_HPP
#define SYNCMAP_TESTS_SUPPORT_STRESS_HPP

#include <cmath>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace syncmap_test {

// The multiplier from SYNCMAP_STRESS_SCALE, read once per process. 0 is allowed: every
// scaled() count becomes 1, a smoke run.
inline double stress_scale() {
  static const double scale = [] {
    const char* text = std::getenv("SYNCMAP_STRESS_SCALE");
    if (text == nullptr || *text == '\0') return 1.0;
    char* end = nullptr;
    const double value = std::strtod(text, &end);
    if (end == text || *end != '\0' || !std::isfinite(value) || value < 0.0) {
      std::fprintf(stderr,
                   "syncmap tests: SYNCMAP_STRESS_SCALE=\"%s\" is not a non-negative number\n",
                   text);
      std::exit(EXIT_FAILURE);
    }
    return value;
  }();
  return scale;
}

// How many workers the concurrency checks start: SYNCMAP_STRESS_THREADS (default 4, 2 to 256),
// read once per process. A soak runs the same tests with 2 (the cores here) up to 16 threads;
// a bad value stops the run, as for SYNCMAP_STRESS_SCALE.
inline std::size_t stress_thread_count() {
  static const std::size_t count = [] {
    const char* text = std::getenv("SYNCMAP_STRESS_THREADS");
    if (text == nullptr || *text == '\0') return std::size_t{4};
    char* end = nullptr;
    const unsigned long value = std::strtoul(text, &end, 10);
    if (end == text || *end != '\0' || value < 2 || value > 256) {
      std::fprintf(stderr,
                   "syncmap tests: SYNCMAP_STRESS_THREADS=\"%s\" is not a count from 2 to 256\n",
                   text);
      std::exit(EXIT_FAILURE);
    }
    return static_cast<std::size_t>(value);
  }();
  return count;
}

// n iterations scaled by stress_scale(): never below 1, saturating instead of overflowing.
inline std::size_t scaled(std::size_t n) {
  const double product = static_cast<double>(n) * stress_scale();
  if (!(product >= 1.0)) return 1;
  constexpr auto max = std::numeric_limits<std::size_t>::max();
  if (product >= static_cast<double>(max)) return max;
  return static_cast<std::size_t>(product);
}

}  // namespace syncmap_test

#endif  // SYNCMAP_TESTS_SUPPORT_STRESS_HPP
