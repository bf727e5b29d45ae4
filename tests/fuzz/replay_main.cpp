// Runs a libFuzzer target's LLVMFuzzerTestOneInput on files, without libFuzzer: linked with a
// target's source, it makes the committed corpus a regression test in every build (ctest
// "fuzz_corpus: <target>"), including g++ and ThreadSanitizer builds that libFuzzer does not
// support.
// SPDX-License-Identifier: MIT
//
//   syncmap_fuzz_replay_<target> [--repeat N] FILE_OR_DIRECTORY...
//
// A directory stands for the regular files in it, in name order. Each input runs N times
// (default 1; the concurrent targets interleave differently each time). Prints one line per
// argument; exits 1 if no input was found (a missing corpus must not pass), and aborts, like
// the fuzzer, on the first mismatch.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

std::vector<std::uint8_t> read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "replay: cannot read %s\n", path.string().c_str());
    std::exit(1);
  }
  return std::vector<std::uint8_t>(std::istreambuf_iterator<char>(in),
                                   std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
  long repeat = 1;
  std::size_t total = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string argument = argv[i];
    if (argument == "--repeat" && i + 1 < argc) {
      repeat = std::max(1L, std::strtol(argv[++i], nullptr, 10));
      continue;
    }
    std::vector<std::filesystem::path> files;
    std::error_code error;
    if (std::filesystem::is_directory(argument, error)) {
      for (const auto& item : std::filesystem::directory_iterator(argument)) {
        if (item.is_regular_file()) files.push_back(item.path());
      }
      std::sort(files.begin(), files.end());
    } else if (std::filesystem::is_regular_file(argument, error)) {
      files.push_back(argument);
    } else {
      std::fprintf(stderr, "replay: %s is neither a file nor a directory\n", argument.c_str());
      return 1;
    }
    for (const auto& file : files) {
      const std::vector<std::uint8_t> input = read_file(file);
      for (long round = 0; round < repeat; ++round) {
        // A null pointer for the empty input, as libFuzzer may pass.
        LLVMFuzzerTestOneInput(input.empty() ? nullptr : input.data(), input.size());
      }
    }
    std::printf("replay: %zu input(s) from %s, %ld time(s) each\n", files.size(), argument.c_str(),
                repeat);
    total += files.size();
  }
  if (total == 0) {
    std::fprintf(stderr, "replay: no inputs (usage: %s [--repeat N] FILE_OR_DIRECTORY...)\n",
                 argv[0]);
    return 1;
  }
  return 0;
}
