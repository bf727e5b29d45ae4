// Config cache: a routing table (URL path -> backend) in a syncmap::rcu_map. Three request
// threads look routes up all the time while one reloader thread rolls out new backend versions
// and adds a route. rcu_map suits this shape: a lookup takes no lock and writes nothing shared,
// so readers never slow each other down; writes are rarer and pay for that.
//
// At the end the program checks what the readers saw: every route they loaded must be one the
// reloader stored, and no reader may ever see a route go back to an older version.
#include <syncmap/rcu_map.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

// The value type: small, copyable, comparable (compare_and_swap needs ==).
struct route {
  std::string backend;   // where requests go, e.g. "users-v3.internal:8080"
  unsigned version = 0;  // +1 on every change of this route
};
bool operator==(const route& a, const route& b) {
  return a.version == b.version && a.backend == b.backend;
}

// The only backend name the reloader ever stores for (service, version).
std::string backend_for(const std::string& service, unsigned version) {
  return service + "-v" + std::to_string(version) + ".internal:8080";
}

struct route_def {
  std::string path;
  std::string service;
};
const std::vector<route_def> kRoutes = {{"/api/users", "users"},   {"/api/orders", "orders"},
                                        {"/api/search", "search"}, {"/static", "cdn"},
                                        {"/login", "auth"},        {"/api/v2", "gateway"}};
constexpr std::size_t kLateRoute = 5;  // "/api/v2" only appears part-way through
constexpr int kReloads = 300;
constexpr int kReaders = 3;

// What one reader saw, per route.
struct reader_log {
  std::size_t lookups = 0;
  std::size_t versions_seen = 0;  // distinct versions, summed over routes
  std::vector<unsigned> last_version = std::vector<unsigned>(kRoutes.size(), 0);  // 0: none yet
  std::size_t bad_values = 0;  // a value the reloader never stored
  std::size_t went_back = 0;   // an older version after a newer one
};

}  // namespace

int main() {
  syncmap::rcu_map<std::string, route> table;
  table.reserve(kRoutes.size());  // room for every route, the late one too: no rehash under load
  for (std::size_t i = 0; i < kLateRoute; ++i)
    table.store(kRoutes[i].path, route{backend_for(kRoutes[i].service, 1), 1});

  std::atomic<int> readers_ready{0};
  std::atomic<bool> reloads_done{false};
  std::vector<reader_log> logs(kReaders);

  // A request thread: resolve every path again and again until the reloader is done.
  auto reader = [&](reader_log& log) {
    readers_ready.fetch_add(1);
    do {
      for (std::size_t i = 0; i < kRoutes.size(); ++i) {
        // load() returns a copy: it stays valid however the table changes afterwards.
        const std::optional<route> r = table.load(kRoutes[i].path);
        ++log.lookups;
        if (!r) {  // only the late route may be missing, and only before it appears
          if (i != kLateRoute || log.last_version[i] != 0) ++log.bad_values;
          continue;
        }
        if (r->version == 0 || r->backend != backend_for(kRoutes[i].service, r->version))
          ++log.bad_values;
        if (r->version < log.last_version[i]) ++log.went_back;
        if (r->version != log.last_version[i]) ++log.versions_seen;
        log.last_version[i] = r->version;
      }
    } while (!reloads_done.load());
  };
  std::vector<std::thread> readers;
  for (reader_log& log : logs)
    readers.emplace_back(reader, std::ref(log));

  // The reloader: roll each route forward one version at a time.
  std::size_t cas_retries = 0;
  bool late_route_inserted = false;
  std::thread reloader([&] {
    while (readers_ready.load() < kReaders)
      std::this_thread::yield();
    for (int n = 0; n < kReloads; ++n) {
      if (n == kReloads / 3) {
        // store() inserts or overwrites; it returns true when the key is new.
        late_route_inserted = table.store(kRoutes[kLateRoute].path,
                                          route{backend_for(kRoutes[kLateRoute].service, 1), 1});
      }
      const route_def& def = kRoutes[static_cast<std::size_t>(n) % kLateRoute];
      // Read, build the next value, publish it only if the route is still what we read. With
      // a second writer (an admin API, say) the CAS fails instead of overwriting its change,
      // and we retry on top of it.
      for (;;) {
        const route current = table.load(def.path).value();
        const route next{backend_for(def.service, current.version + 1), current.version + 1};
        if (table.compare_and_swap(def.path, current, next)) break;
        ++cas_retries;
      }
    }
    reloads_done.store(true);
  });
  reloader.join();
  for (std::thread& thread : readers)
    thread.join();

  bool ok = late_route_inserted;
  for (int i = 0; i < kReaders; ++i) {
    const reader_log& log = logs[static_cast<std::size_t>(i)];
    std::printf("reader %d: %zu lookups, saw %zu route versions, %zu bad values, %zu went back\n",
                i, log.lookups, log.versions_seen, log.bad_values, log.went_back);
    ok = ok && log.bad_values == 0 && log.went_back == 0;
    // Nobody can have seen a version newer than the one in the table now.
    for (std::size_t r = 0; r < kRoutes.size(); ++r)
      ok = ok && log.last_version[r] <= table.load(kRoutes[r].path).value_or(route{}).version;
  }
  std::printf("reloader: %d version bumps, %zu CAS retries; \"/api/v2\" inserted: %s\n", kReloads,
              cas_retries, late_route_inserted ? "yes" : "no");

  // compare_and_swap refuses a stale expected value: an admin who read "/static" before the
  // last change cannot roll it back by accident.
  const route seen = table.load("/static").value();
  const bool overwrote =
      !table.store("/static", route{backend_for("cdn", seen.version + 1), seen.version + 1});
  const bool stale_cas = table.compare_and_swap("/static", seen, route{"cdn-legacy:80", 0});
  std::printf("store(\"/static\", v%u) overwrote: %s; compare_and_swap from stale v%u: %s\n",
              seen.version + 1, overwrote ? "yes" : "no", seen.version,
              stale_cas ? "swapped (wrong!)" : "refused");
  ok = ok && overwrote && !stale_cas;

  // The final table, sorted by path. snapshot() copies it out; no lock is held while we print.
  std::vector<std::pair<std::string, route>> final_routes = table.snapshot();
  std::sort(final_routes.begin(), final_routes.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::printf("final table (%zu routes):\n", table.size());
  for (const auto& [path, r] : final_routes)
    std::printf("  %-12s -> %s\n", path.c_str(), r.backend.c_str());

  // How the reads went: hits in the lock-free read table against misses that took the mutex
  // (counters only with -DSYNCMAP_STATS=1, as the config_cache_stats target is built).
  const syncmap::rcu_map_stats stats = table.stats();
  if (stats.counters_enabled) {
    std::printf(
        "read table: %llu hits, %llu misses, %llu promotions; %llu objects retired, "
        "%zu not yet freed\n",
        static_cast<unsigned long long>(stats.read_hits),
        static_cast<unsigned long long>(stats.read_misses),
        static_cast<unsigned long long>(stats.promotions),
        static_cast<unsigned long long>(stats.retired), stats.pending_reclamation);
  } else {
    std::printf("%zu retired objects not yet freed (hit/miss counters: -DSYNCMAP_STATS=1)\n",
                stats.pending_reclamation);
  }

  std::puts(ok ? "every value the readers saw was one the reloader stored"
               : "FAILED: a reader saw a value that was never stored, or went back");
  return ok ? 0 : 1;
}
