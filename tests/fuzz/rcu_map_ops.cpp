// libFuzzer target: rcu_map against a std::unordered_map model, one thread.
// SPDX-License-Identifier: MIT
//
// Byte 0 (model_driver.hpp): bit 0 picks the types, std::uint64_t -> std::uint64_t or
// std::string -> std::string with a transparent hash (so std::string_view and const char*
// lookups run). Loads of keys only in the dirty table count misses and promote it, so long
// programs move keys between rcu_map's read and dirty tables many times.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include <syncmap/rcu_map.hpp>

#include "fuzz_support.hpp"
#include "model_driver.hpp"

namespace {

using integer_map = syncmap::rcu_map<std::uint64_t, std::uint64_t>;
using string_map =
    syncmap::rcu_map<std::string, std::string, syncmap_fuzz::string_hash, std::equal_to<>>;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  syncmap_fuzz::context().target = "rcu_map_ops";
  const std::uint8_t config = size > 0 ? data[0] : 0;
  if (config & 1) {
    syncmap_fuzz::run_model_program<string_map>(data, size);
  } else {
    syncmap_fuzz::run_model_program<integer_map>(data, size);
  }
  return 0;
}
