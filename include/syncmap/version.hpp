// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// The one place the version is written. CMake parses these three lines, so keep their shape.
#ifndef SYNCMAP_VERSION_HPP
#define SYNCMAP_VERSION_HPP

/// \file
/// The version of syncmap (semantic versioning) and the inline ABI namespace made from it.

/// The major version: changes when the API changes incompatibly.
#define SYNCMAP_VERSION_MAJOR 0
/// The minor version: changes when features are added compatibly.
#define SYNCMAP_VERSION_MINOR 1
/// The patch version: changes for compatible fixes.
#define SYNCMAP_VERSION_PATCH 0

#define SYNCMAP_DETAIL_STR2(x) #x
#define SYNCMAP_DETAIL_STR(x) SYNCMAP_DETAIL_STR2(x)
/// The version as a string literal, "MAJOR.MINOR.PATCH".
#define SYNCMAP_VERSION                     \
  SYNCMAP_DETAIL_STR(SYNCMAP_VERSION_MAJOR) \
  "." SYNCMAP_DETAIL_STR(SYNCMAP_VERSION_MINOR) "." SYNCMAP_DETAIL_STR(SYNCMAP_VERSION_PATCH)

// Inline ABI namespace: binaries built against different versions never mix class layouts.
#define SYNCMAP_DETAIL_ABI_CAT2(a, b, c) v##a##_##b##_##c
#define SYNCMAP_DETAIL_ABI_CAT(a, b, c) SYNCMAP_DETAIL_ABI_CAT2(a, b, c)
/// The name of the inline namespace inside syncmap that holds every public name:
/// vMAJOR_MINOR_PATCH (v0_1_0 for version 0.1.0).
#define SYNCMAP_ABI_NAMESPACE \
  SYNCMAP_DETAIL_ABI_CAT(SYNCMAP_VERSION_MAJOR, SYNCMAP_VERSION_MINOR, SYNCMAP_VERSION_PATCH)

/// Opens namespace syncmap and its inline ABI namespace (for syncmap's own headers).
#define SYNCMAP_NAMESPACE_BEGIN \
  namespace syncmap {           \
  inline namespace SYNCMAP_ABI_NAMESPACE {
/// Closes what SYNCMAP_NAMESPACE_BEGIN opened.
#define SYNCMAP_NAMESPACE_END \
  }                           \
  }

#endif  // SYNCMAP_VERSION_HPP
