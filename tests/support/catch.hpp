// syncmap tests: one include for Catch2 v3 (if the build found it) or Debian's v2.13.
#ifndef SYNCMAP_TESTS_SUPPORT_CATCH_HPP
#define SYNCMAP_TESTS_SUPPORT_CATCH_HPP

#if defined(SYNCMAP_CATCH2_V3)
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif

#endif  // SYNCMAP_TESTS_SUPPORT_CATCH_HPP
