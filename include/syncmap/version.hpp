// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// The one place the version is written. CMake parses these three lines, so keep their shape.
#ifndef SYNCMAP_VERSION_HPP
#define SYNCMAP_VERSION_HPP

#define SYNCMAP_VERSION_MAJOR 0
#define SYNCMAP_VERSION_MINOR 1
#define SYNCMAP_VERSION_PATCH 0

#define SYNCMAP_DETAIL_STR2(x) #x
#define SYNCMAP_DETAIL_STR(x) SYNCMAP_DETAIL_STR2(x)
#define SYNCMAP_VERSION                     \
  SYNCMAP_DETAIL_STR(SYNCMAP_VERSION_MAJOR) \
  "." SYNCMAP_DETAIL_STR(SYNCMAP_VERSION_MINOR) "." SYNCMAP_DETAIL_STR(SYNCMAP_VERSION_PATCH)

// Inline ABI namespace: binaries built against different versions never mix class layouts.
#define SYNCMAP_DETAIL_ABI_CAT2(a, b, c) v##a##_##b##_##c
#define SYNCMAP_DETAIL_ABI_CAT(a, b, c) SYNCMAP_DETAIL_ABI_CAT2(a, b, c)
#define SYNCMAP_ABI_NAMESPACE \
  SYNCMAP_DETAIL_ABI_CAT(SYNCMAP_VERSION_MAJOR, SYNCMAP_VERSION_MINOR, SYNCMAP_VERSION_PATCH)

#define SYNCMAP_NAMESPACE_BEGIN \
  namespace syncmap {           \
  inline namespace SYNCMAP_ABI_NAMESPACE {
#define SYNCMAP_NAMESPACE_END \
  }                           \
  }

#endif  // SYNCMAP_VERSION_HPP
