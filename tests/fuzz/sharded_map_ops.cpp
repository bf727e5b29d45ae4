// libFuzzer target: sharded_map against a std::unordered_map model, one thread.
// SPDX-License-Identifier: MIT
//
// Byte 0 (model_driver.hpp): bit 0 picks the types, std::uint64_t -> std::uint64_t or
// std::string -> std::string with a transparent hash (so std::string_view and const char*
// lookups run); bits 1-2 the shard count (1..8); bit 3 std::shared_mutex instead of the
// default rw_spinlock.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <utility>

#include <syncmap/sharded_map.hpp>

#include "fuzz_support.hpp"
#include "model_driver.hpp"

namespace {

using integer_map = syncmap::sharded_map<std::uint64_t, std::uint64_t>;
using integer_map_std_mutex = syncmap::sharded_map<
    std::uint64_t, std::uint64_t, std::hash<std::uint64_t>, std::equal_to<std::uint64_t>,
    std::allocator<std::pair<const std::uint64_t, std::uint64_t>>, std::shared_mutex>;
using string_map =
    syncmap::sharded_map<std::string, std::string, syncmap_fuzz::string_hash, std::equal_to<>>;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  syncmap_fuzz::context().target = "sharded_map_ops";
  const std::uint8_t config = size > 0 ? data[0] : 0;
  if (config & 1) {
    syncmap_fuzz::run_model_program<string_map>(data, size);
  } else if (config & 8) {
    syncmap_fuzz::run_model_program<integer_map_std_mutex>(data, size);
  } else {
    syncmap_fuzz::run_model_program<integer_map>(data, size);
  }
  return 0;
}
