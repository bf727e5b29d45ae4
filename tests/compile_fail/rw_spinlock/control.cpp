// Control for rw_spinlock/: rw_spinlock used on its own through the SharedMutex interface and
// the standard lock holders, and both maps' lock parameters: the default rw_spinlock and
// std::shared_mutex, which API.md says must work as sharded_map's SharedMutex.
#include <syncmap/rw_spinlock.hpp>
#include <syncmap/sharded_map.hpp>

#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <utility>

int main() {
  syncmap::rw_spinlock lock;
  { std::unique_lock<syncmap::rw_spinlock> exclusive(lock); }
  { std::shared_lock<syncmap::rw_spinlock> shared(lock); }
  int taken = 0;
  if (lock.try_lock()) {
    lock.unlock();
    ++taken;
  }
  if (lock.try_lock_shared()) {
    lock.unlock_shared();
    ++taken;
  }

  syncmap::sharded_map<int, int, std::hash<int>, std::equal_to<int>,
                       std::allocator<std::pair<const int, int>>, std::shared_mutex>
      map;
  map.store(1, 1);
  return taken == 2 && map.load(1) ? 0 : 1;
}
