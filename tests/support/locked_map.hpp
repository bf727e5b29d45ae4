// syncmap tests: locked_map, the obviously-correct oracle.
// SPDX-License-Identifier: MIT
//
// A std::unordered_map behind one std::shared_mutex, implementing every operation of
// /work/shared/API.md with the same result meanings (Go's RWMutexMap, in C++). It is the
// reference the test suite was developed against before the real maps existed, a drop-in
// "map under test" for checking the tests themselves, and the lock-everything baseline for
// benchmarks and linearizability checks.
//
// Every operation holds the one lock for its whole duration, so every operation (single-key
// and whole-map alike) is trivially linearizable. Readers take it shared, writers exclusive;
// callbacks run under it, so a callback must not call back into the same locked_map (that
// would self-deadlock; unlike sharded_map, nothing detects it).
//
// Deliberate differences from the real maps, none of which changes a result:
//   - no shard_count()/reserve-without-rehash guarantee: reserve() forwards to
//     std::unordered_map::reserve, which sizes buckets, not nodes (every insert allocates);
//   - update()/upsert() run their callback on a copy and assign it back only when it
//     returns, so a throwing callback leaves the value untouched (the API's strong guarantee);
//   - heterogeneous lookup under C++17, where std::unordered_map has no transparent find,
//     builds a temporary key when the key is constructible from the argument and otherwise
//     falls back to a linear scan with key_eq(): slow, but still obviously correct.
#ifndef SYNCMAP_TESTS_SUPPORT_LOCKED_MAP_HPP
#define SYNCMAP_TESTS_SUPPORT_LOCKED_MAP_HPP

#include <cstddef>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace syncmap_test {

namespace locked_map_detail {

template <class T, class = void>
struct has_is_transparent : std::false_type {};
template <class T>
struct has_is_transparent<T, std::void_t<typename T::is_transparent>> : std::true_type {};

// Calls f(k, v) and says whether iteration should continue: callbacks returning bool stop on
// false (API.md for_each), callbacks returning anything else never stop.
template <class F, class K, class V>
bool call_for_each_callback(F& f, const K& key, const V& value) {
  using result = std::invoke_result_t<F&, const K&, const V&>;
  if constexpr (std::is_same_v<std::decay_t<result>, bool>) {
    return static_cast<bool>(f(key, value));
  } else {
    f(key, value);
    return true;
  }
}

// Runs `action` when the scope ends by an exception (on_unwind) or normally (on_success).
// The results below are returned as prvalues, which are built straight into the caller's
// object before local destructors run: a guard declared first therefore sees whether
// building the result threw, and can undo (or complete) the mutation accordingly.
enum class run_when { on_unwind, on_success };

template <run_when When, class Action>
class scope_guard {
 public:
  explicit scope_guard(Action action) : action_(action), exceptions_(std::uncaught_exceptions()) {}
  ~scope_guard() {
    const bool unwinding = std::uncaught_exceptions() > exceptions_;
    if (unwinding == (When == run_when::on_unwind)) action_();
  }
  scope_guard(const scope_guard&) = delete;
  scope_guard& operator=(const scope_guard&) = delete;

 private:
  Action action_;
  int exceptions_;
};

template <run_when When, class Action>
scope_guard<When, Action> make_guard(Action action) {
  return scope_guard<When, Action>(action);
}

}  // namespace locked_map_detail

template <class Key, class T, class Hash = std::hash<Key>, class KeyEqual = std::equal_to<Key>,
          class Allocator = std::allocator<std::pair<const Key, T>>>
class locked_map {
  using table_type = std::unordered_map<Key, T, Hash, KeyEqual, Allocator>;
  using iterator = typename table_type::iterator;
  using const_iterator = typename table_type::const_iterator;

  static constexpr bool transparent = locked_map_detail::has_is_transparent<Hash>::value &&
                                      locked_map_detail::has_is_transparent<KeyEqual>::value;

  // The heterogeneous overloads exist only when both functors are transparent (as in C++20's
  // std::unordered_map), and never compete with the Key overload for a Key argument.
  template <class K2>
  using enable_heterogeneous = std::enable_if_t<transparent && !std::is_same_v<K2, Key>, int>;

 public:
  using key_type = Key;
  using mapped_type = T;
  using value_type = std::pair<const Key, T>;
  using size_type = std::size_t;
  using hasher = Hash;
  using key_equal = KeyEqual;
  using allocator_type = Allocator;

  locked_map() = default;

  explicit locked_map(const Hash& hash, const KeyEqual& eq = KeyEqual(),
                      const Allocator& alloc = Allocator())
      : table_(0, hash, eq, alloc) {}

  explicit locked_map(const Allocator& alloc) : table_(alloc) {}

  locked_map(std::initializer_list<value_type> init, const Hash& hash = Hash(),
             const KeyEqual& eq = KeyEqual(), const Allocator& alloc = Allocator())
      : table_(init, 0, hash, eq, alloc) {}

  template <class InputIt>
  locked_map(InputIt first, InputIt last, const Hash& hash = Hash(),
             const KeyEqual& eq = KeyEqual(), const Allocator& alloc = Allocator())
      : table_(first, last, 0, hash, eq, alloc) {}

  // Copying takes a consistent snapshot: the source is held shared for the whole copy.
  // (std::unordered_map's copy constructor applies select_on_container_copy_construction.)
  locked_map(const locked_map& other) : table_(other.locked_copy()) {}

  // Not concurrent-safe for the destination (API.md); the source is held exclusive.
  locked_map(locked_map&& other) : table_(other.locked_move()) {}

  locked_map& operator=(const locked_map& other) {
    if (this == &other) return *this;
    table_type copy = other.locked_copy();
    std::unique_lock<std::shared_mutex> self_lock(mutex_);
    // Copy-assign (not move) so the allocator propagation traits decide, as in the standard.
    table_ = copy;
    return *this;
  }

  locked_map& operator=(locked_map&& other) {
    if (this == &other) return *this;
    std::scoped_lock both(mutex_, other.mutex_);
    table_ = std::move(other.table_);
    other.table_.clear();
    return *this;
  }

  ~locked_map() = default;

  void swap(locked_map& other) {
    if (this == &other) return;
    std::scoped_lock both(mutex_, other.mutex_);
    table_.swap(other.table_);
  }

  friend void swap(locked_map& a, locked_map& b) { a.swap(b); }

  // Equal when both hold the same keys with equal values. Each side is read under its own
  // lock, one after the other, so two concurrent comparisons can never deadlock.
  friend bool operator==(const locked_map& a, const locked_map& b) {
    if (&a == &b) return true;
    const table_type copy = a.locked_copy();
    std::shared_lock<std::shared_mutex> lock(b.mutex_);
    return copy == b.table_;
  }
  friend bool operator!=(const locked_map& a, const locked_map& b) { return !(a == b); }

  // ---- single-key operations ----
  // Each one taking a key by const reference exists twice: for Key itself (so arguments that
  // merely convert to Key, like a string literal for std::string, still work), and, when both
  // functors are transparent, for any other K2 they accept. Both forward to one *_impl.

  std::optional<T> load(const Key& key) const { return load_impl(key); }
  template <class K2, enable_heterogeneous<K2> = 0>
  std::optional<T> load(const K2& key) const {
    return load_impl(key);
  }

  bool contains(const Key& key) const { return contains_impl(key); }
  template <class K2, enable_heterogeneous<K2> = 0>
  bool contains(const K2& key) const {
    return contains_impl(key);
  }

  template <class F>
  bool visit(const Key& key, F f) const {
    return visit_impl(key, f);
  }
  template <class K2, class F, enable_heterogeneous<K2> = 0>
  bool visit(const K2& key, F f) const {
    return visit_impl(key, f);
  }

  bool store(Key key, T value) {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    return table_.insert_or_assign(std::move(key), std::move(value)).second;
  }

  std::pair<T, bool> load_or_store(Key key, T value) {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    const auto [it, inserted] = table_.try_emplace(std::move(key), std::move(value));
    if (!inserted) return {it->second, true};
    // If copying the stored value into the result throws, the insert is undone.
    const iterator stored = it;
    const auto undo = locked_map_detail::make_guard<locked_map_detail::run_when::on_unwind>(
        [&] { table_.erase(stored); });
    return {stored->second, false};
  }

  template <class F>
  std::pair<T, bool> load_or_store_with(Key key, F make) {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    const auto it = table_.find(key);
    if (it != table_.end()) return {it->second, true};
    const iterator stored = table_.try_emplace(std::move(key), make()).first;
    const auto undo = locked_map_detail::make_guard<locked_map_detail::run_when::on_unwind>(
        [&] { table_.erase(stored); });  // as in load_or_store
    return {stored->second, false};
  }

  template <class... Args>
  bool try_emplace(Key key, Args&&... args) {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    return table_.try_emplace(std::move(key), std::forward<Args>(args)...).second;
  }

  std::optional<T> exchange(Key key, T value) {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    const auto it = table_.find(key);
    if (it == table_.end()) {
      table_.try_emplace(std::move(key), std::move(value));
      return std::nullopt;
    }
    T previous(it->second);         // a throw here changes nothing
    it->second = std::move(value);  // nor here, if T's assignment is strong
    // If moving the old value into the result throws, put it back. (A second throw from
    // that assignment would terminate; acceptable in a test oracle.)
    const auto restore = locked_map_detail::make_guard<locked_map_detail::run_when::on_unwind>(
        [&] { it->second = std::move(previous); });
    return std::optional<T>(std::move(previous));
  }

  template <class F>
  bool update(const Key& key, F f) {
    return update_impl(key, f);
  }
  template <class K2, class F, enable_heterogeneous<K2> = 0>
  bool update(const K2& key, F f) {
    return update_impl(key, f);
  }

  template <class F, class... Args>
  bool upsert(Key key, F f, Args&&... args) {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    const auto it = table_.find(key);
    if (it != table_.end()) {
      T copy(it->second);
      f(copy);
      it->second = std::move(copy);
      return false;
    }
    table_.try_emplace(std::move(key), std::forward<Args>(args)...);
    return true;
  }

  bool compare_and_swap(const Key& key, const T& expected, T desired) {
    return compare_and_swap_impl(key, expected, desired);
  }
  template <class K2, enable_heterogeneous<K2> = 0>
  bool compare_and_swap(const K2& key, const T& expected, T desired) {
    return compare_and_swap_impl(key, expected, desired);
  }

  bool compare_and_delete(const Key& key, const T& expected) {
    return compare_and_delete_impl(key, expected);
  }
  template <class K2, enable_heterogeneous<K2> = 0>
  bool compare_and_delete(const K2& key, const T& expected) {
    return compare_and_delete_impl(key, expected);
  }

  std::optional<T> load_and_delete(const Key& key) { return load_and_delete_impl(key); }
  template <class K2, enable_heterogeneous<K2> = 0>
  std::optional<T> load_and_delete(const K2& key) {
    return load_and_delete_impl(key);
  }

  size_type erase(const Key& key) { return erase_impl(key); }
  template <class K2, enable_heterogeneous<K2> = 0>
  size_type erase(const K2& key) {
    return erase_impl(key);
  }

  template <class Pred>
  bool erase_if(const Key& key, Pred pred) {
    return erase_if_impl(key, pred);
  }
  template <class K2, class Pred, enable_heterogeneous<K2> = 0>
  bool erase_if(const K2& key, Pred pred) {
    return erase_if_impl(key, pred);
  }

  // Whole map. A throwing predicate stops the scan; what was erased stays erased.
  template <class Pred>
  size_type erase_if(Pred pred) {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    size_type erased = 0;
    for (auto it = table_.begin(); it != table_.end();) {
      const Key& key = it->first;
      const T& value = it->second;
      if (pred(key, value)) {
        it = table_.erase(it);
        ++erased;
      } else {
        ++it;
      }
    }
    return erased;
  }

  void clear() {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    table_.clear();
  }

  // ---- whole-map reads (shared lock) ----

  template <class F>
  size_type for_each(F f) const {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    size_type calls = 0;
    for (const auto& entry : table_) {
      ++calls;
      if (!locked_map_detail::call_for_each_callback(f, entry.first, entry.second)) break;
    }
    return calls;
  }

  std::vector<std::pair<Key, T>> snapshot() const {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    std::vector<std::pair<Key, T>> contents;
    contents.reserve(table_.size());
    for (const auto& entry : table_)
      contents.emplace_back(entry.first, entry.second);
    return contents;
  }

  size_type size() const {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    return table_.size();
  }

  bool empty() const { return size() == 0; }

  size_type max_size() const noexcept { return table_.max_size(); }

  void reserve(size_type n) {
    if (n > max_size()) {
      throw std::length_error("syncmap_test::locked_map::reserve: " + std::to_string(n) +
                              " exceeds max_size()");
    }
    std::unique_lock<std::shared_mutex> lock(mutex_);
    table_.reserve(n);
  }

  hasher hash_function() const { return table_.hash_function(); }
  key_equal key_eq() const { return table_.key_eq(); }
  allocator_type get_allocator() const { return table_.get_allocator(); }

 private:
  template <class K2>
  std::optional<T> load_impl(const K2& key) const {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    const auto it = find_locked(key);
    if (it == table_.end()) return std::nullopt;
    return it->second;
  }

  template <class K2>
  bool contains_impl(const K2& key) const {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    return find_locked(key) != table_.end();
  }

  template <class K2, class F>
  bool visit_impl(const K2& key, F& f) const {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    const auto it = find_locked(key);
    if (it == table_.end()) return false;
    const T& value = it->second;
    f(value);
    return true;
  }

  // The callback runs on a copy that replaces the value only once it returns, so a throwing
  // callback leaves the stored value untouched.
  template <class K2, class F>
  bool update_impl(const K2& key, F& f) {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    const auto it = find_locked(key);
    if (it == table_.end()) return false;
    T copy(it->second);
    f(copy);
    it->second = std::move(copy);
    return true;
  }

  template <class K2>
  bool compare_and_swap_impl(const K2& key, const T& expected, T& desired) {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    const auto it = find_locked(key);
    if (it == table_.end() || !(it->second == expected)) return false;
    it->second = std::move(desired);
    return true;
  }

  template <class K2>
  bool compare_and_delete_impl(const K2& key, const T& expected) {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    const auto it = find_locked(key);
    if (it == table_.end() || !(it->second == expected)) return false;
    table_.erase(it);
    return true;
  }

  template <class K2>
  std::optional<T> load_and_delete_impl(const K2& key) {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    const auto it = find_locked(key);
    if (it == table_.end()) return std::nullopt;
    // Erase only once the returned copy exists: a throwing copy leaves the entry in place.
    const auto erase = locked_map_detail::make_guard<locked_map_detail::run_when::on_success>(
        [&] { table_.erase(it); });
    return std::optional<T>(it->second);
  }

  template <class K2>
  size_type erase_impl(const K2& key) {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    const auto it = find_locked(key);
    if (it == table_.end()) return 0;
    table_.erase(it);
    return 1;
  }

  template <class K2, class Pred>
  bool erase_if_impl(const K2& key, Pred& pred) {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    const auto it = find_locked(key);
    if (it == table_.end()) return false;
    const T& value = it->second;
    if (!pred(value)) return false;
    table_.erase(it);
    return true;
  }

  table_type locked_copy() const {
    std::shared_lock<std::shared_mutex> lock(mutex_);
    return table_;
  }

  table_type locked_move() {
    std::unique_lock<std::shared_mutex> lock(mutex_);
    table_type moved(std::move(table_));
    table_.clear();
    return moved;
  }

  template <class K2>
  iterator find_locked(const K2& key) {
    if constexpr (std::is_same_v<K2, Key>) {
      return table_.find(key);
    } else {
#if defined(__cpp_lib_generic_unordered_lookup) && __cpp_lib_generic_unordered_lookup >= 201811L
      return table_.find(key);
#else
      if constexpr (std::is_constructible_v<Key, const K2&>) {
        return table_.find(Key(key));
      } else {
        const KeyEqual eq = table_.key_eq();
        for (auto it = table_.begin(); it != table_.end(); ++it) {
          if (eq(it->first, key)) return it;
        }
        return table_.end();
      }
#endif
    }
  }

  template <class K2>
  const_iterator find_locked(const K2& key) const {
    return const_cast<locked_map*>(this)->find_locked(key);
  }

  // The one lock. Guards table_: taken shared by every const operation, exclusive by every
  // mutation; swap, move and assignment take both maps' locks together (std::scoped_lock's
  // deadlock avoidance), and no other path ever holds two.
  mutable std::shared_mutex mutex_;
  table_type table_;  // guarded by mutex_
};

}  // namespace syncmap_test

#endif  // SYNCMAP_TESTS_SUPPORT_LOCKED_MAP_HPP
