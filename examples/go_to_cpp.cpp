// From Go to C++: every method of Go's sync.Map next to its syncmap::rcu_map call.
//
// rcu_map is built like sync.Map (a lock-free read table plus a locked dirty table), and its
// Go-named operations keep Go's results: `loaded` means the key was already there. The
// differences are C++ ones: the map is typed (no `any`), a missing value is an empty
// std::optional instead of (nil, false), and Store and Delete also tell you what they did.
//
// Each line prints the Go call, the C++ call and the result; the program exits 1 if any
// result differs from what the Go documentation promises.
#include <syncmap/rcu_map.hpp>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace {

int failures = 0;

void row(const char* go, const char* cpp, const std::string& result, bool as_go_says) {
  std::printf("%-34s %-38s -> %s%s\n", go, cpp, result.c_str(),
              as_go_says ? "" : "   <-- NOT what Go documents");
  if (!as_go_says) ++failures;
}

// Go's two results (value, ok), spelled the way Go prints them.
std::string go_pair(const std::optional<int>& v, const char* ok_name) {
  return (v ? std::to_string(*v) : std::string("<nil>")) + ", " + ok_name + "=" +
         (v ? "true" : "false");
}
std::string go_bool(const char* name, bool b) {
  return std::string(name) + "=" + (b ? "true" : "false");
}

}  // namespace

int main() {
  // var m sync.Map
  syncmap::rcu_map<std::string, int> m;
  std::printf("%-34s %-38s    %s\n", "Go (sync.Map)", "C++ (syncmap::rcu_map)", "result");

  // Store: Go returns nothing; store() also says whether the key was new.
  const bool inserted = m.store("a", 1);
  row("m.Store(\"a\", 1)", "m.store(\"a\", 1)", go_bool("inserted", inserted), inserted);

  // Load: (value, ok).
  const std::optional<int> a = m.load("a");
  row("v, ok := m.Load(\"a\")", "auto v = m.load(\"a\")", go_pair(a, "ok"), a == 1);
  const std::optional<int> missing = m.load("nope");
  row("v, ok := m.Load(\"nope\")", "auto v = m.load(\"nope\")", go_pair(missing, "ok"), !missing);

  // LoadOrStore: the existing value and loaded=true, or the given value stored, loaded=false.
  const auto [actual_a, loaded_a] = m.load_or_store("a", 9);
  row("v, loaded := m.LoadOrStore(\"a\", 9)", "m.load_or_store(\"a\", 9)",
      std::to_string(actual_a) + ", " + go_bool("loaded", loaded_a), actual_a == 1 && loaded_a);
  const auto [actual_b, loaded_b] = m.load_or_store("b", 2);
  row("v, loaded := m.LoadOrStore(\"b\", 2)", "m.load_or_store(\"b\", 2)",
      std::to_string(actual_b) + ", " + go_bool("loaded", loaded_b), actual_b == 2 && !loaded_b);

  // Swap: stores, returning (previous, loaded).
  const std::optional<int> previous_b = m.exchange("b", 3);
  row("prev, loaded := m.Swap(\"b\", 3)", "auto prev = m.exchange(\"b\", 3)",
      go_pair(previous_b, "loaded"), previous_b == 2);
  const std::optional<int> previous_c = m.exchange("c", 4);
  row("prev, loaded := m.Swap(\"c\", 4)", "auto prev = m.exchange(\"c\", 4)",
      go_pair(previous_c, "loaded"), !previous_c && m.load("c") == 4);

  // CompareAndSwap: swaps only if the current value equals `old`; a missing key never matches.
  const bool swapped = m.compare_and_swap("b", 3, 30);
  row("m.CompareAndSwap(\"b\", 3, 30)", "m.compare_and_swap(\"b\", 3, 30)",
      go_bool("swapped", swapped), swapped && m.load("b") == 30);
  const bool not_swapped = m.compare_and_swap("b", 3, 300);
  row("m.CompareAndSwap(\"b\", 3, 300)", "m.compare_and_swap(\"b\", 3, 300)",
      go_bool("swapped", not_swapped), !not_swapped && m.load("b") == 30);
  const bool absent_swapped = m.compare_and_swap("nope", 0, 1);
  row("m.CompareAndSwap(\"nope\", 0, 1)", "m.compare_and_swap(\"nope\", 0, 1)",
      go_bool("swapped", absent_swapped), !absent_swapped && !m.contains("nope"));

  // CompareAndDelete: deletes only if the current value equals `old`.
  const bool not_deleted = m.compare_and_delete("c", 99);
  row("m.CompareAndDelete(\"c\", 99)", "m.compare_and_delete(\"c\", 99)",
      go_bool("deleted", not_deleted), !not_deleted && m.contains("c"));
  const bool deleted = m.compare_and_delete("c", 4);
  row("m.CompareAndDelete(\"c\", 4)", "m.compare_and_delete(\"c\", 4)", go_bool("deleted", deleted),
      deleted && !m.contains("c"));

  // LoadAndDelete: removes the key, returning (value, loaded).
  const std::optional<int> taken = m.load_and_delete("a");
  row("v, loaded := m.LoadAndDelete(\"a\")", "auto v = m.load_and_delete(\"a\")",
      go_pair(taken, "loaded"), taken == 1 && !m.contains("a"));
  const std::optional<int> taken_again = m.load_and_delete("a");
  row("v, loaded := m.LoadAndDelete(\"a\")", "auto v = m.load_and_delete(\"a\")",
      go_pair(taken_again, "loaded"), !taken_again);

  // Delete: Go returns nothing; erase() returns how many it removed (0 or 1).
  const std::size_t erased = m.erase("b");
  row("m.Delete(\"b\")", "m.erase(\"b\")", "erased " + std::to_string(erased),
      erased == 1 && !m.contains("b"));
  const std::size_t erased_again = m.erase("b");
  row("m.Delete(\"b\")", "m.erase(\"b\")", "erased " + std::to_string(erased_again),
      erased_again == 0);

  // Range: calls f(key, value) for each entry, in no particular order; returning false stops.
  // rcu_map runs f with no lock held, so f may call the map, as in Go.
  m.store("x", 10);
  m.store("y", 20);
  m.store("z", 30);
  std::vector<std::string> seen;
  const std::size_t calls = m.for_each([&](const std::string& key, int value) {
    seen.push_back(key + "=" + std::to_string(value));
    return true;  // keep going
  });
  std::sort(seen.begin(), seen.end());
  std::string listed;
  for (const std::string& kv : seen)
    listed += (listed.empty() ? "" : " ") + kv;
  row("m.Range(func(k, v any) bool {...})", "m.for_each([](auto& k, int v) {...})",
      listed + " (" + std::to_string(calls) + " calls)", listed == "x=10 y=20 z=30");
  const std::size_t calls_until_stop =
      m.for_each([](const std::string&, int) { return false; });  // stop at the first
  row("m.Range(... return false ...)", "m.for_each(... return false ...)",
      std::to_string(calls_until_stop) + " call", calls_until_stop == 1);

  // Clear (Go 1.23): removes every entry.
  m.clear();
  const std::size_t calls_after_clear = m.for_each([](const std::string&, int) {});
  row("m.Clear()", "m.clear()",
      go_pair(m.load("x"), "ok") + " for \"x\", Range calls " + std::to_string(calls_after_clear),
      !m.contains("x") && calls_after_clear == 0 && m.empty());

  if (failures == 0)
    std::printf("every result is what Go documents\n");
  else
    std::printf("%d results differ from Go\n", failures);
  return failures == 0 ? 0 : 1;
}
