// Quick start: four threads count words into one syncmap::sharded_map, then we read it back.
#include <syncmap/sharded_map.hpp>

#include <cstddef>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

int main() {
  syncmap::sharded_map<std::string, int> counts;
  const std::vector<std::string> words = {"apple", "banana", "apple", "cherry", "apple"};

  // Each thread counts every word once. upsert is atomic per key: add 1 if the word is
  // there, else insert it with the value 1. No lock in sight, no count lost.
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (const std::string& word : words)
        counts.upsert(
            word, [](int& n) { ++n; }, 1);
    });
  }
  for (std::thread& thread : threads)
    thread.join();

  // load returns a copy (std::optional): nothing the caller holds can dangle.
  const int apples = counts.load("apple").value_or(0);
  std::printf("apple: %d (4 threads x 3 = 12)\n", apples);

  // load_or_store keeps an existing value and stores only into an empty slot.
  const auto [cherries, cherry_loaded] = counts.load_or_store("cherry", 100);
  const auto [dates, date_loaded] = counts.load_or_store("date", 1);
  std::printf("cherry: %d (loaded: %s), date: %d (loaded: %s)\n", cherries,
              cherry_loaded ? "yes" : "no", dates, date_loaded ? "yes" : "no");

  // for_each visits every entry once, in no particular order.
  const auto visited = counts.for_each(
      [](const std::string& word, int n) { std::printf("  %-6s %d\n", word.c_str(), n); });
  std::printf("%zu words\n", static_cast<std::size_t>(visited));
  return apples == 12 && cherries == 4 && cherry_loaded && dates == 1 && !date_loaded ? 0 : 1;
}
