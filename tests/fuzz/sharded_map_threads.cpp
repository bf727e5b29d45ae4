// libFuzzer target: sharded_map on two threads, disjoint then overlapping keys.
// SPDX-License-Identifier: MIT
//
// Byte 0 (threads_driver.hpp): bit 0 picks the key type, std::uint64_t or std::string with
// a transparent hash; bits 1-2 the shard count (1..8: one shard makes the threads contend
// for every operation). Values are std::uint64_t counts.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include <syncmap/sharded_map.hpp>

#include "fuzz_support.hpp"
#include "threads_driver.hpp"

namespace {

using integer_map = syncmap::sharded_map<std::uint64_t, std::uint64_t>;
using string_map =
    syncmap::sharded_map<std::string, std::uint64_t, syncmap_fuzz::string_hash, std::equal_to<>>;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  syncmap_fuzz::context().target = "sharded_map_threads";
  const std::uint8_t config = size > 0 ? data[0] : 0;
  if (config & 1) {
    syncmap_fuzz::run_threads_program<string_map>("sharded_map_threads", data, size);
  } else {
    syncmap_fuzz::run_threads_program<integer_map>("sharded_map_threads", data, size);
  }
  return 0;
}
