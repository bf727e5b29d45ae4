// sharded_map re-entrancy: in a debug build, calling a map from inside one of its own
// callbacks aborts with a message naming the re-entrant operation. Each such call runs in
// a fork()ed child whose stderr goes to a pipe; the parent checks that the child died of
// SIGABRT and what it said. Calling a *different* map from a callback is allowed.
#include <cstdint>
#include <string>

#include "sharded_maps.hpp"
#include "support/catch.hpp"

#if defined(__unix__) || defined(__APPLE__)
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <csignal>
#include <cstdio>
#define SYNCMAP_TEST_HAVE_FORK 1
#else
#define SYNCMAP_TEST_HAVE_FORK 0
#endif

using namespace syncmap_test;

namespace {

// Why the death tests cannot run in this build, or nullptr when they can.
const char* death_tests_unavailable() {
#if !SYNCMAP_REENTRANCY_CHECK
  return "the re-entrancy check is compiled out (NDEBUG or SYNCMAP_DISABLE_REENTRANCY_CHECK)";
#elif SYNCMAP_TSAN
  return "fork() is unreliable under ThreadSanitizer";
#elif !SYNCMAP_TEST_HAVE_FORK
  return "no fork() on this platform";
#else
  return nullptr;
#endif
}

#if SYNCMAP_TEST_HAVE_FORK

struct child_result {
  bool aborted = false;  // died of SIGABRT
  bool exited_cleanly = false;
  std::string stderr_text;
};

// Runs body() in a child process with stderr captured; the child exits 0 if body returns.
template <class Body>
child_result run_in_child(Body body) {
  int pipe_fds[2];
  REQUIRE(pipe(pipe_fds) == 0);
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    close(pipe_fds[0]);
    dup2(pipe_fds[1], STDERR_FILENO);
    std::signal(SIGABRT, SIG_DFL);  // Catch2's fatal-signal handler must not report the abort
    const rlimit no_core{0, 0};
    setrlimit(RLIMIT_CORE, &no_core);  // an expected abort need not dump core
    body();
    _exit(0);  // skip atexit handlers and Catch2's reporters
  }
  close(pipe_fds[1]);
  child_result result;
  char buffer[512];
  for (ssize_t n; (n = read(pipe_fds[0], buffer, sizeof buffer)) > 0;) {
    result.stderr_text.append(buffer, static_cast<std::size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  REQUIRE(waitpid(pid, &status, 0) == pid);
  result.aborted = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
  result.exited_cleanly = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  return result;
}

template <class Body>
void require_abort_naming(const std::string& operation, Body body) {
  const child_result result = run_in_child(body);
  INFO("expected an abort naming '" << operation << "'; child's stderr: " << result.stderr_text);
  CHECK(result.aborted);
  CHECK(result.stderr_text.find(operation) != std::string::npos);
}

#endif

}  // namespace

TEMPLATE_LIST_TEST_CASE("calling the map from its own callback aborts, naming the call",
                        "[reentrancy]", sharded_map_families) {
  if (const char* reason = death_tests_unavailable()) {
    SUCCEED("skipped: " << reason);
    return;
  }
#if SYNCMAP_TEST_HAVE_FORK
  using map_type = typename TestType::template map<std::uint64_t, std::uint64_t>;
  map_type map(4);
  for (std::uint64_t k = 0; k < 64; ++k)
    map.store(k, k);
  const auto ignore = [](std::uint64_t&) {};

  SECTION("load from visit") {
    require_abort_naming("load",
                         [&] { map.visit(1, [&](const std::uint64_t&) { (void)map.load(1); }); });
  }
  SECTION("store from visit, on another key") {
    require_abort_naming("store",
                         [&] { map.visit(1, [&](const std::uint64_t&) { map.store(2, 2); }); });
  }
  SECTION("contains from update") {
    require_abort_naming("contains",
                         [&] { map.update(1, [&](std::uint64_t&) { (void)map.contains(7); }); });
  }
  SECTION("erase from upsert") {
    require_abort_naming("erase", [&] { map.upsert(1, [&](std::uint64_t&) { map.erase(9); }); });
  }
  SECTION("update from for_each") {
    require_abort_naming("update", [&] {
      map.for_each(
          [&](const std::uint64_t& key, const std::uint64_t&) { map.update(key, ignore); });
    });
  }
  SECTION("exchange from erase_if(key)") {
    require_abort_naming("exchange", [&] {
      map.erase_if(1, [&](const std::uint64_t&) { return map.exchange(3, 3).has_value(); });
    });
  }
  SECTION("load_or_store from erase_if(pred)") {
    require_abort_naming("load_or_store", [&] {
      map.erase_if([&](const std::uint64_t&, const std::uint64_t&) {
        return map.load_or_store(100, 1).second;
      });
    });
  }
  SECTION("try_emplace from load_or_store_with") {
    require_abort_naming("try_emplace", [&] {
      map.load_or_store_with(1000, [&] { return map.try_emplace(1001) ? 1u : 0u; });
    });
  }
  SECTION("visit from visit") {
    require_abort_naming("visit", [&] {
      map.visit(1, [&](const std::uint64_t&) { map.visit(1, [](const std::uint64_t&) {}); });
    });
  }
  SECTION("a callback that threw no longer counts as running") {
    const child_result result = run_in_child([&] {
      try {
        map.visit(1, [](const std::uint64_t&) { throw 42; });
      } catch (int) {
      }
      try {
        map.for_each([](const std::uint64_t&, const std::uint64_t&) { throw 43; });
      } catch (int) {
      }
      map.store(1, 2);  // must not be mistaken for a re-entrant call
      if (map.load(1) != 2u) std::abort();
    });
    INFO("child's stderr: " << result.stderr_text);
    CHECK(result.exited_cleanly);
  }
#endif
}

TEMPLATE_LIST_TEST_CASE("callbacks may call a different map", "[reentrancy]",
                        sharded_map_families) {
  using map_type = typename TestType::template map<std::uint64_t, std::uint64_t>;
  map_type a(4);
  map_type b(4);
  for (std::uint64_t k = 0; k < 100; ++k)
    a.store(k, k);

  // Copy a into b from a's for_each; write b from a's update; nest visits three deep.
  a.for_each([&](const std::uint64_t& key, const std::uint64_t& value) { b.store(key, value); });
  CHECK(b == a);
  CHECK(a.update(5, [&](std::uint64_t& v) { v = b.load_and_delete(5).value_or(0) + 1; }));
  CHECK(a.load(5) == 6u);
  CHECK_FALSE(b.contains(5));
  map_type c(1);
  c.store(1, 1);
  std::uint64_t depth = 0;
  a.visit(1, [&](const std::uint64_t&) {
    b.visit(1, [&](const std::uint64_t&) { c.visit(1, [&](const std::uint64_t&) { depth = 3; }); });
  });
  CHECK(depth == 3);
  CHECK(b.upsert(
      500, [&](std::uint64_t&) {}, a.size()));
  a.erase_if([&](const std::uint64_t& key, const std::uint64_t&) { return b.contains(key); });
  CHECK(a.size() == 1);  // only key 5, which b no longer holds
}
