// syncmap: concurrent hash maps for C++17.
// SPDX-License-Identifier: MIT
//
// allocator_rules: which allocator a map ends up with after assignment, as the standard
// containers decide it ([container.reqmts]). Both maps assign by building a complete new
// core with the allocator the destination must end with, then swapping it in with its
// allocator (swap_all): storage is always freed by the allocator that allocated it, and a
// throw while building leaves the destination untouched (strong guarantee).
#ifndef SYNCMAP_DETAIL_ALLOCATOR_RULES_HPP
#define SYNCMAP_DETAIL_ALLOCATOR_RULES_HPP

#include <memory>

#include "config.hpp"

SYNCMAP_NAMESPACE_BEGIN
namespace detail {

// The allocator a copy-assigned map keeps: the source's if it propagates on copy assignment.
template <class Allocator>
Allocator allocator_after_copy_assignment(const Allocator& destination, const Allocator& source) {
  if constexpr (std::allocator_traits<Allocator>::propagate_on_container_copy_assignment::value) {
    return source;
  } else {
    return destination;
  }
}

// True if move assignment may take the source's storage as it is: the allocator propagates,
// or the two compare equal (so either may free what the other allocated). Otherwise the
// elements must be moved one by one into storage from the destination's allocator.
template <class Allocator>
bool move_assignment_takes_storage(const Allocator& destination, const Allocator& source) {
  using traits = std::allocator_traits<Allocator>;
  if constexpr (traits::propagate_on_container_move_assignment::value ||
                traits::is_always_equal::value) {
    (void)destination;
    (void)source;
    return true;
  } else {
    return destination == source;
  }
}

}  // namespace detail
SYNCMAP_NAMESPACE_END

#endif  // SYNCMAP_DETAIL_ALLOCATOR_RULES_HPP
