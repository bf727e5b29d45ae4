// Word count: N threads count the words of a text file into one syncmap::sharded_map, then the
// same program runs on a std::unordered_map behind one std::mutex, and the two counts must agree.
//
//   word_count [file] [threads]
//
// Without a file it counts examples/data/sample.txt, a short story written for these examples
// and dedicated to the public domain. A few KB of text take well under a millisecond, so the
// times below are mostly thread start-up; give it a whole book to see the two maps differ.
#include <syncmap/sharded_map.hpp>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

// examples/CMakeLists.txt points this at examples/data; the fallback suits a hand-built binary
// run from examples/.
#ifndef SYNCMAP_EXAMPLE_DATA_DIR
#define SYNCMAP_EXAMPLE_DATA_DIR "data"
#endif

namespace {

// A word is a run of ASCII letters and apostrophes ("don't", "o'clock"), compared lowercased.
bool is_word_char(char c) {
  return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '\'';
}

// Calls f(std::string word) for each word of `text`, lowercased, without surrounding quotes.
template <class F>
void for_each_word(std::string_view text, F f) {
  std::size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && !is_word_char(text[i]))
      ++i;
    std::string word;
    while (i < text.size() && is_word_char(text[i]))
      word += static_cast<char>(std::tolower(static_cast<unsigned char>(text[i++])));
    const std::size_t first = word.find_first_not_of('\'');
    if (first == std::string::npos) continue;  // nothing but apostrophes (or end of text)
    f(word.substr(first, word.find_last_not_of('\'') - first + 1));
  }
}

// Cuts `text` into `n` pieces of about the same size, never in the middle of a word.
std::vector<std::string_view> split(std::string_view text, std::size_t n) {
  std::vector<std::string_view> pieces;
  std::size_t begin = 0;
  for (std::size_t i = 1; i <= n; ++i) {
    std::size_t end = std::max(begin, text.size() * i / n);
    while (end < text.size() && is_word_char(text[end]))
      ++end;
    pieces.push_back(text.substr(begin, end - begin));
    begin = end;
  }
  return pieces;
}

// Runs count_piece(piece) on one thread per piece; returns the wall time in milliseconds.
template <class F>
double run_threads(const std::vector<std::string_view>& pieces, F count_piece) {
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (std::string_view piece : pieces)
    threads.emplace_back([&count_piece, piece] { count_piece(piece); });
  for (std::thread& thread : threads)
    thread.join();
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : SYNCMAP_EXAMPLE_DATA_DIR "/sample.txt";
  const long thread_count = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 2;
  if (argc > 3 || thread_count < 1 || thread_count > 256) {
    std::fprintf(stderr, "usage: word_count [file] [threads: 1..256, default 2]\n");
    return 2;
  }
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    std::fprintf(stderr, "word_count: cannot open %s\n", path.c_str());
    return 2;
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  const std::string text = contents.str();
  const std::vector<std::string_view> pieces = split(text, static_cast<std::size_t>(thread_count));
  std::printf("%s: %zu bytes, %ld threads\n", path.c_str(), text.size(), thread_count);

  // 1. syncmap: every thread writes into the same map, with no lock of its own.
  syncmap::sharded_map<std::string, std::uint64_t> counts;
  const double sharded_ms = run_threads(pieces, [&](std::string_view piece) {
    for_each_word(piece, [&](std::string word) {
      // Atomic per word: add one if the word is there, else insert it with the count 1. The
      // callback is noexcept, so it runs in place under the shard's lock (no copy of the value).
      counts.upsert(
          std::move(word), [](std::uint64_t& n) noexcept { ++n; }, std::uint64_t{1});
    });
  });

  // 2. The same program the usual way: one map, one mutex around every change.
  std::unordered_map<std::string, std::uint64_t> plain_counts;
  std::mutex plain_mutex;
  const double mutex_ms = run_threads(pieces, [&](std::string_view piece) {
    for_each_word(piece, [&](std::string word) {
      std::lock_guard<std::mutex> lock(plain_mutex);
      ++plain_counts[std::move(word)];
    });
  });

  // snapshot() copies the contents out, so sorting and printing hold no lock of the map.
  std::vector<std::pair<std::string, std::uint64_t>> words = counts.snapshot();
  std::sort(words.begin(), words.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  std::uint64_t total = 0;
  for (const auto& [word, n] : words)
    total += n;
  std::printf("%llu words, %zu different; the top 20:\n", static_cast<unsigned long long>(total),
              words.size());
  for (std::size_t i = 0; i < words.size() && i < 20; ++i) {
    std::printf("  %2zu. %-12s %llu\n", i + 1, words[i].first.c_str(),
                static_cast<unsigned long long>(words[i].second));
  }

  std::printf("syncmap::sharded_map:            %8.3f ms\n", sharded_ms);
  std::printf("std::unordered_map + std::mutex: %8.3f ms\n", mutex_ms);

  // What the map did. The shard sizes are always known; the lock counters exist only when
  // built with -DSYNCMAP_STATS=1 (the word_count_stats target is).
  const syncmap::sharded_map_stats stats = counts.stats();
  std::printf("%zu shards, %zu..%zu words each (skew %.2f)\n", stats.shard_sizes.size(),
              stats.min_shard_size, stats.max_shard_size, stats.skew);
  if (stats.counters_enabled) {
    std::printf("shard locks: %llu exclusive (%llu had to wait), %llu shared; %llu rehashes\n",
                static_cast<unsigned long long>(stats.exclusive_acquisitions),
                static_cast<unsigned long long>(stats.exclusive_waits),
                static_cast<unsigned long long>(stats.shared_acquisitions),
                static_cast<unsigned long long>(stats.rehashes));
  } else {
    std::printf("lock counters: off (build with -DSYNCMAP_STATS=1 to count them)\n");
  }

  // Both programs must have counted exactly the same thing.
  std::size_t mismatches = (words.size() == plain_counts.size()) ? 0 : 1;
  for (const auto& [word, n] : words) {
    const auto found = plain_counts.find(word);
    if (found == plain_counts.end() || found->second != n) {
      std::fprintf(
          stderr, "mismatch: '%s' is %llu in sharded_map but %llu with the mutex\n", word.c_str(),
          static_cast<unsigned long long>(n),
          found == plain_counts.end() ? 0ULL : static_cast<unsigned long long>(found->second));
      ++mismatches;
    }
  }
  if (mismatches != 0) {
    std::fprintf(stderr, "the two counts disagree\n");
    return 1;
  }
  std::printf("both maps agree on all %zu words\n", words.size());
  return 0;
}
