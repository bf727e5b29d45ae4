// syncmap fuzz targets: input decoding, key and value codecs, and failure reporting.
// SPDX-License-Identifier: MIT
//
// Shared by every target in tests/fuzz/ (see README.md there). A target turns libFuzzer's
// bytes into a program of map operations; the pieces here make that decoding total (every
// byte string is a valid program: reading past the end yields zeros), map small numbers onto
// keys and values that make collisions, overwrites and re-inserts common, and report a
// mismatch with enough context to read the failing program back (SYNCMAP_FUZZ_TRACE=1 prints
// every operation as it runs).
#ifndef SYNCMAP_TESTS_FUZZ_FUZZ_SUPPORT_HPP
#define SYNCMAP_TESTS_FUZZ_FUZZ_SUPPORT_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

namespace syncmap_fuzz {

// ---- failure reporting ----

// What the running program is doing, for the failure message. One per thread: the
// concurrent targets run two programs at once.
struct op_context {
  const char* target = "";
  const char* op = "";
  std::size_t index = 0;  // position of the operation in its program
  int key = -1;           // key index, or -1 for whole-map operations
  int thread = -1;        // -1 for the single-threaded targets
};

inline op_context& context() {
  thread_local op_context current;
  return current;
}

inline bool tracing() {
  static const bool on = [] {
    const char* value = std::getenv("SYNCMAP_FUZZ_TRACE");
    return value != nullptr && *value != '\0' && *value != '0';
  }();
  return on;
}

// Called at the start of every decoded operation: records it for fail() and prints it when
// SYNCMAP_FUZZ_TRACE is set.
inline void begin_op(const char* op, std::size_t index, int key) {
  op_context& c = context();
  c.op = op;
  c.index = index;
  c.key = key;
  if (tracing()) {
    std::fprintf(stderr, "[%s t%d] #%zu %s key=%d\n", c.target, c.thread, index, op, key);
  }
}

[[noreturn]] inline void fail(const char* file, int line, const char* condition,
                              const std::string& detail) {
  const op_context& c = context();
  std::fprintf(stderr,
               "\nsyncmap fuzz MISMATCH in %s: thread %d, operation #%zu (%s, key index %d)\n"
               "  check failed: %s\n  %s\n  at %s:%d\n"
               "  (rerun the input with SYNCMAP_FUZZ_TRACE=1 to print the whole program)\n",
               c.target, c.thread, c.index, c.op, c.key, condition, detail.c_str(), file, line);
  std::fflush(stderr);
  std::abort();
}

// `detail` (a std::string expression) is evaluated only when the check fails.
#define SYNCMAP_FUZZ_CHECK(condition, detail)                                       \
  do {                                                                              \
    if (!(condition)) ::syncmap_fuzz::fail(__FILE__, __LINE__, #condition, detail); \
  } while (false)

// ---- decoding ----

// Reads the input front to back; past the end every read yields 0, so any byte string decodes.
class byte_reader {
 public:
  byte_reader(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
  bool at_end() const noexcept { return pos_ >= size_; }
  std::uint8_t next() noexcept { return pos_ < size_ ? data_[pos_++] : 0; }
  std::size_t position() const noexcept { return pos_; }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

// The exception a deliberately throwing callback throws.
struct injected_failure {};

// ---- keys ----

inline constexpr int key_space = 64;  // key indices 0..63

// How a key argument is passed, from the top two bits of a key byte.
enum class key_form : std::uint8_t {
  lvalue,    // const key_type&
  rvalue,    // key_type&& (where an overload takes one; else as lvalue)
  view,      // std::string_view (heterogeneous lookups on string maps; else as lvalue)
  c_string,  // const char*      (likewise)
};

struct key_byte {
  int index;
  key_form form;
};

inline key_byte decode_key(std::uint8_t byte, int space = key_space) {
  return {(byte & 63) % space, static_cast<key_form>(byte >> 6)};
}

template <class Key>
struct key_codec;

// Small integers and a few with high bits set (so the hash mixer sees more than low bits).
template <>
struct key_codec<std::uint64_t> {
  static constexpr bool has_views = false;
  static std::uint64_t make(int index) {
    const auto i = static_cast<std::uint64_t>(index);
    return index < 48 ? i : ~std::uint64_t{0} - (i << 40);
  }
  // The index `key` was made from, or -1 if it is not in the key space.
  static int index_of(std::uint64_t key) {
    if (key < 48) return static_cast<int>(key);
    const std::uint64_t index = (~std::uint64_t{0} - key) >> 40;
    if (index < 48 || index >= key_space) return -1;
    return make(static_cast<int>(index)) == key ? static_cast<int>(index) : -1;
  }
  static std::uint64_t code(std::uint64_t key) { return key; }
  static std::string show(std::uint64_t key) { return std::to_string(key); }
};

// Short keys that fit the small-string buffer and long ones that do not; index 0 is "".
template <>
struct key_codec<std::string> {
  static constexpr bool has_views = true;
  static const std::string& make(int index) {
    static const std::array<std::string, key_space> keys = [] {
      std::array<std::string, key_space> out;
      for (int i = 1; i < key_space; ++i) {
        out[static_cast<std::size_t>(i)] =
            (i % 4 == 3 ? "a-key-too-long-for-any-small-string-buffer-" : "k") + std::to_string(i);
      }
      return out;
    }();
    return keys[static_cast<std::size_t>(index)];
  }
  static int index_of(const std::string& key) {
    static const std::unordered_map<std::string, int> indices = [] {
      std::unordered_map<std::string, int> out;
      for (int i = 0; i < key_space; ++i)
        out.emplace(make(i), i);
      return out;
    }();
    const auto it = indices.find(key);
    return it == indices.end() ? -1 : it->second;
  }
  static std::uint64_t code(const std::string& key) {
    return key.size() * 7 + (key.empty() ? 0 : static_cast<unsigned char>(key.back()));
  }
  static std::string show(const std::string& key) { return '"' + key + '"'; }
};

// A set of keys of the key space, as a bit per index: what a whole-map read produced so far.
// No allocation, so checking every read stays cheap.
template <class Key>
class key_set {
 public:
  // Adds `key`; false if it is already in the set or not in the key space at all.
  bool insert(const Key& key) {
    const int index = key_codec<Key>::index_of(key);
    if (index < 0) return false;
    const std::uint64_t bit = std::uint64_t{1} << index;
    if (bits_ & bit) return false;
    bits_ |= bit;
    return true;
  }
  std::size_t size() const noexcept {
    return static_cast<std::size_t>(__builtin_popcountll(bits_));
  }
  void clear() noexcept { bits_ = 0; }

 private:
  std::uint64_t bits_ = 0;
};

// Hash for std::string keys that also accepts std::string_view and const char* (with
// std::equal_to<>, this turns on the maps' heterogeneous lookups).
struct string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view key) const noexcept {
    return std::hash<std::string_view>()(key);
  }
};

// Call f with the key for `k` in the form the key byte asks for. with_lookup_key serves the
// operations taking `const K&`, which have heterogeneous overloads: std::string_view and
// const char* for string maps (both forms act as lvalues elsewhere). with_insert_key serves
// the insertions, which take key_type by const& or && and nothing else.
template <class Key, class F>
decltype(auto) with_lookup_key(key_byte k, F&& f) {
  using codec = key_codec<Key>;
  if constexpr (codec::has_views) {
    if (k.form == key_form::view) return f(std::string_view(codec::make(k.index)));
    if (k.form == key_form::c_string) return f(codec::make(k.index).c_str());
  }
  const Key& key = codec::make(k.index);
  return f(key);
}

template <class Key, class F>
decltype(auto) with_insert_key(key_byte k, F&& f) {
  using codec = key_codec<Key>;
  if (k.form == key_form::rvalue) return f(Key(codec::make(k.index)));
  const Key& key = codec::make(k.index);
  return f(key);
}

// ---- values ----

template <class T>
struct value_codec;

template <>
struct value_codec<std::uint64_t> {
  static std::uint64_t make(std::uint8_t byte) { return byte & 15; }  // small: CAS hits often
  static void bump(std::uint64_t& value) noexcept { value += 1; }
  static std::uint64_t code(std::uint64_t value) { return value; }
  static std::string show(std::uint64_t value) { return std::to_string(value); }
};

// Short values and ones too long for the small-string buffer; bump() is a pure function of
// the value (rcu_map may run an update callback more than once).
template <>
struct value_codec<std::string> {
  static std::string make(std::uint8_t byte) {
    std::string value = "v" + std::to_string(byte & 15);
    if (byte & 16) value.append(24, 'x');
    return value;
  }
  static void bump(std::string& value) noexcept {
    if (value.size() < 40) {
      value.push_back('+');
    } else {
      value.resize(2);
    }
  }
  static std::uint64_t code(const std::string& value) {
    return value.size() * 31 + (value.empty() ? 0 : static_cast<unsigned char>(value[0]));
  }
  static std::string show(const std::string& value) { return '"' + value + '"'; }
};

template <class T>
std::string show(const std::optional<T>& value) {
  return value ? value_codec<T>::show(*value) : std::string("none");
}

// ---- map families ----

template <class Map, class = void>
struct is_sharded : std::false_type {};
template <class Map>
struct is_sharded<Map, std::void_t<decltype(std::declval<const Map&>().shard_count())>>
    : std::true_type {};
template <class Map>
inline constexpr bool is_sharded_v = is_sharded<Map>::value;

// Power-of-two shard counts 1..8 from two bits of a configuration byte.
inline std::size_t shard_count_from(std::uint8_t config) {
  return std::size_t{1} << ((config >> 1) & 3);
}

template <class Map>
Map make_map(std::size_t shards) {
  if constexpr (is_sharded_v<Map>) {
    return Map(shards);
  } else {
    (void)shards;
    return Map();
  }
}

}  // namespace syncmap_fuzz

#endif  // SYNCMAP_TESTS_FUZZ_FUZZ_SUPPORT_HPP
