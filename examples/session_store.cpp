// Session store: web sessions in a syncmap::sharded_map keyed by session id. Request threads
// create or resume sessions (load_or_store_with, then update), users log out (erase_if on one
// key) and a sweeper expires idle sessions (erase_if over the whole map).
//
// Time is a fake clock, seconds as a plain number passed to each call, so the example never
// sleeps and tells the same story on every run.
#include <syncmap/sharded_map.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

struct session {
  std::string user;
  std::uint64_t last_seen = 0;  // fake-clock seconds
  unsigned requests = 0;
};

enum class outcome { created, resumed, rejected };
const char* to_string(outcome o) {
  return o == outcome::created ? "new session" : o == outcome::resumed ? "resumed" : "rejected";
}

class session_store {
 public:
  explicit session_store(std::uint64_t idle_timeout) : idle_timeout_(idle_timeout) {}

  // One request carrying session id `id` from `user` at time `now`.
  outcome handle_request(const std::string& id, const std::string& user, std::uint64_t now) {
    for (;;) {
      // make() runs only when the id is absent, at most once per call (under the shard's lock),
      // so a returning user costs no session construction.
      const auto [existing, loaded] = sessions_.load_or_store_with(id, [&] {
        sessions_created_.fetch_add(1, std::memory_order_relaxed);  // relaxed: a statistic
        return session{user, now, 1};
      });
      if (!loaded) return outcome::created;
      // `existing` is a copy of the stored session. Someone else's session id is refused.
      if (existing.user != user) return outcome::rejected;
      // Touch it atomically. update() returns false if the sweeper removed the session since
      // we loaded it; go round again, which creates a fresh one. The callback is noexcept, so
      // it changes the session in place instead of on a copy.
      const bool touched = sessions_.update(id, [now](session& s) noexcept {
        s.last_seen = std::max(s.last_seen, now);
        ++s.requests;
      });
      if (touched) return outcome::resumed;
    }
  }

  // Logs `user` out of session `id`; refuses (false) if the session is not theirs.
  bool logout(const std::string& id, const std::string& user) {
    return sessions_.erase_if(id, [&](const session& s) { return s.user == user; });
  }

  // Removes every session idle for idle_timeout or longer; returns how many.
  std::size_t expire_idle(std::uint64_t now) {
    return sessions_.erase_if([&](const std::string& /*id*/, const session& s) {
      return s.last_seen + idle_timeout_ <= now;
    });
  }

  std::optional<session> find(const std::string& id) const { return sessions_.load(id); }
  std::size_t size() const { return sessions_.size(); }
  unsigned sessions_created() const { return sessions_created_.load(); }
  std::vector<std::pair<std::string, session>> all() const { return sessions_.snapshot(); }

 private:
  syncmap::sharded_map<std::string, session> sessions_;
  std::atomic<unsigned> sessions_created_{0};
  std::uint64_t idle_timeout_;
};

std::string session_id(unsigned n) {
  return "sess-" + std::to_string(100 + n).substr(1);
}
std::string user_name(unsigned n) {
  return "user-" + std::to_string(100 + n).substr(1);
}

bool all_ok = true;
void expect(bool condition, const char* what) {
  if (!condition) {
    std::printf("    UNEXPECTED: %s\n", what);
    all_ok = false;
  }
}

void request(session_store& store, unsigned n, unsigned as_user, std::uint64_t now,
             outcome expected) {
  const outcome got = store.handle_request(session_id(n), user_name(as_user), now);
  std::printf("t=%-5llu %s asks for %s: %s\n", static_cast<unsigned long long>(now),
              user_name(as_user).c_str(), session_id(n).c_str(), to_string(got));
  expect(got == expected, "a different request outcome");
}

void sweep(session_store& store, std::uint64_t now, std::size_t expected) {
  const std::size_t expired = store.expire_idle(now);
  std::printf("t=%-5llu sweep: %zu idle sessions expired, %zu left\n",
              static_cast<unsigned long long>(now), expired, store.size());
  expect(expired == expected, "a different number of expired sessions");
}

}  // namespace

int main() {
  constexpr std::uint64_t kIdleTimeout = 300;  // fake seconds
  session_store store(kIdleTimeout);

  // Busy hour: two server threads handle 500 requests each for 20 users, at fake times 0..499.
  // Both threads see every session id, so they race to create each one; exactly one wins.
  constexpr unsigned kUsers = 20;
  constexpr unsigned kRequestsPerThread = 500;
  std::vector<std::thread> servers;
  for (unsigned t = 0; t < 2; ++t) {
    servers.emplace_back([&store, t] {
      for (unsigned i = 0; i < kRequestsPerThread; ++i) {
        const unsigned n = (i + 7 * t) % kUsers;
        store.handle_request(session_id(n), user_name(n), i);
      }
    });
  }
  for (std::thread& server : servers)
    server.join();
  unsigned total_requests = 0;
  for (const auto& [id, s] : store.all())
    total_requests += s.requests;
  std::printf("busy hour: %u requests, %zu sessions, make() ran %u times\n", total_requests,
              store.size(), store.sessions_created());
  expect(total_requests == 2 * kRequestsPerThread, "requests lost or double counted");
  expect(store.size() == kUsers && store.sessions_created() == kUsers, "not one session per user");

  // Then the story, one request at a time. Sessions idle for 300 seconds or more expire.
  request(store, 3, 7, 1000, outcome::rejected);  // user-07 replays user-03's session id
  for (unsigned n = 0; n < 10; ++n)
    request(store, n, n, 1200, outcome::resumed);
  sweep(store, 1250, 10);  // sess-10..19 were last seen before t=500

  const bool refused = !store.logout(session_id(4), user_name(5));
  std::printf("t=1300  user-05 tries to log out of sess-04: %s\n", refused ? "refused" : "done");
  const bool logged_out = store.logout(session_id(4), user_name(4));
  std::printf("t=1300  user-04 logs out of sess-04: %s\n", logged_out ? "done" : "refused");
  expect(refused && logged_out, "logout checked the wrong user");

  request(store, 0, 0, 1400, outcome::resumed);
  sweep(store, 1500, 8);                         // the other 8 were last seen at t=1200
  request(store, 5, 5, 1510, outcome::created);  // user-05's old session is gone: a new one

  std::printf("remaining sessions:\n");
  std::vector<std::pair<std::string, session>> left = store.all();
  std::sort(left.begin(), left.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [id, s] : left) {
    std::printf("  %s  %s  last seen t=%llu, requests: %u\n", id.c_str(), s.user.c_str(),
                static_cast<unsigned long long>(s.last_seen), s.requests);
  }
  const std::optional<session> first = store.find(session_id(0));
  expect(left.size() == 2 && first && first->requests == 50 + 2 && first->last_seen == 1400,
         "a different final state");

  std::puts(all_ok ? "all as expected" : "FAILED");
  return all_ok ? 0 : 1;
}
